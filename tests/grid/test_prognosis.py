"""D-Prognoses: a new revision only when the plan changed it, and no more often than the
grid operator allows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from energy.grid.selectors import day_isp_starts
from energy.grid.services import prognoses_prepare
from energy.models import DPrognosis
from sharing.models import Vehicle
from tests.factories import current_plan
from tests.grid.helpers import planned_tomorrow, stedin, tomorrow

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return stedin(min_prognosis_interval_seconds=600)


def test_a_changed_plan_is_a_new_revision_at_most_once_per_interval(operator):
    hub = planned_tomorrow(operator)
    drafts, wait = prognoses_prepare(hub=hub)
    assert wait == 0 and [d.record.revision for d in drafts] == [1]
    first = drafts[0].record
    assert first.period == tomorrow(hub)
    assert drafts[0].congestion_point == "ean.871687120000000001"
    assert set(first.isp_power_w) == {-2000}  # 5 kW homes + 3 kW car - 10 kW PV: export 2 kW
    assert len(first.isp_power_w) == len(day_isp_starts(tomorrow(hub), hub.time_zone))

    assert prognoses_prepare(hub=hub) == ([], 0.0)  # nothing changed: nothing sent

    starts = day_isp_starts(tomorrow(hub), hub.time_zone)
    cars = list(Vehicle.objects.filter(hub=hub))
    current_plan(hub, start=starts[0], slots=len(starts), vehicles=cars, power_kw=6.0)
    drafts, wait = prognoses_prepare(hub=hub)
    assert drafts == [] and 0 < wait <= 600  # the operator's interval holds it back
    with time_machine.travel(timezone.now() + timedelta(seconds=601)):
        drafts, wait = prognoses_prepare(hub=hub)
    assert [d.record.revision for d in drafts] == [2]
    assert set(drafts[0].record.isp_power_w) == {1000}
    assert DPrognosis.objects.filter(hub=hub).count() == 2


def test_no_operator_no_prognosis():
    hub = planned_tomorrow(None)
    assert prognoses_prepare(hub=hub) == ([], 0.0)
    assert not DPrognosis.objects.exists()
