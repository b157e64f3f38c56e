from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.factories import VehicleFactory

# A Tuesday morning, on the 15-minute grid (10:00 in Amsterdam).
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def car(hub):
    return VehicleFactory.create(hub=hub, plate="WS-001-E")


@pytest.fixture
def api(resident):
    client = APIClient()
    client.force_authenticate(resident)
    return client
