"""Harm manages one hub: he sees and changes only its objects. Residents stay out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from sharing.models import Vehicle
from tests.admin.conftest import NOW, book


def test_fleet_admins_group_holds_the_model_permissions(db):
    codenames = set(
        Group.objects.get(name="Fleet admins").permissions.values_list("codename", flat=True)
    )

    assert {"change_vehicle", "view_booking", "change_user", "view_dispatchrun"} <= codenames


def test_hub_manager_sees_only_their_hubs_vehicles_and_bookings(
    client, hub_manager, hub, other_hub, resident
):
    mine = Vehicle.objects.filter(hub=hub).earliest("pk")
    theirs = Vehicle.objects.filter(hub=other_hub).earliest("pk")
    my_booking = book(resident, hub, start=NOW + timedelta(days=1))
    their_booking = book(resident, other_hub, start=NOW + timedelta(days=1))
    client.force_login(hub_manager)

    vehicles = client.get(reverse("admin:sharing_vehicle_changelist"))
    bookings = client.get(reverse("admin:sharing_booking_changelist"))

    assert {v.pk for v in vehicles.context["cl"].result_list} == set(
        Vehicle.objects.filter(hub=hub).values_list("pk", flat=True)
    )
    assert theirs.plate not in vehicles.content.decode()
    assert {b.pk for b in bookings.context["cl"].result_list} == {my_booking.pk}
    assert client.get(reverse("admin:sharing_vehicle_change", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:sharing_vehicle_change", args=[theirs.pk])).status_code == 404
    assert (
        client.get(reverse("admin:sharing_booking_change", args=[their_booking.pk])).status_code
        == 404
    )
    assert client.get(reverse("admin:sharing_hub_change", args=[other_hub.pk])).status_code == 404


def test_hub_manager_cannot_act_on_another_hubs_car(client, hub_manager, other_hub):
    theirs = Vehicle.objects.filter(hub=other_hub).earliest("pk")
    client.force_login(hub_manager)

    client.post(
        reverse("admin:sharing_vehicle_changelist"),
        {"action": "retire", "_selected_action": [theirs.pk]},
    )

    theirs.refresh_from_db()
    assert theirs.status == "active"


def test_hub_manager_chooses_only_their_hubs_in_forms(client, hub_manager, hub, other_hub):
    client.force_login(hub_manager)

    response = client.get(reverse("admin:sharing_vehicle_add"))

    choices = list(response.context["adminform"].form.fields["hub"].queryset)
    assert choices == [hub]


def test_hub_manager_sees_only_their_chargers_and_runs(client, hub_manager, hub, other_hub):
    client.force_login(hub_manager)

    chargers = client.get(reverse("admin:energy_charger_changelist"))

    assert {c.bay.hub_id for c in chargers.context["cl"].result_list} == {hub.pk}
    assert client.get(reverse("admin:sharing_hub_replan", args=[other_hub.pk])).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "admin:sharing_booking_late",
        "admin:sharing_booking_report",
        "admin:energy_priceslot_upload",
        "admin:energy_flexoffer_summary",
        "admin:energy_dispatchrun_energy_report",
        "admin:sharing_vehicle_changelist",
    ],
)
def test_residents_are_sent_to_the_log_in(client, resident, name):
    client.force_login(resident)

    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_permissions_get_403_on_the_custom_pages(client, db):
    from tests.factories import UserFactory

    staff = UserFactory(email="temp@example.org", is_staff=True, household=None)
    client.force_login(staff)

    assert client.get(reverse("admin:sharing_booking_late")).status_code == 403
    assert client.get(reverse("admin:energy_priceslot_upload")).status_code == 403
