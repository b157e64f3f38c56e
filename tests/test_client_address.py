"""Per-address limits see the client through trusted proxies only (``TRUSTED_PROXIES``).

Without trusted proxies a forged ``X-Forwarded-For`` changes nothing; behind a trusted proxy
each client has its own count, so one client's failures do not lock out its neighbours who
share the proxy, and a client cannot forge its way past the proxy's own entry."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from websockets.datastructures import Headers

from config.net import client_address, parse_trusted_proxies
from energy.ocpp.server import remote_host
from tests.factories import PASSWORD

PROXY = parse_trusted_proxies("TRUSTED_PROXIES", ["10.0.0.0/8", "::1"])


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "seen"),
    [
        ("192.0.2.1", "198.51.100.1", (), "192.0.2.1"),  # no trusted proxy: header ignored
        ("192.0.2.1", "198.51.100.1", PROXY, "192.0.2.1"),  # not from our proxy: ignored
        ("10.0.0.5", "198.51.100.1", PROXY, "198.51.100.1"),
        # The client wrote "1.2.3.4, " itself; our proxy appended what it saw.
        ("10.0.0.5", "1.2.3.4, 198.51.100.1", PROXY, "198.51.100.1"),
        ("10.0.0.5", "198.51.100.1, 10.0.0.9", PROXY, "198.51.100.1"),  # two proxies of ours
        ("10.0.0.5", "", PROXY, "10.0.0.5"),
        ("10.0.0.5", "not-an-address", PROXY, "10.0.0.5"),
        ("::1", "2001:db8::7", PROXY, "2001:db8::7"),
    ],
)
def test_client_address(remote, forwarded, trusted, seen):
    assert client_address(remote, forwarded, trusted) == seen


def test_a_bad_trusted_proxy_setting_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match=r"TRUSTED_PROXIES: 'ten\.0\.0\.1'"):
        parse_trusted_proxies("TRUSTED_PROXIES", ["ten.0.0.1"])


def _log_in(client, password, forwarded):
    return client.post(
        reverse("accounts:login"),
        {"username": "alice@example.org", "password": password},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.django_db
def test_behind_a_trusted_proxy_one_clients_lock_out_is_its_own(client, resident, settings):
    settings.TRUSTED_PROXIES = PROXY
    for _ in range(5):
        _log_in(client, "not-my-password", "198.51.100.1")
    assert _log_in(client, PASSWORD, "198.51.100.1").status_code == 429
    # Alice at home, behind the same proxy, is not locked out by someone guessing elsewhere.
    assert _log_in(client, PASSWORD, "198.51.100.2").status_code == 302


@pytest.mark.django_db
def test_without_trusted_proxies_a_forged_header_does_not_lift_a_lock_out(client, resident):
    for n in range(5):
        _log_in(client, "not-my-password", f"198.51.100.{n}")
    assert _log_in(client, PASSWORD, "198.51.100.99").status_code == 429


def test_ocpp_handshakes_count_the_client_behind_a_trusted_proxy(settings):
    connection = SimpleNamespace(remote_address=("10.0.0.5", 40000))
    request = SimpleNamespace(headers=Headers({"X-Forwarded-For": "198.51.100.1"}))
    settings.TRUSTED_PROXIES = ()
    assert remote_host(connection, request) == "10.0.0.5"  # type: ignore[arg-type]
    settings.TRUSTED_PROXIES = PROXY
    assert remote_host(connection, request) == "198.51.100.1"  # type: ignore[arg-type]
