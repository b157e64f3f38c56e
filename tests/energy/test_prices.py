"""Price files: every format we accept, clock changes, and refusals that name the line."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from energy.models import PriceSlot
from energy.prices import PriceFileError, parse_price_file
from energy.services.prices import prices_import

ROOT = Path(__file__).resolve().parents[2]

ENTSOE_LOCAL = """"MTU (CET/CEST)","Area","Sequence","Day-ahead Price [EUR/MWh]","Intraday Period (CET/CEST)","Intraday Price (EUR/MWh)"
"27/10/2024 00:00:00 - 27/10/2024 01:00:00","BZN|NL","Without sequence","91.56","",""
"27/10/2024 01:00:00 - 27/10/2024 02:00:00 (CEST)","BZN|NL","Without sequence","84.0","",""
"27/10/2024 02:00:00 (CEST) - 27/10/2024 02:00:00 (CET)","BZN|NL","Without sequence","82.23","",""
"27/10/2024 02:00:00 (CET) - 27/10/2024 03:00:00","BZN|NL","Without sequence","80.43","",""
"""


def test_entsoe_local_export_places_the_repeated_october_hour_on_distinct_utc_slots():
    points = parse_price_file(ENTSOE_LOCAL)
    assert len(points) == 16  # four hours, four quarter hours each
    starts = [p.start for p in points]
    assert starts[0] == datetime(2024, 10, 26, 22, 0, tzinfo=UTC)  # 00:00 CEST
    assert starts[8] == datetime(2024, 10, 27, 0, 0, tzinfo=UTC)  # 02:00 CEST
    assert starts[12] == datetime(2024, 10, 27, 1, 0, tzinfo=UTC)  # 02:00 CET
    assert points[8].eur_per_kwh == Decimal("0.08223")
    assert points[12].eur_per_kwh == Decimal("0.08043")


def test_entsoe_march_clock_change_has_no_invented_hour():
    text = (
        '"MTU (CET/CEST)","Area","Sequence","Day-ahead Price [EUR/MWh]"\n'
        '"31/03/2024 00:00:00 - 31/03/2024 01:00:00 (CET)","BZN|NL","x","81.81"\n'
        '"31/03/2024 01:00:00 (CET) - 31/03/2024 03:00:00 (CEST)","BZN|NL","x","74.57"\n'
        '"31/03/2024 03:00:00 (CEST) - 31/03/2024 04:00:00","BZN|NL","x","64.98"\n'
    )
    points = parse_price_file(text)
    assert len(points) == 12
    assert points[4].start == datetime(2024, 3, 31, 0, 0, tzinfo=UTC)
    assert points[8].start == datetime(2024, 3, 31, 1, 0, tzinfo=UTC)  # 03:00 CEST


def test_entsoe_utc_export_and_semicolon_format():
    utc = '"MTU (UTC)","Day-ahead Price [EUR/MWh]","Currency","BZN|NL"\n"01.01.2023 00:00 - 01.01.2023 01:00","-1.46","EUR"\n'
    assert parse_price_file(utc)[0].eur_per_kwh == Decimal("-0.00146")
    dutch = 'datum_nl;datum_utc;prijs_excl_belastingen\n"2025-01-01 00:00:00";"2024-12-31 23:00:00";0,013620\n"2025-01-01 00:15:00";"2024-12-31 23:15:00";0,014\n'
    points = parse_price_file(dutch)
    assert [p.eur_per_kwh for p in points] == [Decimal("0.013620"), Decimal("0.014")]
    assert points[1].start == datetime(2024, 12, 31, 23, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "empty"),
        ("a,b,c\n1,2,3\n", 1, "unknown format"),
        (
            "datetime_utc,datetime_local,price_eur_per_mwh\n2024-01-01T00:00:00Z,x,12\n2024-01-01T01:00:00Z,x,abc\n",
            3,
            "not a price",
        ),
        ("datetime_utc,datetime_local,price_eur_per_mwh\nyesterday,x,12\n", 2, "not a date"),
        (
            '"MTU (UTC)","Day-ahead Price [EUR/MWh]"\n"01.01.2023 00:00 - 01.01.2023 01:00",""\n',
            2,
            "missing",
        ),
        (
            '"MTU (CET/CEST)","Day-ahead Price [EUR/MWh]"\n"31/03/2024 02:00:00 - 31/03/2024 03:00:00","5"\n',
            2,
            "does not exist",
        ),
    ],
)
def test_malformed_files_name_the_line(text, line, words):
    with pytest.raises(PriceFileError) as caught:
        parse_price_file(text)
    assert caught.value.line == line
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.django_db
def test_import_is_all_or_nothing_and_replaces_values():
    good = "datetime_utc,datetime_local,price_eur_per_mwh\n2024-01-01T00:00:00Z,x,100\n2024-01-01T01:00:00Z,x,50\n"
    result = prices_import(text=good, source="test")
    assert result.slots == 8
    assert PriceSlot.objects.get(
        start=datetime(2024, 1, 1, 0, 15, tzinfo=UTC)
    ).day_ahead_eur_per_kwh == Decimal("0.1")
    bad = "datetime_utc,datetime_local,price_eur_per_mwh\n2024-01-01T00:00:00Z,x,10\n2024-01-01T01:00:00Z,x,?\n"
    with pytest.raises(PriceFileError):
        prices_import(text=bad, source="bad")
    assert PriceSlot.objects.get(
        start=datetime(2024, 1, 1, 0, 15, tzinfo=UTC)
    ).day_ahead_eur_per_kwh == Decimal("0.1")
    prices_import(text=good.replace(",100\n", ",20\n"), source="again")
    assert PriceSlot.objects.count() == 8
    assert PriceSlot.objects.get(
        start=datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    ).day_ahead_eur_per_kwh == Decimal("0.02")


def _manage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.mark.django_db(transaction=True)
def test_command_refuses_a_malformed_file_with_exit_2_and_one_line(tmp_path):
    bad = tmp_path / "prices.csv"
    bad.write_text(
        "datetime_utc,datetime_local,price_eur_per_mwh\n2024-01-01T00:00:00Z,x,1\n2024-01-01T01:00:00Z,x,NaNs\n"
    )
    result = _manage("import_prices", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "line 3" in result.stderr
    assert "Traceback" not in result.stderr
    missing = _manage("import_prices", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


@pytest.mark.django_db
def test_real_entsoe_exports_from_shared_data_cover_every_quarter_hour():
    folder = settings.SHARED_DATA_DIR / "nl-day-ahead-prices-hourly" / "entsoe_raw"
    if not folder.exists():
        pytest.skip(f"shared data not present at {folder}")
    points = parse_price_file(
        (folder / "entsoe_dayahead_NL_2024.csv").read_text(encoding="utf-8-sig")
    )
    assert len(points) == 366 * 96  # 2024 is a leap year; both clock changes handled
    hourly = parse_price_file(
        (
            settings.SHARED_DATA_DIR / "nl-day-ahead-prices-hourly" / "nl_day_ahead_2024.csv"
        ).read_text()
    )
    assert [p.eur_per_kwh for p in points] == [p.eur_per_kwh for p in hourly]
