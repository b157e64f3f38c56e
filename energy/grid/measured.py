"""The connection's measured net power per ISP, from the best meter there is: the one read the
settlement (``energy.grid.settlement``), the admin's grid day chart (``energy.grid.day``) and
the residents' dashboard (``energy.selectors.dashboard_panels``) share, so the three never
disagree about what was measured or by which meter.

* The **site meter** (``SiteIspPower``: the mean of the connection meter's readings in the
  ISP) measures the connection's net power itself: ``measured_w = metered net``.
* Otherwise the **chargers** (``ChargerIspPower``: the mean of each charger's meter values in
  the ISP, summed over the hub's chargers), against the chargers' part of the plan the ISP is
  read against (``fleet_w``): the homes and the PV are not metered per ISP then, so they are
  taken as planned: ``measured_w = baseline_w - fleet_w + metered fleet``.

Each ISP says which it used (``source``: ``SITE_METER``, ``CHARGERS``, or empty when there is
no meter value, or only the chargers' and no plan to read them against). Powers are whole
watts with the UFTP sign (positive: the hub imports).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from energy.grid.models import ChargerIspPower, SiteIspPower

ISP = timedelta(minutes=15)
SITE_METER = "site_meter"
CHARGERS = "chargers"
SOURCE_LABELS = {SITE_METER: _("site meter"), CHARGERS: _("chargers"), "": _("no meter value")}


@dataclass(frozen=True)
class PlannedIsp:
    """What an ISP's measurement is read against: the planned net and its chargers' part."""

    start: datetime
    baseline_w: int | None  # None: no plan covers the ISP
    fleet_w: int | None  # None: the chargers' part is not known


@dataclass(frozen=True)
class MeasuredIsp:
    measured_w: int | None  # the connection's net power as measured (None: not measured)
    source: str = ""  # SITE_METER, CHARGERS or ""


def _chargers(hub_id: int, starts: Iterable[datetime]) -> dict[datetime, int]:
    by_start: dict[datetime, float] = defaultdict(float)
    for row in ChargerIspPower.objects.filter(hub_id=hub_id, start__in=list(starts)):
        by_start[row.start] += row.mean_kw
    return {start: round(kw * 1000) for start, kw in by_start.items()}


def _site(hub_id: int, starts: Iterable[datetime]) -> dict[datetime, int]:
    rows = SiteIspPower.objects.filter(hub_id=hub_id, start__in=list(starts), samples__gt=0)
    return {row.start: round(row.mean_kw * 1000) for row in rows}


def measured_net(*, hub_id: int, isps: Sequence[PlannedIsp]) -> dict[datetime, MeasuredIsp]:
    """The measured net power of each of ``isps`` (by start), and the meter it came from."""
    starts = [i.start for i in isps]
    site = _site(hub_id, starts) if starts else {}
    fleet = _chargers(hub_id, starts) if starts else {}
    out: dict[datetime, MeasuredIsp] = {}
    for i in isps:
        if i.start in site:
            out[i.start] = MeasuredIsp(site[i.start], SITE_METER)
        elif i.start in fleet and i.baseline_w is not None and i.fleet_w is not None:
            out[i.start] = MeasuredIsp(i.baseline_w - i.fleet_w + fleet[i.start], CHARGERS)
        else:
            out[i.start] = MeasuredIsp(None)
    return out
