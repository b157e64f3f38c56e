"""Each energy task in eager mode, and the export_scenario command."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from energy.dispatch import parse_scenario
from energy.models import DispatchRun, PriceSlot, RunStatus
from energy.services.planning import hub_plan
from energy.tasks import import_prices_from_inbox, plan_all_hubs, plan_hub, purge_old_runs
from tests.energy.conftest import make_hub


@pytest.mark.django_db
def test_plan_all_hubs_plans_every_hub_with_a_site(hub):
    make_hub(slug="second", cars=1)
    assert plan_all_hubs.delay().get() == 2
    assert DispatchRun.objects.filter(is_current=True, status=RunStatus.SUCCEEDED).count() == 2


@pytest.mark.django_db
def test_a_made_plan_sends_the_grid_operator_its_prognoses_and_a_missing_hub_does_not(
    hub, monkeypatch
):
    from energy.grid import tasks as grid_tasks

    queued: list[int] = []
    monkeypatch.setattr(grid_tasks.send_d_prognoses, "delay", queued.append)

    outcome = plan_hub.delay(hub.pk, "manual: test").get()
    plan_hub.delay(987654).get()

    assert outcome["status"] == "planned"
    assert queued == [hub.pk]


@pytest.mark.django_db
def test_plan_hub_task_reports_a_missing_hub():
    assert plan_hub.delay(987654).get() == {"hub": 987654, "status": "missing", "run": None}


@pytest.mark.django_db
def test_purge_old_runs_keeps_recent_ones_and_every_current_plan(hub, settings):
    current = hub_plan(hub=hub, trigger="now", slots=8)
    old = hub_plan(hub=hub, trigger="old", slots=8)  # becomes current; first one is superseded
    current.refresh_from_db()
    long_ago = timezone.now() - timedelta(days=settings.DISPATCH_RUN_RETENTION_DAYS + 1)
    DispatchRun.objects.filter(pk__in=[current.pk, old.pk]).update(created_at=long_ago)
    recent = hub_plan(hub=hub, trigger="recent", slots=8)
    DispatchRun.objects.filter(pk=recent.pk).update(is_current=False)
    DispatchRun.objects.filter(pk=old.pk).update(is_current=True)
    assert purge_old_runs.delay().get() == 1  # only the old, superseded run
    assert set(DispatchRun.objects.values_list("pk", flat=True)) == {old.pk, recent.pk}


@pytest.mark.django_db
def test_import_prices_from_inbox_moves_files_to_done_or_failed(tmp_path, settings):
    settings.PRICE_INBOX_DIR = str(tmp_path)
    (tmp_path / "good.csv").write_text(
        "datetime_utc,datetime_local,price_eur_per_mwh\n2026-01-01T00:00:00Z,x,50\n"
    )
    (tmp_path / "bad.csv").write_text("nonsense\n")
    assert import_prices_from_inbox.delay().get() == 1
    assert PriceSlot.objects.count() == 4
    assert (tmp_path / "done" / "good.csv").exists()
    assert (tmp_path / "failed" / "bad.csv").exists()


@pytest.mark.django_db
def test_export_scenario_writes_a_valid_document_that_matches_the_run_builder(hub, tmp_path):
    out = tmp_path / "scenario.json"
    call_command("export_scenario", "--hub", hub.slug, "--slots", "96", "--out", str(out))
    scenario = parse_scenario(json.loads(out.read_text()))
    assert scenario.slots == 96
    assert {v.id for v in scenario.vehicles} == set(hub.vehicles.values_list("plate", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hub", "nowhere"], "no hub"),
        (["--hub", "testhub", "--slots", "0"], "between 1 and 4032"),
        (["--hub", "testhub", "--start", "tomorrow"], "not ISO 8601"),
    ],
)
def test_export_scenario_refuses_bad_input_with_exit_2(hub, tmp_path, args, message):
    with pytest.raises(CommandError) as caught:
        call_command("export_scenario", *args, "--out", str(tmp_path / "x.json"))
    assert caught.value.returncode == 2
    assert message in str(caught.value)
    assert not (tmp_path / "x.json").exists()
