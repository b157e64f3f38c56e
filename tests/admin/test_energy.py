"""Fiona looks at plans, re-plans a hub, uploads prices, reads flexibility and energy per month."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from energy.models import DispatchRun, FlexOffer, OfferStatus, PriceSlot, RunStatus
from sharing.models import Vehicle
from tests.admin.conftest import NOW
from tests.factories import current_plan

GOOD = (
    "datetime_utc,datetime_local,price_eur_per_mwh\n"
    "2026-12-01T00:00:00Z,2026-12-01T01:00:00+01:00,100.0\n"
    "2026-12-01T01:00:00Z,2026-12-01T02:00:00+01:00,80.0\n"
)
BAD = GOOD + "2026-12-01T02:00:00Z,2026-12-01T03:00:00+01:00,cheap\n"


def _upload(client, text):
    return client.post(
        reverse("admin:energy_priceslot_upload"),
        {"file": SimpleUploadedFile("prices.csv", text.encode()), "area": "NL", "source": ""},
        follow=True,
    )


def test_price_upload_imports_every_slot_and_logs_it(admin_client):
    response = _upload(admin_client, GOOD)

    assert "Imported 8 price slots" in response.content.decode()
    assert PriceSlot.objects.count() == 8
    assert PriceSlot.objects.earliest("start").day_ahead_eur_per_kwh == Decimal("0.1")
    assert LogEntry.objects.filter(change_message__contains="Imported 8 price slots").exists()


def test_bad_price_file_names_the_line_and_writes_nothing(admin_client):
    response = _upload(admin_client, BAD)

    body = response.content.decode()
    assert "Nothing was imported: line 4" in body
    assert PriceSlot.objects.count() == 0


def test_run_plan_page_draws_each_vehicle_and_the_grid_against_its_limit(admin_client, hub):
    run = current_plan(hub, start=NOW, vehicles=list(Vehicle.objects.filter(hub=hub)))

    response = admin_client.get(reverse("admin:energy_dispatchrun_plan", args=[run.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('class="plan-chart"') == 1 + 3
    assert "import limit (kW)" in body
    assert "Peak import 4.0 kW; limit 40.0 kW." in body  # 5 base + 3 x 3 fleet - 10 PV


def test_run_changelist_queries_stay_flat_with_500_runs(
    admin_client, hub, django_assert_max_num_queries
):
    DispatchRun.objects.bulk_create(
        [
            DispatchRun(
                hub=hub,
                status=RunStatus.SUCCEEDED,
                horizon_start=NOW,
                slots=4,
                scenario={"big": list(range(100))},
                created_at=NOW - timedelta(minutes=n),
            )
            for n in range(500)
        ]
    )

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:energy_dispatchrun_changelist"))

    assert response.status_code == 200


def test_charger_changelist_shows_status_message_and_setpoint_with_flat_queries(
    admin_client, hub, django_assert_max_num_queries
):
    from energy.models import Charger
    from sharing.models import Bay

    bays = Bay.objects.bulk_create([Bay(hub=hub, label=f"X{n:03d}") for n in range(500)])
    Charger.objects.bulk_create(
        [
            Charger(bay=bay, ocpp_id=f"cp-{bay.label}", ac_charge_kw=11, current_setpoint_kw=7)
            for bay in bays
        ]
    )

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:energy_charger_changelist"))

    assert response.status_code == 200
    assert "7.000" in response.content.decode()


def test_replan_button_asks_for_a_plan_of_that_hub(admin_client, hub, replans):
    page = admin_client.get(reverse("admin:sharing_hub_change", args=[hub.pk]))
    assert "Re-plan this hub now" in page.content.decode()

    response = admin_client.post(reverse("admin:sharing_hub_replan", args=[hub.pk]))

    assert response.status_code == 302
    replans.admin.assert_called_once_with(hub_id=hub.pk, reason="manual (admin)")
    assert LogEntry.objects.filter(change_message="Re-plan requested").count() == 1


def test_flex_summary_per_hub_and_day(admin_client, hub):
    for n, status in enumerate([OfferStatus.OFFERED, OfferStatus.ACTIVATED, OfferStatus.DRAFT]):
        FlexOffer.objects.create(
            hub=hub,
            start=NOW + timedelta(minutes=15 * n),
            up_kw=Decimal("10"),
            down_kw=Decimal("5"),
            up_eur_per_kw=Decimal("0.10000"),
            down_eur_per_kw=Decimal("0.20000"),
            status=status,
            activated_up_kw=Decimal("4") if status == OfferStatus.ACTIVATED else 0,
        )

    response = admin_client.get(
        reverse("admin:energy_flexoffer_summary"), {"hub": hub.pk, "day": "2026-12-01"}
    )

    summary = response.context["summary"]
    assert len(summary.offers) == 3
    assert summary.offered_up_kw == Decimal("30")
    assert summary.activated_up_kw == Decimal("4")
    assert summary.income_eur == Decimal("4.00")  # two earning slots of 10x0.1 + 5x0.2


def test_energy_csv_per_month(admin_client, hub):
    cars = list(Vehicle.objects.filter(hub=hub))
    current_plan(hub, start=NOW, vehicles=cars, slots=4, power_kw=4.0, pv_kw=10.0)
    FlexOffer.objects.create(
        hub=hub,
        start=NOW,
        up_kw=Decimal("10"),
        down_kw=Decimal("0"),
        up_eur_per_kw=Decimal("0.50000"),
        down_eur_per_kw=Decimal("0"),
        status=OfferStatus.OFFERED,
    )

    response = admin_client.get(
        reverse("admin:energy_dispatchrun_energy_report"), {"month": "2026-12"}
    )

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    # The run's first slot was carried out: 3 cars x 4 kW for a quarter hour.
    assert rows == [
        {
            "hub": "wissel",
            "month": "2026-12",
            "kwh_charged": "3.000",
            "kwh_discharged": "0.000",
            "kwh_pv_used": "2.500",
            "flex_income_eur": "5.00",
            "grid_orders_income_eur": "0.00",
        }
    ]
