"""factory_boy factories shared by all test packages."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Household, Invitation, LicenceStatus, User

PASSWORD = "correct-horse-battery-staple"


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    name = factory.Sequence(lambda n: f"Household {n}")
    address = factory.Sequence(lambda n: f"Wisselspoor {n + 100}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"resident{n}@example.org")
    full_name = factory.Faker("name", locale="nl_NL")
    household = factory.SubFactory(HouseholdFactory)
    email_confirmed_at = factory.LazyFunction(timezone.now)
    licence_status = LicenceStatus.APPROVED
    licence_expires_on = factory.LazyFunction(
        lambda: timezone.localdate() + timedelta(days=3 * 365)
    )
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    household = factory.SubFactory(HouseholdFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


# --- sharing ---------------------------------------------------------------------------------


class HubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sharing.Hub"
        django_get_or_create = ("slug",)

    name = "Wisselspoor"
    slug = "wisselspoor"
    address = "Wisselspoor, Utrecht"


class VehicleModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sharing.VehicleModel"
        django_get_or_create = ("make", "model")

    make = "Renault"
    model = "5 E-Tech 52 kWh"
    usable_battery_kwh = 52
    consumption_kwh_per_km = "0.150"
    ac_charge_kw = 11
    ac_discharge_kw = 11
    bidirectional = True
    max_promised_range_km = 300


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sharing.Vehicle"

    plate = factory.Sequence(lambda n: f"WS-{n:03d}-E")
    model = factory.SubFactory(VehicleModelFactory)
    hub = factory.SubFactory(HubFactory)


# --- energy pages ----------------------------------------------------------------------------


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "energy.Site"
        django_get_or_create = ("hub",)

    hub = factory.SubFactory(HubFactory)
    ean = "871687120000000001"
    grid_import_limit_kw = 40
    grid_export_limit_kw = 30
    homes = 20


class BayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sharing.Bay"

    hub = factory.SubFactory(HubFactory)
    label = factory.Sequence(lambda n: f"P{n:02d}")


class PrivateCarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "energy.PrivateCar"

    owner = factory.SubFactory(UserFactory)
    plate = factory.Sequence(lambda n: f"PR-{n:03d}-X")
    battery_kwh = 60
    max_charge_kw = 11
    max_discharge_kw = 7
    may_feed_back = True
    floor_kwh = 10


class ChargingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "energy.ChargingSession"

    car = factory.SubFactory(PrivateCarFactory)
    bay = factory.SubFactory(BayFactory)
    plugged_in_at = factory.LazyFunction(timezone.now)
    initial_soc_kwh = 20
    departure_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=10))
    target_soc_kwh = 45


def current_plan(
    hub,
    *,
    start,
    slots=8,
    vehicles=(),
    sessions=(),
    power_kw=3.0,
    pv_kw=10.0,
    base_load_kw=5.0,
    flex_up_kw=1.0,
    flex_down_kw=0.5,
):
    """A succeeded, current DispatchRun of ``hub`` with flat PlanSlot rows from ``start``.

    The scenario document holds only what the pages read (``site``); every vehicle and
    session charges ``power_kw`` in every slot, their charge rising from 20 kWh.
    """
    from energy.models import DispatchRun, PlanSlot, RunStatus

    DispatchRun.objects.filter(hub=hub, is_current=True).update(is_current=False)
    run = DispatchRun.objects.create(
        hub=hub,
        trigger="test",
        status=RunStatus.SUCCEEDED,
        is_current=True,
        horizon_start=start,
        slots=slots,
        finished_at=timezone.now(),
        scenario={
            "site": {
                "grid_import_limit_kw": 40.0,
                "grid_export_limit_kw": 30.0,
                "base_load_kw": [base_load_kw] * slots,
                "pv_kw": [pv_kw] * slots,
            }
        },
    )
    rows = []
    for owner in [*(("vehicle", v) for v in vehicles), *(("session", s) for s in sessions)]:
        for t in range(slots):
            rows.append(
                PlanSlot(
                    run=run,
                    start=start + timedelta(minutes=15 * t),
                    power_kw=power_kw,
                    soc_kwh=20 + t * power_kw / 4,
                    flex_up_kw=flex_up_kw,
                    flex_down_kw=flex_down_kw,
                    **{owner[0]: owner[1]},
                )
            )
    PlanSlot.objects.bulk_create(rows)
    return run


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking written directly (no rules, no check): for admin lists and reports."""

    class Meta:
        model = "sharing.Booking"

    resident = factory.SubFactory(UserFactory)
    household = factory.LazyAttribute(lambda o: o.resident.household)
    hub = factory.SubFactory(HubFactory)
    start = factory.LazyFunction(lambda: timezone.now().replace(second=0, microsecond=0))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=2))
    # The bound car's block, as booking_create sets it: [start - buffer, end + buffer).
    block_start = factory.LazyAttribute(lambda o: o.start - o.hub.buffer)
    block_end = factory.LazyAttribute(lambda o: o.end + o.hub.buffer)
    promised_range_km = 50
    expected_km = 40
