"""The fleet admin's residents: the user list with its e-mail and licence-queue filters, adding a
resident, approving or rejecting licences, and the read-only consent history.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import rules, services
from accounts.models import Consent, LicenceStatus, User


class ConfirmedFilter(admin.SimpleListFilter):
    title = _("e-mail confirmed")
    parameter_name = "confirmed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(email_confirmed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(email_confirmed_at__isnull=True)
        return queryset


class LicenceQueueFilter(admin.SimpleListFilter):
    """The licence approvals queue: pending reviews, and approvals that run out soon."""

    title = _("licence queue")
    parameter_name = "licence_queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("pending", _("Waiting for approval")),
            ("expiring", _("Approved, expires within 60 days")),
            ("expired", _("Approved, expired")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = timezone.localdate()
        if self.value() == "pending":
            return queryset.filter(licence_status=LicenceStatus.PENDING).order_by(
                F("licence_expires_on").asc(nulls_last=True), "date_joined"
            )
        if self.value() == "expiring":
            return queryset.filter(
                licence_status=LicenceStatus.APPROVED,
                licence_expires_on__gte=today,
                licence_expires_on__lte=today + timedelta(days=60),
            ).order_by("licence_expires_on")
        if self.value() == "expired":
            return queryset.filter(
                licence_status=LicenceStatus.APPROVED, licence_expires_on__lt=today
            )
        return queryset


class AdminUserCreationForm(forms.ModelForm):
    """Fleet admins create colleagues here; residents join with an invitation."""

    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = ["email", "full_name", "household", "is_staff"]

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.email = rules.normalise_email(user.email)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = AdminUserCreationForm
    add_fieldsets = (
        (None, {"fields": ["email", "full_name", "household", "is_staff", "password1"]}),
    )
    fieldsets = (
        (None, {"fields": ["email", "password", "pseudonym"]}),
        (_("Profile"), {"fields": ["full_name", "phone", "household", "is_household_admin"]}),
        (
            _("Driving licence"),
            {
                "fields": [
                    "licence_number",
                    "licence_status",
                    "licence_expires_on",
                    "licence_reviewed_at",
                    "licence_reviewed_by",
                ]
            },
        ),
        (
            _("Access"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (
            _("Dates"),
            {"fields": ["date_joined", "email_confirmed_at", "last_login", "erased_at"]},
        ),
    )
    readonly_fields = [
        "pseudonym",
        "licence_reviewed_at",
        "licence_reviewed_by",
        "email_confirmed_at",
        "last_login",
        "erased_at",
    ]
    list_display = [
        "email",
        "full_name",
        "household",
        "licence_status",
        "licence_expires_on",
        "email_confirmed_at",
        "is_staff",
    ]
    list_filter = [
        LicenceQueueFilter,
        "licence_status",
        ConfirmedFilter,
        "is_staff",
        "is_active",
        "household",
    ]
    search_fields = ["email", "full_name", "pseudonym"]
    ordering = ["email"]
    list_select_related = ["household"]
    autocomplete_fields = ["household"]
    actions = ["approve_licence", "reject_licence"]

    @admin.action(description=_("Approve driving licence (needs an expiry date in the future)"))
    def approve_licence(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        assert isinstance(request.user, User)
        approved, skipped = 0, []
        for user in queryset:
            if user.licence_expires_on is None or user.licence_expires_on <= timezone.localdate():
                skipped.append(user.email)
                continue
            try:
                services.user_approve_licence(
                    user=user, expires_on=user.licence_expires_on, reviewed_by=request.user
                )
            except ValidationError:
                skipped.append(user.email)
            else:
                approved += 1
                self.log_change(request, user, "Driving licence approved")
        if approved:
            self.message_user(
                request,
                ngettext("Approved %d licence.", "Approved %d licences.", approved) % approved,
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _(
                    "Not approved, because the licence expiry date is missing or not in the "
                    "future (fill it in on the user's page first): %(users)s"
                )
                % {"users": ", ".join(skipped)},
                messages.WARNING,
            )

    @admin.action(description=_("Reject driving licence"))
    def reject_licence(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        assert isinstance(request.user, User)
        count = 0
        for user in queryset:
            services.user_reject_licence(user=user, reviewed_by=request.user)
            self.log_change(request, user, "Driving licence rejected")
            count += 1
        self.message_user(
            request, ngettext("Rejected %d licence.", "Rejected %d licences.", count) % count
        )


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    """History of choices as the residents made them: nobody edits it here."""

    list_display = ["user", "kind", "granted", "recorded_at"]
    list_filter = ["kind", "granted"]
    search_fields = ["user__email", "user__pseudonym"]
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
