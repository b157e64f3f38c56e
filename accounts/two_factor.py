"""Two-factor authentication for staff on the admin: a password and a TOTP code (django-otp).

With ``ADMIN_REQUIRE_2FA`` (on by default whenever ``DEBUG`` is off) the admin lets in only staff
whose session was verified by a confirmed TOTP device of theirs: the admin's log-in form asks for
the code from the authenticator app next to the password. A staff member without a confirmed
device cannot get in until one is enrolled with ``manage.py enrol_totp EMAIL`` (prints the
``otpauth://`` link or secret for the app, then asks for a code from it to confirm): enrolling
needs the server, not only a password, so a stolen password cannot enrol its own device.

Residents never see any of it: the resident pages and the API are not the admin.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import EmailAdminAuthenticationForm, EmailCredentialsMixin
from accounts.models import User

DEVICE_NAME = "authenticator app"


def required() -> bool:
    return bool(getattr(settings, "ADMIN_REQUIRE_2FA", True))


class AdminLoginForm(EmailCredentialsMixin, OTPAdminAuthenticationForm):
    """E-mail, password and the app's six-digit code in one form (the password counted per
    account by django-axes, as on every log-in form)."""

    otp_error_messages = dict(
        OTPAuthenticationFormMixin.otp_error_messages,
        token_required=_("Enter the six-digit code from your authenticator app."),
        invalid_token=_("That code is not right (or has expired). Enter the current code."),
        n_failed_attempts=_(
            "Too many wrong codes: wait %(failure_count)d seconds before the next try."
        ),
    )
    no_device_message = _(
        "Staff log in to the admin with a code from an authenticator app, and none is set up "
        "for this account yet. Ask the server's operator to run "
        "“manage.py enrol_totp <your e-mail>”."
    )

    def clean(self) -> dict[str, Any]:
        # The password first (and Django's admin check that the account is staff), then the code.
        self.cleaned_data = EmailCredentialsMixin.clean(self)
        user = self.get_user()
        if user is not None and not user_has_device(user, confirmed=True):
            raise ValidationError(self.no_device_message, code="no_device")
        self.clean_otp(user)
        return self.cleaned_data

    def _chosen_device(self, user: Any) -> Any:
        device = super()._chosen_device(user)
        if device is None and not self.cleaned_data.get("otp_device"):
            # One app per staff member (enrol_totp replaces it): no need to pick it from a list.
            found = list(devices_for_user(user, confirmed=True, for_verify=True))
            if len(found) == 1:
                device = found[0]
        return device


class AdminSite(OTPAdminSite):
    """The project's admin site: Django's, plus the second factor when ``ADMIN_REQUIRE_2FA``."""

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    @property
    def login_form(self) -> Any:
        return AdminLoginForm if required() else EmailAdminAuthenticationForm

    @property
    def login_template(self) -> str | None:
        return "admin/login_2fa.html" if required() else None

    def has_permission(self, request: HttpRequest) -> bool:
        if not required():
            return admin.AdminSite.has_permission(self, request)
        return super().has_permission(request)


def totp_enrol(*, user: User) -> TOTPDevice:
    """A new, unconfirmed TOTP device for ``user``; it replaces none until confirmed."""
    if not user.is_staff:
        raise ValidationError(
            _("Only staff log in to the admin: %(email)s is not staff."),
            params={"email": user.email},
        )
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def totp_confirm(*, device: TOTPDevice, token: str) -> TOTPDevice:
    """Confirm ``device`` with a code from the app; the user's earlier devices stop working."""
    with transaction.atomic():
        if not device.verify_token(token.strip().replace(" ", "")):
            raise ValidationError(_("That code does not match: check the app's clock and retry."))
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return device


@checks.register(checks.Tags.security, deploy=True)
def check_admin_two_factor(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``manage.py check --deploy`` warns when production runs the admin on a password alone."""
    if required():
        return []
    return [
        checks.Warning(
            "ADMIN_REQUIRE_2FA is off: staff log in to the admin with a password alone.",
            hint="Unset ADMIN_REQUIRE_2FA (on by default with DEBUG off) and enrol each staff "
            "member's app with manage.py enrol_totp.",
            id="accounts.W001",
        )
    ]
