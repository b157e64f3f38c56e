"""One date style per language: the project's formats, and templates that name them."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.formats import date_format

MOMENT = datetime(2026, 12, 3, 10, 15, tzinfo=ZoneInfo("Europe/Amsterdam"))
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            {
                "DATE_FORMAT": "Thursday 3 December 2026",
                "DATETIME_FORMAT": "Thursday 3 December 2026, 10:15",
                "SHORT_DATE_FORMAT": "Thu 3 Dec 2026",
                "SHORT_DATETIME_FORMAT": "Thu 3 Dec 10:15",
                "MONTH_DAY_FORMAT": "Thu 3 Dec",
            },
        ),
        (
            "nl",
            {
                "DATE_FORMAT": "donderdag 3 december 2026",
                "DATETIME_FORMAT": "donderdag 3 december 2026, 10:15",
                "SHORT_DATE_FORMAT": "do 3 dec 2026",
                "SHORT_DATETIME_FORMAT": "do 3 dec 10:15",
                "MONTH_DAY_FORMAT": "do 3 dec",
            },
        ),
    ],
)
def test_each_language_has_one_style(lang, expected):
    with translation.override(lang):
        assert {name: date_format(MOMENT, name) for name in expected} == expected


def test_no_us_style_date_in_english():
    with translation.override("en"):
        assert "Dec." not in date_format(MOMENT.date(), "DATE_FORMAT")


# A template may spell out a time or a weekday with a time; anything with a month is a named
# format, so it follows the language.
ALLOWED_LITERALS = {"H:i", "D H:i", "Ymd", "c", "U"}


def test_templates_name_their_date_formats():
    spelled = []
    for path in TEMPLATES.rglob("*"):
        if path.suffix not in {".html", ".txt"}:
            continue
        for fmt in re.findall(r'\|date:"([^"]*)"', path.read_text(encoding="utf-8")):
            if fmt not in ALLOWED_LITERALS and not fmt.endswith("_FORMAT"):
                spelled.append(f"{path.relative_to(TEMPLATES)}: {fmt}")
    assert spelled == []
