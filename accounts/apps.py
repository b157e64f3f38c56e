from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Residents and households"

    def ready(self) -> None:
        from accounts import two_factor  # noqa: F401  - registers its deploy check


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin with the project's site: a second factor for staff (accounts.two_factor).
    Named in ``INSTALLED_APPS`` instead of ``django.contrib.admin``."""

    default = False  # "accounts" itself is AccountsConfig
    default_site = "accounts.two_factor.AdminSite"
