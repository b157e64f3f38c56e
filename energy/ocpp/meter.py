"""Reading OCPP meter values (1.6 and 2.0.1/2.1 shapes, keys already in snake_case).

1.6 sends ``{"timestamp", "sampled_value": [{"value": "7.4", "measurand", "unit", "phase"}]}``
with string values; 2.x sends numbers with ``unit_of_measure: {"unit", "multiplier"}``. Only
what the hub uses is read: active power (import less export) and the car's state of charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

POWER_IMPORT = "Power.Active.Import"
POWER_EXPORT = "Power.Active.Export"
SOC = "SoC"
DEFAULT_MEASURAND = "Energy.Active.Import.Register"
WATTS_PER_UNIT = {"W": 0.001, "kW": 1.0}
LINE_PHASES = {"L1", "L2", "L3", "L1-N", "L2-N", "L3-N"}


@dataclass(frozen=True)
class MeterReading:
    """The newest power and state of charge found in one message."""

    power_kw: float | None = None
    soc_percent: float | None = None
    soc_at: datetime | None = None


def parse_timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _value(sample: dict[str, Any]) -> tuple[float, str | None] | None:
    if sample.get("format") == "SignedData":
        return None
    try:
        number = float(sample["value"])
    except (KeyError, TypeError, ValueError):
        return None
    unit = sample.get("unit")
    measure = sample.get("unit_of_measure")
    if isinstance(measure, dict):
        unit = measure.get("unit", unit)
        number *= 10 ** int(measure.get("multiplier", 0) or 0)
    return number, unit


def _power_kw(samples: list[dict[str, Any]], measurand: str) -> float | None:
    """The total of one power measurand: the phase-less value if given, else the phases' sum."""
    total: float | None = None
    phases = 0.0
    seen_phase = False
    for sample in samples:
        if sample.get("measurand", DEFAULT_MEASURAND) != measurand:
            continue
        found = _value(sample)
        if found is None:
            continue
        number, unit = found
        kw = number * WATTS_PER_UNIT.get(unit or "W", 0.001)
        if sample.get("phase") in (None, ""):
            total = kw
        elif sample["phase"] in LINE_PHASES:
            phases += kw
            seen_phase = True
    if total is not None:
        return total
    return phases if seen_phase else None


def read_meter_values(meter_values: list[dict[str, Any]] | None) -> MeterReading:
    """The newest power and state of charge in a MeterValues / transaction message."""
    power_at: datetime | None = None
    soc_at: datetime | None = None
    power: float | None = None
    soc: float | None = None
    for entry in meter_values or []:
        moment = parse_timestamp(entry.get("timestamp"))
        if moment is None:
            continue
        samples = [s for s in entry.get("sampled_value") or [] if isinstance(s, dict)]
        imported = _power_kw(samples, POWER_IMPORT)
        exported = _power_kw(samples, POWER_EXPORT)
        if (imported is not None or exported is not None) and (
            power_at is None or moment >= power_at
        ):
            power = (imported or 0.0) - (exported or 0.0)
            power_at = moment
        for sample in samples:
            if sample.get("measurand") != SOC:
                continue
            found = _value(sample)
            if found is not None and (soc_at is None or moment >= soc_at):
                soc, soc_at = found[0], moment
    return MeterReading(power_kw=power, soc_percent=soc, soc_at=soc_at)
