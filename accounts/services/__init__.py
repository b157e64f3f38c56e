"""Writes and workflows of accounts: joining, confirming, licences, consents, privacy.

Each function takes keyword-only arguments, runs in one transaction and queues mail only after
commit. Business rules raise Django's ``ValidationError`` with per-field messages, which forms
and the API turn into errors next to the right field.
"""

from __future__ import annotations

from accounts.services.email import (
    email_confirmation_request,
    password_reset_request,
    user_confirm_email,
)
from accounts.services.erasure import user_erase
from accounts.services.households import household_member_remove
from accounts.services.licences import user_approve_licence, user_reject_licence
from accounts.services.profile import api_token_create, consents_record, user_profile_update
from accounts.services.signup import invitation_create, user_signup

__all__ = [
    "api_token_create",
    "consents_record",
    "email_confirmation_request",
    "household_member_remove",
    "invitation_create",
    "password_reset_request",
    "user_approve_licence",
    "user_confirm_email",
    "user_erase",
    "user_profile_update",
    "user_reject_licence",
    "user_signup",
]
