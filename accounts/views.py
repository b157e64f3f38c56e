"""Pages for joining, confirming and managing one's account: thin adapters over the services."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import rules, selectors, services
from accounts.forms import ConsentsForm, EraseForm, InvitationForm, ProfileForm, SignupForm
from accounts.models import User
from accounts.tokens import (
    ConfirmationLinkExpired,
    ConfirmationLinkInvalid,
    email_confirmation_read,
)
from config.throttle import limit, per_user


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User), "view must be wrapped in login_required"
    return user


@method_decorator(limit("password_reset"), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, but the lookup, token and mail happen in a task queued for every
    address, so the page answers known and unknown addresses alike, and as fast. Requests per
    address are limited (429 beyond), and so are mails per typed address (silently)."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        services.password_reset_request(email=form.cleaned_data["email"])
        return HttpResponseRedirect(self.get_success_url())


@limit("signup")  # each attempt tries an invitation code: guessing them takes long
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_signup(
                invitation_code=form.cleaned_data["invitation_code"],
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                consents=form.consents(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session["signup_email"] = rules.normalise_email(form.cleaned_data["email"])
            return redirect("accounts:signup-done")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/signup.html", {"form": form}, status=status)


def signup_done(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/signup_done.html", {"email": request.session.get("signup_email")}
    )


def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners that follow links change nothing."""
    if request.method == "POST":
        try:
            services.user_confirm_email(token=token)
        except ValidationError as error:
            return render(
                request,
                "accounts/confirm_email.html",
                {"problem": error.messages[0], "expired": error.code == "expired"},
                status=400,
            )
        messages.success(
            request,
            _(
                "Thank you, your e-mail address is confirmed. A fleet admin will now check "
                "your driving licence."
            ),
        )
        return redirect("accounts:profile" if request.user.is_authenticated else "accounts:login")
    problem = None
    expired = False
    try:
        email_confirmation_read(token)
    except ConfirmationLinkExpired:
        problem = _("This confirmation link has expired. Log in to ask for a new one.")
        expired = True
    except ConfirmationLinkInvalid:
        problem = _(
            "This confirmation link is not valid. Copy the whole link from the e-mail, "
            "or ask for a new one."
        )
    return render(
        request,
        "accounts/confirm_email.html",
        {"problem": problem, "expired": expired},
        status=400 if problem else 200,
    )


@login_required
@require_POST
def confirm_email_resend(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.email_confirmed_at is None:
        services.email_confirmation_request(user=user)
        messages.success(
            request, _("We sent a new confirmation link to %(email)s.") % {"email": user.email}
        )
    return redirect("accounts:profile")


def _profile_context(user: User, **forms: Any) -> dict[str, Any]:
    current = selectors.consents_current(user=user)
    household = user.household
    context: dict[str, Any] = {
        "profile_form": ProfileForm(initial={"full_name": user.full_name, "phone": user.phone}),
        "consents_form": ConsentsForm(
            initial={kind: bool(c and c.granted) for kind, c in current.items()}
        ),
        "consents_current": current,
        "invitation_form": InvitationForm(),
        "household": household,
        "members": [] if household is None else selectors.household_members(household=household),
        "open_invitations": []
        if household is None or not user.is_household_admin
        else selectors.household_open_invitations(household=household),
        "licence_valid": user.licence_valid_on(timezone.localdate()),
    }
    context.update(forms)
    return context


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            services.user_profile_update(
                user=user,
                full_name=form.cleaned_data["full_name"],
                phone=form.cleaned_data["phone"],
            )
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:profile")
        return render(
            request, "accounts/profile.html", _profile_context(user, profile_form=form), status=400
        )
    return render(request, "accounts/profile.html", _profile_context(user))


@login_required
@require_POST
@vary_on_headers("HX-Request")
def consents_update(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ConsentsForm(request.POST)
    form.is_valid()  # only check boxes: always valid
    changed = services.consents_record(user=user, choices=form.choices())
    if getattr(request, "htmx", False):
        context = _profile_context(user)
        context["consents_saved"] = True
        return render(request, "accounts/profile.html#consents", context)
    if changed:
        messages.success(request, _("Your choices are saved."))
    else:
        messages.info(request, _("Nothing changed."))
    return redirect("accounts:profile")


@login_required
@require_POST
@limit("invitation", key=per_user)
def invitation_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.household is None or not user.is_household_admin:
        return HttpResponse(status=403)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                household=user.household,
                created_by=user,
                email=form.cleaned_data["email"] or "",
                valid_days=form.cleaned_data["valid_days"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("New invitation code: %(code)s. Give it to the new member; it works once.")
                % {"code": invitation.code},
            )
            return redirect("accounts:profile")
    return render(
        request, "accounts/profile.html", _profile_context(user, invitation_form=form), status=400
    )


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    # Scoped to the requester's own household: anyone else's member is simply not found.
    member = get_object_or_404(
        User, pk=pk, household__isnull=False, household_id=user.household_id, erased_at__isnull=True
    )
    if not user.is_household_admin:
        return HttpResponse(status=403)
    try:
        services.household_member_remove(member=member, removed_by=user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("%(name)s is no longer a member of your household.") % {"name": member}
        )
    return redirect("accounts:profile")


@login_required
@require_POST
@limit("api_token", key=per_user)
def api_token_create(request: HttpRequest) -> HttpResponse:
    key = services.api_token_create(user=_user(request))
    response = render(request, "accounts/api_token.html", {"token": key})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def data_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    data = selectors.user_export(user=user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    filename = f"wisselstroom-{user.pseudonym}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def erase(request: HttpRequest) -> HttpResponseBase:
    user = _user(request)
    form = EraseForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        services.user_erase(user=user)
        logout(request)
        return redirect("accounts:erased")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/erase.html", {"form": form}, status=status)


def erased(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/erased.html")
