"""`manage.py seed_demo`: a Wisselspoor-like hub with a live plan, and running it twice adds
nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import Household, Invitation, User
from energy.models import Charger, ChargingSession, DispatchRun, PvSystem, RunStatus, Site
from sharing.models import Bay, Booking, Vehicle

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


PLAN_OUTPUT = {"energy.DispatchRun", "energy.PlanSlot", "energy.PlanAssignment", "energy.FlexOffer"}


def _counts() -> dict[str, int]:
    """Rows per model, leaving out what a plan writes (seed_demo --no-plan writes none)."""
    return {
        model._meta.label: model._default_manager.count()
        for app in ("accounts", "sharing", "energy")
        for model in apps.get_app_config(app).get_models()
        if model._meta.label not in PLAN_OUTPUT
    }


def test_the_demo_hub_looks_like_wisselspoor_and_has_a_live_plan(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "resident@wisselstroom.example" in out and "DEMO-WSPR-JOIN" in out
    site = Site.objects.get(hub__slug="wisselspoor")
    assert Household.objects.count() == 122 and site.homes == 122
    assert site.grid_import_limit_kw == Decimal("250")
    assert 380 <= sum(p.kwp for p in PvSystem.objects.filter(site=site)) <= 420
    assert Vehicle.objects.count() == 20 and Bay.objects.count() == 30
    assert Charger.objects.filter(bidirectional=True).count() == 30
    assert ChargingSession.objects.filter(status="active").exists()  # residents' own cars
    assert Booking.objects.values("resident").distinct().count() >= 10  # a week of bookings
    run = DispatchRun.objects.get(is_current=True)
    assert run.status == RunStatus.SUCCEEDED
    assert User.objects.filter(is_staff=True).exists()
    assert Invitation.objects.filter(code="DEMO-WSPR-JOIN", used_at__isnull=True).exists()


def test_running_it_twice_duplicates_nothing():
    call_command("seed_demo", "--no-plan")
    first = _counts()
    call_command("seed_demo", "--no-plan")
    assert _counts() == first
