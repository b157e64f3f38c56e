"""Fiona gives a car its photo on the car's change page; a file that is not a photo is refused
on the field, and neither the car nor its photo changes."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from sharing.models import VehiclePhoto


def change_url(car) -> str:
    return reverse("admin:sharing_vehicle_change", args=[car.pk])


def form_data(car, **extra):
    return {
        "plate": car.plate,
        "model": car.model_id,
        "hub": car.hub_id,
        "home_bay": car.home_bay_id or "",
        "odometer_km": car.odometer_km,
        "maintenance_blocks-TOTAL_FORMS": "0",
        "maintenance_blocks-INITIAL_FORMS": "0",
        "maintenance_blocks-MIN_NUM_FORMS": "0",
        "maintenance_blocks-MAX_NUM_FORMS": "1000",
        **extra,
    }


def png(size=(800, 600), colour="teal") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return SimpleUploadedFile("car.png", out.getvalue(), content_type="image/png")


def test_the_change_page_takes_a_file(admin_client, cars):
    html = admin_client.get(change_url(cars[0])).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'name="photo_upload"' in html and 'accept="image/jpeg,image/png,image/webp"' in html


def test_upload_a_photo(admin_client, cars):
    car = cars[0]
    response = admin_client.post(change_url(car), form_data(car, photo_upload=png()))
    assert response.status_code == 302
    stored = VehiclePhoto.objects.get(vehicle=car)
    image = Image.open(io.BytesIO(bytes(stored.jpeg)))
    assert image.format == "JPEG" and (stored.width, stored.height) == (800, 600)
    html = admin_client.get(change_url(car)).content.decode()
    assert reverse("sharing:car-photo", args=[car.pk]) in html  # the current photo is shown


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_lost(admin_client, cars):
    car = cars[0]
    admin_client.post(change_url(car), form_data(car, photo_upload=png(colour="red")))
    before = bytes(VehiclePhoto.objects.get(vehicle=car).jpeg)
    text = SimpleUploadedFile("car.jpg", b"this is not a photo", content_type="image/jpeg")
    response = admin_client.post(
        change_url(car), form_data(car, plate="NEW-PLATE", photo_upload=text)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "That file is not a photo we can read (JPEG, PNG or WebP)." in html
    assert 'value="NEW-PLATE"' in html  # what was typed is still in the form
    car.refresh_from_db()
    assert car.plate != "NEW-PLATE"
    assert bytes(VehiclePhoto.objects.get(vehicle=car).jpeg) == before


def test_a_photo_over_8_mb_is_refused(admin_client, cars):
    car = cars[0]
    big = SimpleUploadedFile("big.jpg", b"\xff" * (8 * 1024 * 1024 + 1), content_type="image/jpeg")
    response = admin_client.post(change_url(car), form_data(car, photo_upload=big))
    assert response.status_code == 200
    assert "The photo is too large (at most 8 MB)." in response.content.decode()
    assert not VehiclePhoto.objects.filter(vehicle=car).exists()


def test_saving_without_a_file_keeps_the_photo_and_remove_removes_it(admin_client, cars):
    car = cars[0]
    admin_client.post(change_url(car), form_data(car, photo_upload=png()))
    assert admin_client.post(change_url(car), form_data(car, odometer_km=5)).status_code == 302
    assert VehiclePhoto.objects.filter(vehicle=car).exists()
    assert admin_client.post(change_url(car), form_data(car, photo_remove="on")).status_code == 302
    assert not VehiclePhoto.objects.filter(vehicle=car).exists()


def test_a_hub_manager_cannot_reach_another_hubs_car(client, hub_manager, other_hub):
    car = other_hub.vehicles.first()
    client.force_login(hub_manager)
    response = client.post(change_url(car), form_data(car, photo_upload=png()))
    assert response.status_code in (302, 403, 404)
    assert not VehiclePhoto.objects.filter(vehicle=car).exists()
