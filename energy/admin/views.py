"""Pages of the energy admin: a run's plan drawn as inline SVG, the price upload form, the
flexibility summary per hub and day, and the monthly energy CSV.

Reads only; the price upload calls ``prices_import``. Charts are server-rendered SVG, so the
pages work without JavaScript.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from html import escape
from typing import Any

from django import forms
from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise as StrPromise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from energy.grid.day import GridDay
from energy.grid.settlement import month_income
from energy.models import (
    DispatchRun,
    FlexOffer,
    OfferStatus,
    PlanSlot,
    RunStatus,
)
from energy.selectors import local_day_bounds, run_series
from sharing.admin.scope import scope
from sharing.admin.views import month_bounds
from sharing.models import Hub

ZERO = Decimal("0")
QUARTER = Decimal("0.25")
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]


# --- SVG ---------------------------------------------------------------------------------------


@dataclass
class Line:
    label: str | StrPromise
    values: Sequence[float | None]  # None: a gap in the line
    colour: str = "#1f77b4"
    dashed: bool = False


def svg_chart(
    lines: Sequence[Line],
    *,
    title: str,
    unit: str,
    starts: Sequence[datetime],
    width: int = 720,
    height: int = 160,
) -> SafeString:
    """A line chart as inline SVG, with a text alternative for screen readers."""
    pad_l, pad_r, pad_t, pad_b = 48, 8, 8, 22
    values = [v for line in lines for v in line.values if v is not None] or [0.0]
    lo, hi = min(0.0, min(values)), max(values)
    if hi - lo < 1e-9:
        hi = lo + 1
    n = max((len(line.values) for line in lines), default=1)
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b

    def x(i: int) -> float:
        return pad_l + (inner_w * i / max(n - 1, 1))

    def y(v: float) -> float:
        return pad_t + inner_h * (hi - v) / (hi - lo)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="plan-chart"><title>{escape(title)}</title>',
        f'<line x1="{pad_l}" y1="{y(0):.1f}" x2="{width - pad_r}" y2="{y(0):.1f}" stroke="#999"/>',
        f'<text x="2" y="{pad_t + 10}" font-size="10">{hi:.1f} {escape(unit)}</text>',
        f'<text x="2" y="{pad_t + inner_h}" font-size="10">{lo:.1f} {escape(unit)}</text>',
    ]
    if starts:
        first, last = timezone.localtime(starts[0]), timezone.localtime(starts[-1])
        parts.append(
            f'<text x="{pad_l}" y="{height - 6}" font-size="10">{first:%a %H:%M}</text>'
            f'<text x="{width - pad_r - 60}" y="{height - 6}" font-size="10">{last:%a %H:%M}</text>'
        )
    for line in lines:
        dash = ' stroke-dasharray="4 3"' if line.dashed else ""
        for run in _runs(line.values):
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
            parts.append(
                f'<polyline fill="none" stroke="{line.colour}" stroke-width="1.5"{dash} '
                f'points="{points}"><title>{escape(str(line.label))}</title></polyline>'
            )
    parts.append("</svg>")
    legend = " · ".join(
        f'<span style="color:{line.colour}">■</span> {escape(str(line.label))}' for line in lines
    )
    return mark_safe(f"<figure>{''.join(parts)}<figcaption>{legend}</figcaption></figure>")  # noqa: S308 - built from escaped parts


def _runs(values: Sequence[float | None]) -> Iterator[list[tuple[int, float]]]:
    """The stretches of a line between its gaps, each as (index, value) points."""
    run: list[tuple[int, float]] = []
    for i, v in enumerate(values):
        if v is None:
            if run:
                yield run
            run = []
        else:
            run.append((i, v))
    if run:
        yield run


@dataclass
class VehiclePlan:
    label: str
    power_kw: list[float] = field(default_factory=list)
    soc_kwh: list[float] = field(default_factory=list)
    chart: SafeString | None = None


@dataclass
class RunPage:
    run: DispatchRun
    site_chart: SafeString | None
    vehicles: list[VehiclePlan]
    peak_import_kw: float | None
    import_limit_kw: float | None


def run_page(run: DispatchRun) -> RunPage:
    """Per vehicle: power and charge over the horizon; the site: grid import against its limit."""
    plans: dict[tuple[int | None, int | None], VehiclePlan] = {}
    starts: list[datetime] = []
    seen: set[datetime] = set()
    for plate, vehicle_id, session_id, start, power, soc in (
        PlanSlot.objects.filter(run=run)
        .order_by("vehicle_id", "session_id", "start")
        .values_list("vehicle__plate", "vehicle_id", "session_id", "start", "power_kw", "soc_kwh")
    ):
        key = (vehicle_id, session_id)
        if key not in plans:
            plans[key] = VehiclePlan(label=plate or f"session {session_id}")
        plans[key].power_kw.append(float(power))
        plans[key].soc_kwh.append(float(soc))
        if start not in seen:
            seen.add(start)
            starts.append(start)
    starts.sort()
    for plan in plans.values():
        plan.chart = svg_chart(
            [
                Line(_("power (kW, + charge / - discharge)"), plan.power_kw, COLOURS[0]),
                Line(_("charge level (kWh)"), plan.soc_kwh, COLOURS[2]),
            ],
            title=f"{plan.label}: power and charge level",
            unit="",
            starts=starts,
            height=120,
        )
    site_chart = None
    peak = limit = None
    site = (run.scenario or {}).get("site") if isinstance(run.scenario, dict) else None
    if site and "pv_kw" in site and "base_load_kw" in site:
        series = run_series(run)
        limit = series.import_limit_kw
        peak = max(series.grid_kw, default=0.0)
        site_chart = svg_chart(
            [
                Line(_("grid import (kW)"), series.grid_kw, COLOURS[1]),
                Line(_("import limit (kW)"), [limit] * len(series.grid_kw), "#000", dashed=True),
                Line(_("PV (kW)"), series.pv_kw, COLOURS[3]),
                Line(_("fleet (kW)"), series.fleet_kw, COLOURS[0]),
            ],
            title="grid import against its limit",
            unit="kW",
            starts=series.starts or starts,
            height=200,
        )
    return RunPage(
        run=run,
        site_chart=site_chart,
        vehicles=list(plans.values()),
        peak_import_kw=peak,
        import_limit_kw=limit,
    )


def grid_day_chart(day: GridDay) -> SafeString:
    """The hub's grid day (``energy.grid.day``) in kW: baseline, the band offered around it,
    the ordered target and the measured net (gaps where a figure is not known)."""

    def kw(w: int | None) -> float | None:
        return None if w is None else w / 1000

    rows = day.isps
    base = [kw(i.baseline_w) for i in rows]
    return svg_chart(
        [
            Line(_("baseline (kW)"), base, "#000"),
            Line(
                _("offered band, less import (kW)"),
                [
                    None if b is None else b - i.offered_up_w / 1000
                    for b, i in zip(base, rows, strict=True)
                ],
                COLOURS[2],
                dashed=True,
            ),
            Line(
                _("offered band, more import (kW)"),
                [
                    None if b is None else b + i.offered_down_w / 1000
                    for b, i in zip(base, rows, strict=True)
                ],
                COLOURS[3],
                dashed=True,
            ),
            Line(
                _("ordered: baseline plus the ordered deviation (kW)"),
                [
                    None if b is None or not i.ordered_w else b + i.ordered_w / 1000
                    for b, i in zip(base, rows, strict=True)
                ],
                COLOURS[1],
            ),
            Line(_("measured net (kW)"), [kw(i.measured_w) for i in rows], COLOURS[0]),
        ],
        title=f"{day.hub}: grid day {day.day.isoformat()}",
        unit="kW",
        starts=[i.start for i in rows],
        height=220,
    )


# --- price upload ------------------------------------------------------------------------------


class PriceUploadForm(forms.Form):
    file = forms.FileField(label=_("Price file"), help_text=_("ENTSO-E CSV or one of ours."))
    area = forms.CharField(label=_("Price area"), max_length=8, initial="NL")
    source = forms.CharField(label=_("Source"), max_length=120, required=False)


# --- flexibility per hub and day ---------------------------------------------------------------


class HubDayForm(forms.Form):
    hub = forms.ModelChoiceField(label=_("Hub"), queryset=Hub.objects.none())
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["hub"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = scope(Hub.objects.all(), request)


def _income() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("up_kw") * F("up_eur_per_kw") + F("down_kw") * F("down_eur_per_kw"),
        output_field=DecimalField(max_digits=20, decimal_places=8),
    )


@dataclass
class FlexDay:
    offers: Sequence[FlexOffer]
    offered_up_kw: Decimal
    offered_down_kw: Decimal
    activated_up_kw: Decimal
    activated_down_kw: Decimal
    income_eur: Decimal


def flex_day(*, hub: Hub, day: date) -> FlexDay:
    """The hub's offers of one local day, slot by slot, and their totals.

    Income is what holding the offered capacity earns (offered and activated offers; drafts and
    expired ones earn nothing).
    """
    lo, hi = local_day_bounds(day, hub.tz)
    offers = list(
        FlexOffer.objects.filter(hub=hub, start__gte=lo, start__lt=hi)
        .annotate(income=_income())
        .order_by("start")
    )
    earning = {OfferStatus.OFFERED, OfferStatus.ACTIVATED}
    return FlexDay(
        offers=offers,
        offered_up_kw=sum((o.up_kw for o in offers), ZERO),
        offered_down_kw=sum((o.down_kw for o in offers), ZERO),
        activated_up_kw=sum((o.activated_up_kw for o in offers), ZERO),
        activated_down_kw=sum((o.activated_down_kw for o in offers), ZERO),
        income_eur=sum(
            (o.income for o in offers if o.status in earning),
            ZERO,
        ).quantize(Decimal("0.01")),
    )


# --- energy per month --------------------------------------------------------------------------

ENERGY_COLUMNS = [
    "hub",
    "month",
    "kwh_charged",
    "kwh_discharged",
    "kwh_pv_used",
    "flex_income_eur",
    "grid_orders_income_eur",
]


def _kwh(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.001")))


def hub_month_energy(*, hub: Hub, first: date) -> dict[str, Decimal]:
    """Energy as carried out in ``first``'s month: at each slot, the first slot of the newest
    successful run that began there is what the chargers were told (as in
    ``energy.selectors.session_executed_fed_back_kwh``). PV used is the PV the site took itself
    (at most its demand) in those slots; income is that of offered and activated offers."""
    lo, hi = month_bounds(first)
    chosen: dict[datetime, tuple[int, float, float]] = {}
    for pk, start, pv, base in (
        DispatchRun.objects.filter(
            hub=hub, status=RunStatus.SUCCEEDED, horizon_start__gte=lo, horizon_start__lt=hi
        )
        .order_by("horizon_start", "-created_at")
        .values_list(
            "pk", "horizon_start", "scenario__site__pv_kw__0", "scenario__site__base_load_kw__0"
        )
    ):
        chosen.setdefault(start, (pk, float(pv or 0), float(base or 0)))
    run_ids = [pk for pk, _pv, _base in chosen.values()]
    per_run: dict[int, tuple[Decimal, Decimal]] = defaultdict(lambda: (ZERO, ZERO))
    for run_id, charged, discharged in (
        PlanSlot.objects.filter(run_id__in=run_ids, start=F("run__horizon_start"))
        .values("run_id")
        .annotate(
            charged=Coalesce(Sum("power_kw", filter=Q(power_kw__gt=0)), ZERO),
            discharged=Coalesce(Sum("power_kw", filter=Q(power_kw__lt=0)), ZERO),
        )
        .values_list("run_id", "charged", "discharged")
    ):
        per_run[run_id] = (charged, -discharged)
    charged = discharged = pv_used = ZERO
    for run_id, pv, base in chosen.values():
        c, d = per_run[run_id]
        charged += c * QUARTER
        discharged += d * QUARTER
        demand = Decimal(str(base)) + c - d
        pv_used += max(ZERO, min(Decimal(str(pv)), demand)) * QUARTER
    income = FlexOffer.objects.filter(
        hub=hub,
        start__gte=lo,
        start__lt=hi,
        status__in=[OfferStatus.OFFERED, OfferStatus.ACTIVATED],
    ).aggregate(total=Coalesce(Sum(_income()), ZERO))["total"]
    return {
        "kwh_charged": charged,
        "kwh_discharged": discharged,
        "kwh_pv_used": pv_used,
        "flex_income_eur": Decimal(income),
    }


def energy_csv_rows(hubs: QuerySet[Hub], first: date) -> Iterator[list[str]]:
    yield ENERGY_COLUMNS
    orders = month_income(hubs, first)  # accepted flexibility orders, as delivered
    for hub in hubs.order_by("slug"):
        row = hub_month_energy(hub=hub, first=first)
        yield [
            hub.slug,
            f"{first:%Y-%m}",
            _kwh(row["kwh_charged"]),
            _kwh(row["kwh_discharged"]),
            _kwh(row["kwh_pv_used"]),
            str(row["flex_income_eur"].quantize(Decimal("0.01"))),
            str(orders.get(hub.pk, Decimal(0)).quantize(Decimal("0.01"))),
        ]
