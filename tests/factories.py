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
    licence_expires_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=3 * 365))
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
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
