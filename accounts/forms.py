"""Forms parse and check input; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import ConsentKind, User
from accounts.rules import INVITATION_MAX_DAYS


class EmailCredentialsMixin:
    """Authenticate with the e-mail address, whatever its capitalisation.

    django-axes reads the account name from the credentials under ``AXES_USERNAME_FORM_FIELD``,
    which defaults to ``USERNAME_FIELD`` (here ``email``), while Django's forms pass
    ``username=``. Passing the lower-cased address under both names makes axes count failures per
    account (``Alice@…`` and ``alice@…`` share one counter) whichever of the two it is set to.
    """

    request: HttpRequest | None
    cleaned_data: dict[str, Any]
    user_cache: Any

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            email = str(email).strip().lower()
            self.user_cache = authenticate(
                self.request, username=email, email=email, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()  # type: ignore[attr-defined]
            self.confirm_login_allowed(self.user_cache)  # type: ignore[attr-defined]
        return self.cleaned_data


class EmailAuthenticationForm(EmailCredentialsMixin, AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "type": "email"})


class EmailAdminAuthenticationForm(EmailCredentialsMixin, AdminAuthenticationForm):
    """The admin's log-in, with the same per-account lock-out."""


def consent_fields() -> dict[str, forms.BooleanField]:
    return {
        kind: forms.BooleanField(label=label, required=False) for kind, label in ConsentKind.choices
    }


class SignupForm(forms.Form):
    invitation_code = forms.CharField(
        label=_("Invitation code"),
        max_length=40,
        help_text=_(
            "The code on the invitation from your fleet admin or household, like ABCD-EFGH-JKLM."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    full_name = forms.CharField(
        label=_("Full name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(consent_fields())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords are not the same."))
        elif password1:
            candidate = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def consents(self) -> dict[str, bool]:
        return {kind: bool(self.cleaned_data.get(kind)) for kind in ConsentKind.values}

    def account_fields(self) -> list[forms.BoundField]:
        return [
            self[name]
            for name in ("invitation_code", "email", "full_name", "password1", "password2")
        ]

    def consent_fields(self) -> list[forms.BoundField]:
        return [self[kind] for kind in ConsentKind.values]


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )


class ConsentsForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(consent_fields())

    def choices(self) -> dict[str, bool]:
        return {kind: bool(self.cleaned_data.get(kind)) for kind in ConsentKind.values}

    def consent_fields(self) -> list[forms.BoundField]:
        return [self[kind] for kind in ConsentKind.values]


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the new member (optional)"),
        required=False,
        help_text=_("If you fill this in, only this address can use the code."),
    )
    valid_days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=INVITATION_MAX_DAYS, initial=14
    )


class EraseForm(forms.Form):
    confirmation = forms.CharField(
        label=_("Type your e-mail address to confirm"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_confirmation(self) -> str:
        typed = str(self.cleaned_data["confirmation"]).strip()
        if typed.lower() != self.user.email.lower():
            raise forms.ValidationError(
                _("That is not the e-mail address of this account. Nothing was erased.")
            )
        return typed
