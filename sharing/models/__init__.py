"""Hubs, bays, cars, bookings and trips.

Times are stored in UTC; a hub's ``time_zone`` is used to validate the booking grid and to show
times to residents. Money is ``Decimal`` in euros, energy in kWh, distance in km.

The models live in three modules, all gathered here (``from sharing.models import Booking``) so
that Django and the migrations find them: :mod:`.hubs` (hubs, bays, vehicle models, cars, their
photos and their maintenance), :mod:`.bookings` (bookings and what hangs on them) and
:mod:`.trips` (trips and damage reports).
"""

from __future__ import annotations

from sharing.models.bookings import (
    HOLDS_CAR_STATUSES,
    OPEN_STATUSES,
    Booking,
    BookingQuerySet,
    BookingStatus,
    BookingVehicleChange,
    FairUseOverride,
    TsTzRange,
)
from sharing.models.hubs import (
    Bay,
    Hub,
    MaintenanceBlock,
    Vehicle,
    VehicleModel,
    VehiclePhoto,
    VehicleStatus,
)
from sharing.models.trips import DamageReport, Trip

__all__ = [
    "HOLDS_CAR_STATUSES",
    "OPEN_STATUSES",
    "Bay",
    "Booking",
    "BookingQuerySet",
    "BookingStatus",
    "BookingVehicleChange",
    "DamageReport",
    "FairUseOverride",
    "Hub",
    "MaintenanceBlock",
    "Trip",
    "TsTzRange",
    "Vehicle",
    "VehicleModel",
    "VehiclePhoto",
    "VehicleStatus",
]
