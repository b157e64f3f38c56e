"""Writes of the grid side: D-Prognoses sent, offers made, orders accepted (exactly once), the
site meter's readings kept, and the grid operators' settlements checked.

The same rules serve the UFTP service (``energy.grid.uftp``) and the aggregator API
(``energy.grid.api``): a refused request or order raises ``Rejected`` with the UFTP rejection
reason, before anything is written.
"""

from __future__ import annotations

from energy.grid.services.common import Rejected
from energy.grid.services.counterparties import (
    aggregator_token_issue,
    hub_of_congestion_point,
    operator_message_record,
)
from energy.grid.services.disputes import dso_dispute_resolve, dso_disputes_alert
from energy.grid.services.dso_settlement import (
    OrderClaim,
    SettledIsp,
    SettlementAnswer,
    flex_settlement_check,
)
from energy.grid.services.metering import charger_power_record
from energy.grid.services.offers import RequestedIsp, flex_offers_make, offer_response_record
from energy.grid.services.orders import OrderedIsp, OrderOutcome, flex_order_accept
from energy.grid.services.prognosis import (
    PrognosisDraft,
    prognoses_prepare,
    prognosis_response_record,
    prognosis_sent,
)
from energy.grid.services.retention import site_meter_readings_prune
from energy.grid.services.site_meter import (
    ReadingError,
    ReadingsOutcome,
    SiteReading,
    site_meter_token_issue,
    site_reading_check,
    site_readings_parse,
    site_readings_record,
)

__all__ = [
    "OrderClaim",
    "OrderOutcome",
    "OrderedIsp",
    "PrognosisDraft",
    "ReadingError",
    "ReadingsOutcome",
    "Rejected",
    "RequestedIsp",
    "SettledIsp",
    "SettlementAnswer",
    "SiteReading",
    "aggregator_token_issue",
    "charger_power_record",
    "dso_dispute_resolve",
    "dso_disputes_alert",
    "flex_offers_make",
    "flex_order_accept",
    "flex_settlement_check",
    "hub_of_congestion_point",
    "offer_response_record",
    "operator_message_record",
    "prognoses_prepare",
    "prognosis_response_record",
    "prognosis_sent",
    "site_meter_readings_prune",
    "site_meter_token_issue",
    "site_reading_check",
    "site_readings_parse",
    "site_readings_record",
]
