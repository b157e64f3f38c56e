"""Strict readers of JSON fields, shared by the scenario parser (`parse.py`) and the plan reader.

Each reader takes a decoded value and the path of the field (``vehicles[3].battery_kwh``) and
returns the value or raises a one-line `ScenarioError` naming that path: unknown and missing
keys, booleans where numbers belong, non-finite numbers (also as NaN/Infinity in the text) and
arrays of the wrong length are all errors (the strict readings in `energy.dispatch.model`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .scenario import ScenarioError


def _reject_constant(token: str) -> float:
    raise ScenarioError(f"invalid JSON: non-finite number {token} is not allowed")


def load_json(text: str, what: str = "scenario") -> Any:
    """Parse JSON text, turning every syntax problem into a one-line `ScenarioError`."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ScenarioError:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(f"{what}: invalid JSON: {line}") from None


def read_object(value: Any, path: str, required: set[str], optional: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{path}: must be an object")
    for key in value:
        if key not in required and key not in optional:
            raise ScenarioError(f"{join_path(path, str(key))}: unknown key")
    for key in sorted(required):
        if key not in value:
            raise ScenarioError(f"{join_path(path, key)}: required key is missing")
    return value


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def read_number(
    value: Any,
    path: str,
    *,
    lo: float | None = None,
    lo_open: bool = False,
    hi: float | None = None,
) -> float:
    # bool is an int subclass in Python; true/false is never a number in this format.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{path}: must be a number")
    x = float(value)
    if not math.isfinite(x):
        raise ScenarioError(f"{path}: must be finite")
    if lo is not None:
        if lo_open and not x > lo:
            raise ScenarioError(f"{path}: must be > {lo:g}")
        if not lo_open and x < lo:
            raise ScenarioError(f"{path}: must be >= {lo:g}")
    if hi is not None and x > hi:
        raise ScenarioError(f"{path}: must be <= {hi:g}")
    return x


def read_int(value: Any, path: str, *, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{path}: must be an integer")
    if lo is not None and value < lo:
        raise ScenarioError(f"{path}: must be >= {lo}")
    if hi is not None and value > hi:
        raise ScenarioError(f"{path}: must be <= {hi}")
    return value


def read_str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise ScenarioError(f"{path}: must be a string")
    return value


def read_array(value: Any, path: str, n: int, *, lo: float | None = None) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise ScenarioError(f"{path}: must be an array of {n} numbers")
    if len(value) != n:
        raise ScenarioError(f"{path}: must have {n} entries (slots), has {len(value)}")
    return tuple(read_number(x, f"{path}[{i}]", lo=lo) for i, x in enumerate(value))
