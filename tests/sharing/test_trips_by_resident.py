"""Pick-up and return by the resident: odometer and charge, a damage report with a photo."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from sharing.models import BookingStatus, DamageReport, Trip
from tests.factories import BayFactory, BookingFactory, VehicleFactory
from tests.sharing.conftest import NOW

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def bound(resident, hub):
    car = VehicleFactory.create(hub=hub, plate="WS-07-EV", home_bay=BayFactory(hub=hub))
    car.odometer_km = 1000
    car.save()
    return BookingFactory.create(
        resident=resident, hub=hub, vehicle=car, status=BookingStatus.BOUND,
        start=NOW + 10 * timedelta(minutes=1), end=NOW + 3 * H,
    )  # fmt: skip


def photo_upload(name="scratch.jpg"):
    image = Image.new("RGB", (2400, 1200), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make: must not survive
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def test_detail_links_the_pick_up_and_the_page_works(client, resident, bound, frozen):
    client.force_login(resident)
    detail = client.get(reverse("sharing:booking-detail", args=[bound.pk])).content.decode()
    assert reverse("sharing:trip-start", args=[bound.pk]) in detail
    page = client.get(reverse("sharing:trip-start", args=[bound.pk]))
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()


def test_pick_up_then_return_with_damage_and_photo(client, resident, bound, frozen):
    client.force_login(resident)
    response = client.post(
        reverse("sharing:trip-start", args=[bound.pk]), {"odometer_km": "1000", "soc_percent": "80"}
    )
    assert response.status_code == 302
    bound.refresh_from_db()
    assert bound.status == BookingStatus.ACTIVE
    detail = client.get(reverse("sharing:booking-detail", args=[bound.pk])).content.decode()
    assert reverse("sharing:trip-end", args=[bound.pk]) in detail
    frozen.shift(2 * H)
    response = client.post(
        reverse("sharing:trip-end", args=[bound.pk]),
        {
            "odometer_km": "1042",
            "soc_percent": "61",
            "damage": "Scratch on the rear bumper",
            "photo": photo_upload(),
        },
    )
    assert response.status_code == 302
    bound.refresh_from_db()
    trip = Trip.objects.get(booking=bound)
    assert bound.status == BookingStatus.COMPLETED and trip.km == 42
    assert trip.kwh_used and trip.kwh_used > 0
    report = DamageReport.objects.get()
    assert report.reported_by == resident and report.vehicle_id == bound.vehicle_id
    assert report.photo is not None
    photo = Image.open(io.BytesIO(bytes(report.photo)))
    assert photo.format == "JPEG" and max(photo.size) == 1600
    assert not photo.getexif()  # no camera details, no location
    image = client.get(reverse("sharing:damage-photo", args=[report.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"


def test_too_early_is_a_400_that_keeps_what_was_typed(client, resident, bound, frozen):
    bound.start, bound.end = NOW + 5 * H, NOW + 7 * H
    bound.block_start, bound.block_end = bound.start, bound.end
    bound.save()
    client.force_login(resident)
    response = client.post(reverse("sharing:trip-start", args=[bound.pk]), {"odometer_km": "1234"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "too early to pick up" in html and 'value="1234"' in html
    bound.refresh_from_db()
    assert bound.status == BookingStatus.BOUND


def test_return_with_a_lower_odometer_marks_the_field(client, resident, bound, frozen):
    client.force_login(resident)
    client.post(reverse("sharing:trip-start", args=[bound.pk]), {"odometer_km": "1000"})
    response = client.post(
        reverse("sharing:trip-end", args=[bound.pk]), {"odometer_km": "900", "soc_percent": "50"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    odometer_errors = html.split('id="odometer_km-errors"', 1)[1].split("</div>", 1)[0]
    assert "cannot be lower than at pick-up" in odometer_errors
    assert 'value="900"' in html and 'value="50"' in html
    bound.refresh_from_db()
    assert bound.status == BookingStatus.ACTIVE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"odometer_km": "", "soc_percent": "50"}, "This field is required."),
        ({"odometer_km": "1010", "soc_percent": "150"}, "less than or equal to 100"),
        ({"odometer_km": "abc", "soc_percent": "50"}, "Enter a whole number."),
    ],
)
def test_bad_return_input_is_a_400(client, resident, bound, frozen, data, message):
    client.force_login(resident)
    client.post(reverse("sharing:trip-start", args=[bound.pk]), {})
    response = client.post(reverse("sharing:trip-end", args=[bound.pk]), data)
    assert response.status_code == 400 and message in response.content.decode()


def test_a_file_that_is_not_a_photo_changes_nothing(client, resident, bound, frozen):
    client.force_login(resident)
    client.post(reverse("sharing:trip-start", args=[bound.pk]), {})
    fake = SimpleUploadedFile("dent.jpg", b"not an image at all", content_type="image/jpeg")
    response = client.post(
        reverse("sharing:trip-end", args=[bound.pk]),
        {"odometer_km": "1010", "soc_percent": "50", "damage": "Dent", "photo": fake},
    )
    assert response.status_code == 400
    assert "not a photo we can read" in response.content.decode()
    bound.refresh_from_db()
    assert bound.status == BookingStatus.ACTIVE and not DamageReport.objects.exists()


def test_a_photo_needs_a_description(client, resident, bound, frozen):
    client.force_login(resident)
    response = client.post(
        reverse("sharing:trip-start", args=[bound.pk]), {"photo": photo_upload()}
    )
    assert response.status_code == 400 and "Say what is damaged" in response.content.decode()


def test_another_household_cannot_pick_up_or_see_the_photo(
    client, resident, neighbour, bound, frozen
):
    client.force_login(resident)
    client.post(
        reverse("sharing:trip-start", args=[bound.pk]),
        {"damage": "Cracked mirror", "photo": photo_upload()},
    )
    report = DamageReport.objects.get()
    client.force_login(neighbour)
    assert client.post(reverse("sharing:trip-end", args=[bound.pk]), {}).status_code == 404
    assert client.get(reverse("sharing:damage-photo", args=[report.pk])).status_code == 404


def test_pick_up_and_return_pages_in_dutch(client, resident, bound, frozen):
    client.force_login(resident)
    html = client.get(
        reverse("sharing:trip-start", args=[bound.pk]), headers={"accept-language": "nl"}
    ).content.decode()
    assert "Auto ophalen" in html and "Kilometerstand" in html


def test_fleet_admin_sees_the_report_and_its_photo(client, resident, fleet_admin, bound, frozen):
    client.force_login(resident)
    client.post(
        reverse("sharing:trip-start", args=[bound.pk]),
        {"damage": "Cracked mirror", "photo": photo_upload()},
    )
    report = DamageReport.objects.get()
    client.force_login(fleet_admin)
    listing = client.get(reverse("admin:sharing_damagereport_changelist")).content.decode()
    assert "Cracked mirror" in listing
    assert reverse("sharing:damage-photo", args=[report.pk]) in listing
    assert client.get(reverse("sharing:damage-photo", args=[report.pk])).status_code == 200
