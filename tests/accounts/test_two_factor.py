"""Staff log in to the admin with a password and a code from their authenticator app.

Fiona (fleet admin) enrols her app with ``manage.py enrol_totp``; without a confirmed app the
admin stays closed to her, and a password alone (even a resident-page log-in) never opens it.
"""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import sys
import time
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.settings import BASE_DIR
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
ADMIN = "/admin/"
LOGIN = reverse("admin:login")


def code(device: TOTPDevice, *, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():0{device.digits}d}"


def admin_log_in(client: Client, token: str = "") -> Any:
    return client.post(
        f"{LOGIN}?next={ADMIN}",
        {"username": "fleet@example.org", "password": PASSWORD, "otp_token": token},
    )


@pytest.fixture
def app(fleet_admin) -> TOTPDevice:
    """Fiona's enrolled authenticator app."""
    return TOTPDevice.objects.create(user=fleet_admin, name="phone", confirmed=True)


def test_password_and_code_open_the_admin(fleet_admin, app):
    client = Client()
    response = admin_log_in(client, code(app))
    assert response.status_code == 302 and response["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200


@pytest.mark.parametrize("token", ["", "000000"])
def test_password_without_the_right_code_does_not(fleet_admin, app, token):
    client = Client()
    response = admin_log_in(client, token)
    assert response.status_code == 200
    assert "code" in response.content.decode()
    assert client.get(ADMIN).status_code == 302


def test_a_code_works_once(fleet_admin, app):
    token = code(app)
    assert admin_log_in(Client(), token).status_code == 302
    assert admin_log_in(Client(), token).status_code == 200  # replayed


def test_staff_without_an_app_is_told_how_to_get_one(fleet_admin):
    response = admin_log_in(Client(), "123456")
    assert response.status_code == 200
    assert "manage.py enrol_totp" in response.content.decode()


def test_a_wrong_password_does_not_reveal_whether_an_app_is_enrolled(fleet_admin):
    response = Client().post(
        LOGIN, {"username": "fleet@example.org", "password": "wrong", "otp_token": "1"}
    )
    assert "enrol_totp" not in response.content.decode()


def test_logged_in_with_a_password_only_the_admin_stays_closed(fleet_admin, app):
    client = Client()
    client.post(reverse("accounts:login"), {"username": "fleet@example.org", "password": PASSWORD})
    assert "_auth_user_id" in client.session  # the resident pages' log-in worked
    response = client.get(ADMIN)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert client.get(reverse("admin:sharing_booking_changelist")).status_code == 302


def test_without_the_setting_a_password_is_enough(settings, fleet_admin):
    settings.ADMIN_REQUIRE_2FA = False
    client = Client()
    response = client.post(
        f"{LOGIN}?next={ADMIN}", {"username": "fleet@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(ADMIN).status_code == 200


def test_production_settings_require_it_by_default():
    env = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "ADMIN_REQUIRE_2FA", "SECRET_KEY"}
    }
    env.update(DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50))
    shown = subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.ADMIN_REQUIRE_2FA)"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == "True"


# --- Enrolling ---------------------------------------------------------------------------------


def test_enrol_prints_the_link_and_confirms_with_a_code(fleet_admin):
    out = io.StringIO()
    call_command("enrol_totp", "Fleet@example.org", "--no-confirm", stdout=out)
    assert "otpauth://totp/Wisselstroom" in out.getvalue()
    device = TOTPDevice.objects.get(user=fleet_admin)
    assert not device.confirmed
    assert admin_log_in(Client(), code(device)).status_code == 200  # not confirmed: no use

    out = io.StringIO()
    call_command("enrol_totp", "fleet@example.org", "--token", code(device), stdout=out)
    assert "now logs in to the admin" in out.getvalue()
    device.refresh_from_db()
    assert device.confirmed
    client = Client()
    assert admin_log_in(client, code(device, offset=1)).status_code == 302


def test_enrolling_again_replaces_the_old_app(fleet_admin, app):
    call_command("enrol_totp", "fleet@example.org", "--no-confirm", stdout=io.StringIO())
    new = TOTPDevice.objects.get(user=fleet_admin, confirmed=False)
    call_command("enrol_totp", "fleet@example.org", "--token", code(new), stdout=io.StringIO())
    assert list(TOTPDevice.objects.filter(user=fleet_admin)) == [new]


def test_enrol_refuses_a_wrong_code_and_a_resident(fleet_admin, resident):
    call_command("enrol_totp", "fleet@example.org", "--no-confirm", stdout=io.StringIO())
    with pytest.raises(CommandError, match="does not match") as wrong:
        call_command("enrol_totp", "fleet@example.org", "--token", "000000")
    assert wrong.value.returncode == 2
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    with pytest.raises(CommandError, match="not staff"):
        call_command("enrol_totp", "alice@example.org", "--no-confirm", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no account"):
        call_command("enrol_totp", "nobody@example.org", "--no-confirm")


def test_check_deploy_warns_when_it_is_off(settings):
    from accounts.two_factor import check_admin_two_factor

    assert check_admin_two_factor() == []
    settings.ADMIN_REQUIRE_2FA = False
    assert [m.id for m in check_admin_two_factor()] == ["accounts.W001"]
