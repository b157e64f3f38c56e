"""Residents, households, invitations and consents.

Roles: every user with a household is a *resident* (books cars); a resident with
``is_household_admin`` manages the household's members; a *fleet admin* is staff and works in
Django admin.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_pseudonym() -> str:
    return f"resident-{secrets.token_hex(6)}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_invitation_code() -> str:
    # Readable on paper: no 0/O or 1/I confusion.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


class Household(models.Model):
    """A home in the district: the unit that bookings, fair use and invoices are scoped to."""

    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address or unit"), max_length=200, unique=True)
    district = models.CharField(_("district"), max_length=120, default="Wisselspoor")
    primary_member = models.ForeignKey(
        "accounts.User",
        verbose_name=_("primary member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["address"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return f"{self.name} ({self.address})"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("email_confirmed_at", timezone.now())
        return self.create_user(email, password, **extra)


class LicenceStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    is_household_admin = models.BooleanField(_("household admin"), default=False)
    is_staff = models.BooleanField(
        _("fleet admin (staff)"),
        default=False,
        help_text=_("Fleet admins can log in to the admin site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed"), null=True, blank=True)

    licence_number = models.CharField(_("driving licence number"), max_length=40, blank=True)
    licence_status = models.CharField(
        _("licence status"),
        max_length=12,
        choices=LicenceStatus.choices,
        default=LicenceStatus.PENDING,
    )
    licence_expires_on = models.DateField(_("licence expires"), null=True, blank=True)
    licence_reviewed_at = models.DateTimeField(_("licence reviewed"), null=True, blank=True)
    licence_reviewed_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("licence reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # A stable reference that survives erasure, for accounting and grid records.
    pseudonym = models.CharField(max_length=40, unique=True, default=new_pseudonym, editable=False)
    # Secret for the personal iCal feed; rotating it revokes old subscriptions.
    calendar_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split() or [self.email])[0]

    @property
    def is_fleet_admin(self) -> bool:
        return self.is_staff

    def licence_valid_on(self, day: date) -> bool:
        return (
            self.licence_status == LicenceStatus.APPROVED
            and self.licence_expires_on is not None
            and self.licence_expires_on >= day
        )

    @property
    def may_book(self) -> bool:
        """Booking needs a confirmed e-mail, a household and a valid licence approval."""
        return (
            self.is_active
            and self.household_id is not None
            and self.email_confirmed_at is not None
            and self.licence_valid_on(timezone.localdate())
        )


class Invitation(models.Model):
    """A code a fleet admin issues for one household; only district residents can join."""

    code = models.CharField(_("code"), max_length=20, unique=True, default=new_invitation_code)
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(
        _("for e-mail address"), blank=True, help_text=_("Leave empty to let anyone use it.")
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    used_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations_used"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.code} → {self.household.address}"

    @property
    def is_used(self) -> bool:
        return self.used_at is not None

    def is_expired(self, now: Any = None) -> bool:
        return self.expires_at <= (now or timezone.now())


class ConsentKind(models.TextChoices):
    SHARE_CHARGE_LEVEL = "share_charge_level", _("Share my own car's charge level with the hub")
    FEED_BACK = "feed_back", _("Let the hub feed energy back from my own car")
    NEWSLETTER = "newsletter", _("Receive the hub's newsletter")


class Consent(models.Model):
    """Each change of a consent is a new row, so the history (and its times) is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=32, choices=ConsentKind.choices)
    granted = models.BooleanField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["user", "kind", "-recorded_at"])]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.kind}={'yes' if self.granted else 'no'} @ {self.recorded_at:%Y-%m-%d}"
