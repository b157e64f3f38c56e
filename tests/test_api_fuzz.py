"""Schemathesis against the API's own schema (/api/schema/): every operation, as an anonymous
client and as a resident with a token, answered in-process by the Django WSGI application.

Checked for every generated request: no server error, a status code the schema documents, the
documented content type, and a body that matches the documented schema. Examples per operation
are few (``FUZZ_EXAMPLES``, default 20) so the run stays short on a shared machine.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import UserFactory, VehicleFactory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is reproducible
    suppress_health_check=list(HealthCheck),
    database=None,
)


def _schema() -> dict[str, Any]:
    """The schema /api/schema/ serves (same generator and renderer), without a request."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


schema = schemathesis.openapi.from_dict(_schema())
schema.app = get_wsgi_application()
schema.location = "/api/schema/"


@pytest.fixture(autouse=True)
def one_connection():
    """Django's WSGI handler closes the database connection after each request (the test client
    does not, and neither may we: the test's transaction lives on it)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def generous_limits(settings):
    """The fuzzer's pace would meet the API's throttles; those have tests of their own."""
    settings.THROTTLE_RATES = {"anon": "100000/minute", "user": "100000/minute"}


@pytest.fixture
def resident_token(db, hub) -> str:
    VehicleFactory.create(hub=hub, plate="WS-FUZZ-1")
    resident = UserFactory.create(email="fuzz@example.org")
    return str(Token.objects.create(user=resident).key)


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_anonymous(case, generous_limits):
    case.call_and_validate(checks=CHECKS)


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@FUZZ
def test_resident(case, generous_limits, resident_token):
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Token {resident_token}"})
