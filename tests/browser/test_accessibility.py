"""axe-core (vendored in static/vendor/axe by scripts/vendor_axe.sh, served by the project) finds
no serious or critical violation on the resident pages this project changed, at phone size, in
English and Dutch."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from sharing.models import BookingStatus, Trip
from tests.browser.conftest import open_menu
from tests.factories import (
    BayFactory,
    BookingFactory,
    ChargingSessionFactory,
    HubFactory,
    PrivateCarFactory,
    SiteFactory,
    VehicleFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = "/static/vendor/axe/axe.min.js"


def serious_violations(page: Any) -> list[str]:
    page.add_script_tag(url=AXE)
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document);
            return [result.passes.length, result.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)];
        }"""
    )
    passes, violations = found
    assert passes > 0  # axe ran and checked something
    return list(violations)


@pytest.fixture
def pages(resident: Any) -> list[str]:
    hub = HubFactory(latitude=Decimal("52.0945"), longitude=Decimal("5.0989"))
    SiteFactory(hub=hub)
    car = VehicleFactory.create(hub=hub, home_bay=BayFactory(hub=hub, label="B01"))
    now = timezone.now().replace(second=0, microsecond=0)
    past = BookingFactory.create(
        resident=resident, hub=hub, vehicle=car, start=now - timedelta(hours=30),
        end=now - timedelta(hours=28), status=BookingStatus.COMPLETED,
    )  # fmt: skip
    Trip.objects.create(
        booking=past, vehicle=car, picked_up_at=past.start, returned_at=past.end,
        odometer_out_km=10, odometer_in_km=40, kwh_used=Decimal("5"),
    )  # fmt: skip
    bound = BookingFactory.create(
        resident=resident, hub=hub, vehicle=car, status=BookingStatus.BOUND,
        start=now + timedelta(minutes=5), end=now + timedelta(hours=2),
    )  # fmt: skip
    own = PrivateCarFactory(owner=resident)
    session = ChargingSessionFactory.create(car=own, bay=BayFactory(hub=hub, label="P1"))
    return [
        "/",
        "/book/",
        "/history/",
        "/statement/",
        f"/bookings/{bound.pk}/",
        f"/bookings/{bound.pk}/pick-up/",
        f"/energy/my-car/session/{session.pk}/",
        "/offline/",
    ]


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_no_serious_accessibility_violations(page, login, resident, pages, lang):
    login(resident)
    if lang == "nl":
        open_menu(page)
        page.get_by_label("Language").select_option("nl")
        page.locator("#site-menu .lang button").click()
        page.wait_for_function("document.documentElement.lang === 'nl'")
    problems = {}
    for url in pages:
        page.goto(url)
        found = serious_violations(page)
        if page.locator("#site-menu > summary").is_visible():
            open_menu(page)  # the menu's contents too
            found += serious_violations(page)
        if found:
            problems[url] = sorted(set(found))
    assert problems == {}
