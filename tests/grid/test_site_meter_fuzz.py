"""Schemathesis against the site meter's operation as the meter itself (the general fuzz test
asks as anonymous and as a resident, who are refused before any reading is read): every answer
to generated batches, good or bad, is one the schema documents."""

from __future__ import annotations

import pytest

from energy.grid.services import site_meter_token_issue
from energy.models import SiteMeter
from tests.energy.conftest import make_hub
from tests.test_api_fuzz import CHECKS, FUZZ, generous_limits, one_connection, schema

__all__ = ["generous_limits", "one_connection"]  # fixtures used here

meter_operations = schema.include(path_regex="site-meter")


@pytest.fixture
def meter_token(db) -> str:
    meter = SiteMeter.objects.create(hub=make_hub("wisselspoor", cars=1))
    return site_meter_token_issue(meter=meter)


@pytest.mark.slow
@pytest.mark.django_db
@meter_operations.parametrize()
@FUZZ
def test_site_meter(case, generous_limits, meter_token):
    case.path_parameters = {"slug": "wisselspoor"}
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Token {meter_token}"})
