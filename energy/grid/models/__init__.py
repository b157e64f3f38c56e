"""Grid operators, aggregator counterparties, and what the hub sent them and agreed with them.

Imported by ``energy.models`` (the app's model module), so the tables belong to ``energy``.
``flexibility`` holds the UFTP and aggregator trade, ``metering`` the site meter and its
readings, ``settlement`` the grid operators' FlexSettlements, ``openadr`` the VTN connection
and its events; migrations name ``energy.grid.models.validate_public_key``, so it is
importable here. Powers here are whole watts with the UFTP sign (positive: the hub imports); see
``energy.grid``.
"""

from __future__ import annotations

from energy.grid.models.flexibility import (
    DOMAIN_RE,
    Aggregator,
    ChargerIspPower,
    DPrognosis,
    FlexDirection,
    GridOffer,
    GridOfferSlot,
    GridOfferStatus,
    GridOperator,
    GridOrder,
    GridOrderSlot,
    PrognosisStatus,
    token_digest,
    validate_public_key,
)
from energy.grid.models.metering import SiteIspPower, SiteMeter, SiteMeterReading
from energy.grid.models.openadr import (
    ENV_NAME_RE,
    CapacityEvent,
    CapacityEventStatus,
    CapacityPayload,
    VtnConnection,
)
from energy.grid.models.settlement import DsoOrderSettlement, DsoSettlement, SettlementVerdict

__all__ = [
    "DOMAIN_RE",
    "ENV_NAME_RE",
    "Aggregator",
    "CapacityEvent",
    "CapacityEventStatus",
    "CapacityPayload",
    "ChargerIspPower",
    "DPrognosis",
    "DsoOrderSettlement",
    "DsoSettlement",
    "FlexDirection",
    "GridOffer",
    "GridOfferSlot",
    "GridOfferStatus",
    "GridOperator",
    "GridOrder",
    "GridOrderSlot",
    "PrognosisStatus",
    "SettlementVerdict",
    "SiteIspPower",
    "SiteMeter",
    "SiteMeterReading",
    "VtnConnection",
    "token_digest",
    "validate_public_key",
]
