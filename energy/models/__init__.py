"""Energy data of a hub: site and grid connection, PV, chargers, prices, residents' own cars,
charge-level readings, and the dispatch plans built from them.

Power and energy are stored as ``Decimal`` (kW and kWh to the watt / watt-hour); they become
floats only inside the solver (``energy.dispatch``).

The tables are split by subject (``site``, ``chargers``, ``markets``, ``plans``) and the grid
side's (``energy.grid.models``); every model is importable from here.
"""

from __future__ import annotations

from energy.grid.models import (
    Aggregator,
    CapacityEvent,
    ChargerIspPower,
    DPrognosis,
    DsoOrderSettlement,
    DsoSettlement,
    GridOffer,
    GridOfferSlot,
    GridOperator,
    GridOrder,
    GridOrderSlot,
    SiteIspPower,
    SiteMeter,
    SiteMeterReading,
    VtnConnection,
)
from energy.models.chargers import (
    ChargeLevelReading,
    Charger,
    ChargerStatus,
    ChargingSession,
    PrivateCar,
    ReadingSource,
    SessionStatus,
)
from energy.models.markets import (
    CarbonIntensityHour,
    CloudinessForecast,
    FlexPriceSlot,
    PriceSlot,
)
from energy.models.plans import (
    DispatchRun,
    FlexOffer,
    OfferStatus,
    PlanAssignment,
    PlanSlot,
    RunStatus,
)
from energy.models.site import (
    EUR_PER_KWH,
    KW,
    ZERO,
    BaseLoadProfile,
    PvSystem,
    Site,
)

__all__ = [
    "EUR_PER_KWH",
    "KW",
    "ZERO",
    "Aggregator",
    "BaseLoadProfile",
    "CapacityEvent",
    "CarbonIntensityHour",
    "ChargeLevelReading",
    "Charger",
    "ChargerIspPower",
    "ChargerStatus",
    "ChargingSession",
    "CloudinessForecast",
    "DPrognosis",
    "DispatchRun",
    "DsoOrderSettlement",
    "DsoSettlement",
    "FlexOffer",
    "FlexPriceSlot",
    "GridOffer",
    "GridOfferSlot",
    "GridOperator",
    "GridOrder",
    "GridOrderSlot",
    "OfferStatus",
    "PlanAssignment",
    "PlanSlot",
    "PriceSlot",
    "PrivateCar",
    "PvSystem",
    "ReadingSource",
    "RunStatus",
    "SessionStatus",
    "Site",
    "SiteIspPower",
    "SiteMeter",
    "SiteMeterReading",
    "VtnConnection",
]
