"""A charger password changed while the old one is remembered (for 60 s after a successful
handshake) stops admitting the old one at once, from whichever process it was changed."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from energy.models import Charger
from energy.services import chargers
from tests.ocpp.conftest import PASSWORD, run
from tests.ocpp.test_credentials import CONNECTED, handshake

pytestmark = pytest.mark.django_db(transaction=True)
NEW = "a-brand-new-password-42"


def test_the_old_password_is_refused_right_after_a_change(ocpp_server, ocpp_hub):
    def change() -> None:
        chargers.charger_password_set(
            charger=Charger.objects.get(ocpp_id="ocpphub-B00"), password=NEW
        )

    async def scenario():
        first = (await handshake(ocpp_server, "ocpphub-B00", PASSWORD))[0]  # now remembered
        await sync_to_async(change)()
        old = (await handshake(ocpp_server, "ocpphub-B00", PASSWORD))[0]
        new = (await handshake(ocpp_server, "ocpphub-B00", NEW))[0]
        again = (await handshake(ocpp_server, "ocpphub-B00", PASSWORD))[0]
        return [first, old, new, again]

    assert run(scenario()) == [CONNECTED, 401, CONNECTED, 401]
