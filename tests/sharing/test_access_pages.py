"""The resident pages for a booking (detail, change end, cancel), tried by Bob (another
household), Olga (manages another hub), Harm (manages Alice's hub) and Fiona (superuser): see
``test_access`` for who may do what."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sharing.models import BookingStatus
from tests.factories import UserFactory
from tests.sharing.test_access import (
    _page_requests,
    _snapshot,
    booking,
    hub_manager,
    other_hub_manager,
)

pytestmark = pytest.mark.django_db
__all__ = ["booking", "hub_manager", "other_hub_manager"]


@pytest.mark.parametrize("who", ["neighbour", "other_hub_manager"])
def test_pages_of_another_household_or_hub_are_404_and_change_nothing(
    request, client, booking, who
):
    client.force_login(request.getfixturevalue(who))
    before = _snapshot(booking)
    assert client.get(reverse("sharing:booking-detail", args=[booking.pk])).status_code == 404
    for method, url, data in _page_requests(booking):
        assert getattr(client, method)(url, data).status_code == 404, (method, url)
    assert _snapshot(booking) == before


@pytest.mark.parametrize("who", ["hub_manager", "fleet_admin"])
def test_staff_read_the_booking_but_change_it_only_in_the_admin(request, client, booking, who):
    client.force_login(request.getfixturevalue(who))
    before = _snapshot(booking)
    page = client.get(reverse("sharing:booking-detail", args=[booking.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("sharing:booking-cancel", args=[booking.pk]) not in html
    assert reverse("sharing:booking-change-end", args=[booking.pk]) not in html
    for method, url, data in _page_requests(booking):
        assert getattr(client, method)(url, data).status_code == 403, (method, url)
    assert _snapshot(booking) == before


def test_household_member_may_cancel_a_housemates_booking(client, resident, booking):
    housemate = UserFactory.create(email="anne@example.org", household=resident.household)
    client.force_login(housemate)
    response = client.post(reverse("sharing:booking-cancel", args=[booking.pk]))
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
