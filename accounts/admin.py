"""Fleet admin: residents, households, invitations and (read-only) consents."""

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

from accounts import services
from accounts.models import Consent, Household, Invitation, LicenceStatus, User

# The admin's log-in form (failures counted per account, plus the second factor for staff) is
# the site's own: see accounts.two_factor.AdminSite.


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
        user.email = services.normalise_email(user.email)
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


class MemberInline(admin.TabularInline):
    model = User
    fk_name = "household"
    fields = ["email", "full_name", "is_household_admin", "licence_status", "erased_at"]
    readonly_fields = ["email", "full_name", "licence_status", "erased_at"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["address", "name", "district", "primary_member"]
    search_fields = ["address", "name"]
    list_filter = ["district"]
    raw_id_fields = ["primary_member"]
    inlines = [MemberInline]
    actions = ["generate_invitation"]

    @admin.action(description=_("Generate an invitation code for each selected household"))
    def generate_invitation(self, request: HttpRequest, queryset: QuerySet[Household]) -> None:
        assert isinstance(request.user, User)
        for household in queryset:
            invitation = services.invitation_create(household=household, created_by=request.user)
            self.log_change(request, household, "Invitation generated")
            self.message_user(
                request,
                _("Invitation for %(household)s: %(code)s")
                % {"household": household, "code": invitation.code},
                messages.SUCCESS,
            )


class UsedFilter(admin.SimpleListFilter):
    title = _("used")
    parameter_name = "used"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(used_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(used_at__isnull=True)
        return queryset


class ExpiredFilter(admin.SimpleListFilter):
    title = _("expired")
    parameter_name = "expired"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(expires_at__lte=timezone.now())
        if self.value() == "no":
            return queryset.filter(expires_at__gt=timezone.now())
        return queryset


class InvitationAddForm(forms.ModelForm):
    valid_days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=services.INVITATION_MAX_DAYS, initial=14
    )

    class Meta:
        model = Invitation
        fields = ["household", "email"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["code", "household", "email", "created_at", "expires_at", "used_at", "used_by"]
    list_filter = [UsedFilter, ExpiredFilter]
    search_fields = ["code", "email", "household__address", "household__name"]
    list_select_related = ["household", "used_by"]
    autocomplete_fields = ["household"]
    readonly_fields = ["code", "created_by", "created_at", "used_at", "used_by"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = InvitationAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["household", "email", "valid_days"]
        return [
            "code",
            "household",
            "email",
            "expires_at",
            "created_by",
            "created_at",
            "used_at",
            "used_by",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return [*self.readonly_fields, "household", "email"]

    def save_model(self, request: HttpRequest, obj: Invitation, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        assert isinstance(request.user, User)
        created = services.invitation_create(
            household=form.cleaned_data["household"],
            created_by=request.user,
            email=form.cleaned_data.get("email") or "",
            valid_days=form.cleaned_data["valid_days"],
        )
        # The admin goes on with ``obj`` (messages, redirect): make it the created row.
        obj.pk = created.pk
        obj.refresh_from_db()


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
