"""The fleet admin's households (with their members inline, and inviting into one) and the
invitation codes (used and expired filters, issuing a code valid for some days).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import rules, services
from accounts.models import Household, Invitation, User


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
        label=_("Valid for (days)"), min_value=1, max_value=rules.INVITATION_MAX_DAYS, initial=14
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
