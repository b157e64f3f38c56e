"""Which car, with a photo: the bound car's photo on the booking card and page, cleaned of its
metadata, and served only to the households it is (or was) bound to and to staff."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from sharing.demo_photos import car_drawing, seed_car_photos
from sharing.models import BookingStatus, VehiclePhoto
from sharing.services.vehicle_photos import vehicle_photo_remove, vehicle_photo_set
from tests.factories import (
    BayFactory,
    BookingFactory,
    HubFactory,
    UserFactory,
    VehicleFactory,
    VehicleModelFactory,
)
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db


def jpeg_with_exif(size=(3000, 2000)) -> bytes:
    image = Image.new("RGB", size, "navy")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: must not survive
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def car(hub):
    car = VehicleFactory.create(
        hub=hub, plate="WS-07-EV", home_bay=BayFactory(hub=hub, label="B07")
    )
    vehicle_photo_set(vehicle=car, photo=jpeg_with_exif())
    return car


@pytest.fixture
def bound(resident, hub, car, frozen):
    return BookingFactory.create(
        resident=resident, hub=hub, vehicle=car, status=BookingStatus.BOUND,
        start=NOW.replace(hour=12), promised_range_km=80,
    )  # fmt: skip


def photo_url(car) -> str:
    return reverse("sharing:car-photo", args=[car.pk])


# --- the photo as stored ------------------------------------------------------------------


def test_stored_photo_is_a_small_jpeg_without_metadata(car):
    stored = VehiclePhoto.objects.get(vehicle=car)
    image = Image.open(io.BytesIO(bytes(stored.jpeg)))
    assert image.format == "JPEG"
    assert (image.width, image.height) == (stored.width, stored.height) == (1200, 800)
    assert not image.getexif()


def test_replacing_and_removing_the_photo(car):
    before = VehiclePhoto.objects.get(vehicle=car)
    vehicle_photo_set(vehicle=car, photo=jpeg_with_exif((400, 300)))
    after = VehiclePhoto.objects.get(vehicle=car)
    assert (after.width, after.height) == (400, 300) and after.jpeg != before.jpeg
    assert vehicle_photo_remove(vehicle=car) is True
    assert not VehiclePhoto.objects.filter(vehicle=car).exists()
    assert vehicle_photo_remove(vehicle=car) is False


def test_a_file_that_is_not_an_image_is_refused_and_the_old_photo_stays(car):
    from django.core.exceptions import ValidationError

    before = bytes(VehiclePhoto.objects.get(vehicle=car).jpeg)
    with pytest.raises(ValidationError) as error:
        vehicle_photo_set(vehicle=car, photo=b"%PDF-1.4 not a photo")
    assert "not a photo we can read" in str(error.value)
    assert bytes(VehiclePhoto.objects.get(vehicle=car).jpeg) == before


# --- who may see it -----------------------------------------------------------------------


def test_the_household_of_a_bound_booking_gets_the_photo(client, resident, bound, car):
    client.force_login(resident)
    response = client.get(photo_url(car))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=86400"
    assert bytes(response.content) == bytes(VehiclePhoto.objects.get(vehicle=car).jpeg)


def test_a_past_booking_of_the_car_still_shows_it(client, resident, hub, car, frozen):
    BookingFactory.create(resident=resident, hub=hub, vehicle=car, status=BookingStatus.COMPLETED)
    client.force_login(resident)
    assert client.get(photo_url(car)).status_code == 200


def test_another_household_gets_a_404(client, neighbour, bound, car):
    client.force_login(neighbour)
    assert client.get(photo_url(car)).status_code == 404


def test_a_resident_without_any_booking_of_the_car_gets_a_404(client, resident, hub, car):
    BookingFactory.create(resident=resident, hub=hub, status=BookingStatus.CONFIRMED)
    client.force_login(resident)
    assert client.get(photo_url(car)).status_code == 404


def test_logged_out_is_sent_to_log_in(client, car):
    response = client.get(photo_url(car))
    assert response.status_code == 302 and "login" in response["Location"]


def test_staff_see_it_within_their_hubs_only(client, fleet_admin, car, hub):
    from django.contrib.auth.models import Group

    client.force_login(fleet_admin)
    assert client.get(photo_url(car)).status_code == 200
    manager = UserFactory.create(is_staff=True, household=None)
    manager.groups.add(Group.objects.get(name="Fleet admins"))
    HubFactory.create(slug="elders", name="Elders").managers.add(manager)  # another hub only
    client.force_login(manager)
    assert client.get(photo_url(car)).status_code == 404
    hub.managers.add(manager)
    assert client.get(photo_url(car)).status_code == 200


def test_a_car_without_a_photo_is_a_404(client, resident, hub, frozen):
    plain = VehicleFactory.create(hub=hub)
    BookingFactory.create(resident=resident, hub=hub, vehicle=plain, status=BookingStatus.BOUND)
    client.force_login(resident)
    assert client.get(photo_url(plain)).status_code == 404


# --- on the pages -------------------------------------------------------------------------


def test_booking_page_shows_the_bound_cars_photo_with_alt_text(client, resident, bound, car):
    client.force_login(resident)
    html = client.get(reverse("sharing:booking-detail", args=[bound.pk])).content.decode()
    stored = VehiclePhoto.objects.get(vehicle=car)
    src = f"{photo_url(car)}?v={int(stored.updated_at.timestamp())}"
    assert f'<img class="car-photo" src="{src}" width="1200" height="800"' in html
    assert f'alt="Photo of your car: a {car.model}, licence plate WS-07-EV"' in html


def test_home_card_shows_it_lazily(client, resident, bound, car):
    client.force_login(resident)
    html = client.get(reverse("sharing:home")).content.decode()
    assert 'class="car-photo"' in html and 'loading="lazy"' in html


def test_no_photo_before_a_car_is_bound(client, resident, hub, car, frozen):
    booking = BookingFactory.create(resident=resident, hub=hub, status=BookingStatus.CONFIRMED)
    client.force_login(resident)
    html = client.get(reverse("sharing:booking-detail", args=[booking.pk])).content.decode()
    assert "car-photo" not in html


def test_no_photo_once_the_trip_is_over(client, resident, hub, car, frozen):
    booking = BookingFactory.create(
        resident=resident, hub=hub, vehicle=car, status=BookingStatus.COMPLETED
    )
    client.force_login(resident)
    html = client.get(reverse("sharing:booking-detail", args=[booking.pk])).content.decode()
    assert "car-photo" not in html


def test_the_booking_page_without_a_photo_still_shows_the_car(client, resident, hub, frozen):
    plain = VehicleFactory.create(hub=hub, plate="WS-99-EV")
    booking = BookingFactory.create(
        resident=resident, hub=hub, vehicle=plain, status=BookingStatus.BOUND
    )
    client.force_login(resident)
    html = client.get(reverse("sharing:booking-detail", args=[booking.pk])).content.decode()
    assert "WS-99-EV" in html and "car-photo" not in html


# --- the demo's drawings ------------------------------------------------------------------


def test_demo_draws_one_photo_per_model_and_runs_again_without_change(hub):
    cars = VehicleFactory.create_batch(3, hub=hub)
    assert seed_car_photos(hub) == 3
    assert seed_car_photos(hub) == 0
    image = Image.open(io.BytesIO(bytes(VehiclePhoto.objects.get(vehicle=cars[0]).jpeg)))
    assert image.format == "JPEG" and image.size == (640, 400)


def test_demo_drawing_differs_per_model():
    first = VehicleModelFactory.build(make="Renault", model="5 E-Tech 52 kWh")
    second = VehicleModelFactory.build(make="Kia", model="EV9 99.8 kWh")
    assert car_drawing(first).jpeg != car_drawing(second).jpeg
