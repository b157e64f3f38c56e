"""Fiona logs in to the admin in a real browser: e-mail, password and the code from her
authenticator app; with the password alone she stays on the log-in page."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.test_two_factor import code
from tests.factories import PASSWORD


def _fill(page, token: str) -> None:
    page.goto("/admin/")
    page.get_by_label("E-mail address").fill("fleet@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(token)
    page.get_by_role("button", name="Log in").click()


def test_staff_log_in_to_the_admin_with_their_apps_code(page, fleet_admin, screenshot):
    app = TOTPDevice.objects.create(user=fleet_admin, name="phone", confirmed=True)
    _fill(page, "000000")
    page.get_by_text("That code is not right").wait_for()
    assert "/admin/login/" in page.url
    screenshot("admin-login-2fa-wrong-code")
    # django-otp throttles a device after a wrong code (1 s, doubling): a person retypes slower
    page.wait_for_timeout(1500)
    _fill(page, code(app))
    page.wait_for_url(lambda url: "/admin/login/" not in url)
    assert page.get_by_role("heading", name="Run the hub").is_visible()
