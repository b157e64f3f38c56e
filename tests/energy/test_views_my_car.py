"""My car: registering a resident's own car, plugging it in, changing departure, unplugging."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Consent, ConsentKind
from energy.models import ChargingSession, PrivateCar, SessionStatus
from tests.factories import (
    BayFactory,
    ChargingSessionFactory,
    HubFactory,
    PrivateCarFactory,
    SiteFactory,
    VehicleFactory,
    current_plan,
)

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 3, 10, 18, 0, tzinfo=AMS)
HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def energy_hub(db):
    hub = HubFactory(slug="zonnehof", name="Zonnehof")
    SiteFactory(hub=hub)
    return hub


@pytest.fixture
def bay(energy_hub):
    return BayFactory(hub=energy_hub, label="P1")


@pytest.fixture
def car(resident):
    return PrivateCarFactory(owner=resident, plate="AB-123-C", may_feed_back=False)


@pytest.fixture
def session(car, bay):
    return ChargingSessionFactory(car=car, bay=bay, departure_at=NOW + timedelta(hours=12))


@pytest.fixture
def alice(client, resident):
    client.force_login(resident)
    return client


@pytest.fixture
def bob(client, neighbour):
    client.force_login(neighbour)
    return client


def consent(user):
    Consent.objects.create(user=user, kind=ConsentKind.FEED_BACK, granted=True)


CAR = {
    "plate": "ev-42-xy",
    "battery_kwh": "64",
    "max_charge_kw": "11",
    "max_discharge_kw": "7",
    "floor_kwh": "15",
}


# --- My car page ----------------------------------------------------------------------------


def test_login_required(client, db):
    response = client.get(reverse("energy:my_car"))
    assert response.status_code == 302


def test_my_car_lists_only_my_cars(alice, car, neighbour):
    PrivateCarFactory(owner=neighbour, plate="BOB-1")
    html = alice.get(reverse("energy:my_car")).content.decode()
    assert "AB-123-C" in html
    assert "BOB-1" not in html
    assert "You have not registered a car yet." not in html


def test_my_car_empty(alice):
    html = alice.get(reverse("energy:my_car")).content.decode()
    assert "You have not registered a car yet." in html
    assert reverse("energy:car_register") in html


def test_fed_back_history(alice, car, bay, neighbour):
    for kwh in ("4.5", "3.0"):
        ChargingSessionFactory(
            car=car, bay=bay, status=SessionStatus.ENDED, ended_at=NOW, energy_fed_back_kwh=kwh
        )
    other = PrivateCarFactory(owner=neighbour)
    ChargingSessionFactory(
        car=other, bay=bay, status=SessionStatus.ENDED, ended_at=NOW, energy_fed_back_kwh="50"
    )
    html = alice.get(reverse("energy:my_car")).content.decode()
    assert '<span class="figure" id="fed-back-total">7.5 kWh</span>' in html


# --- Register and edit ----------------------------------------------------------------------


def test_register_form_has_labels(alice):
    html = alice.get(reverse("energy:car_register")).content.decode()
    for field in ("plate", "battery_kwh", "max_charge_kw", "floor_kwh", "feed_back_consent"):
        assert f'<label for="id_{field}"' in html


def test_register_a_car(alice, resident):
    response = alice.post(reverse("energy:car_register"), CAR)
    assert response.status_code == 302
    car = PrivateCar.objects.get(owner=resident)
    assert car.plate == "EV-42-XY"
    assert car.floor_kwh == Decimal("15")
    assert not car.may_feed_back


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"floor_kwh": "70"}, "floor_kwh", "The floor cannot be above the battery"),
        ({"max_charge_kw": "-3"}, "max_charge_kw", "greater than or equal to 0"),
        ({"battery_kwh": "abc"}, "battery_kwh", "Enter a number."),
        ({"plate": ""}, "plate", "This field is required."),
        ({"may_feed_back": "on"}, "may_feed_back", "Feeding back needs your consent"),
    ],
)
def test_bad_input_keeps_what_was_typed(alice, resident, change, field, message):
    data = {**CAR, **change}
    response = alice.post(reverse("energy:car_register"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert 'value="ev-42-xy"' in html or field == "plate"
    assert "aria-invalid" in html
    assert not PrivateCar.objects.filter(owner=resident).exists()
    assert not Consent.objects.filter(user=resident).exists()


def test_duplicate_plate(alice, resident, car):
    response = alice.post(reverse("energy:car_register"), {**CAR, "plate": " ab-123-c "})
    assert response.status_code == 200
    assert "already registered a car with this plate" in response.content.decode()
    assert PrivateCar.objects.filter(owner=resident).count() == 1


def test_other_residents_may_use_the_same_plate(bob, neighbour, car):
    assert bob.post(reverse("energy:car_register"), {**CAR, "plate": "AB-123-C"}).status_code == 302
    assert PrivateCar.objects.filter(owner=neighbour, plate="AB-123-C").exists()


def test_register_with_consent_given_on_the_form(alice, resident):
    data = {**CAR, "may_feed_back": "on", "feed_back_consent": "on"}
    assert alice.post(reverse("energy:car_register"), data).status_code == 302
    assert PrivateCar.objects.get(owner=resident).may_feed_back
    assert Consent.objects.get(user=resident, kind=ConsentKind.FEED_BACK).granted


def test_consent_box_is_not_offered_twice(alice, resident):
    consent(resident)
    html = alice.get(reverse("energy:car_register")).content.decode()
    assert "feed_back_consent" not in html
    assert (
        alice.post(reverse("energy:car_register"), {**CAR, "may_feed_back": "on"}).status_code
        == 302
    )


def test_edit_my_car(alice, car, replans):
    response = alice.post(reverse("energy:car_edit", args=[car.pk]), {**CAR, "plate": car.plate})
    assert response.status_code == 302
    car.refresh_from_db()
    assert car.battery_kwh == Decimal("64")
    assert replans == []  # not plugged in: nothing to re-plan


def test_edit_while_plugged_in_replans(alice, car, session, replans):
    alice.post(reverse("energy:car_edit", args=[car.pk]), {**CAR, "plate": car.plate})
    assert replans == [(session.bay.hub_id, f"private car {car.pk} changed")]


def test_edit_shows_current_values(alice, car):
    html = alice.get(reverse("energy:car_edit", args=[car.pk])).content.decode()
    assert 'value="AB-123-C"' in html


def test_neighbour_cannot_see_or_edit_my_car(bob, car):
    assert bob.get(reverse("energy:car_edit", args=[car.pk])).status_code == 404
    assert bob.post(reverse("energy:car_edit", args=[car.pk]), CAR).status_code == 404
    assert bob.get(reverse("energy:session_start", args=[car.pk])).status_code == 404
    car.refresh_from_db()
    assert car.battery_kwh == Decimal("60")


# --- Plug in ---------------------------------------------------------------------------------


def plug_in_data(bay, **change):
    return {
        "bay": str(bay.pk),
        "initial_soc_kwh": "20",
        "departure_at": "2026-03-11T07:30",
        "target_soc_kwh": "50",
        "feed_back_floor_kwh": "25",
        **change,
    }


def test_plug_in_offers_only_free_bays(alice, car, energy_hub, bay):
    home = BayFactory(hub=energy_hub, label="SHARED")
    VehicleFactory(hub=energy_hub, home_bay=home)
    busy = BayFactory(hub=energy_hub, label="BUSY")
    ChargingSessionFactory(bay=busy)
    html = alice.get(reverse("energy:session_start", args=[car.pk])).content.decode()
    assert "Zonnehof · P1" in html
    assert "SHARED" not in html
    assert "BUSY" not in html


def test_plug_in(alice, car, bay, replans):
    response = alice.post(reverse("energy:session_start", args=[car.pk]), plug_in_data(bay))
    session = ChargingSession.objects.get(car=car)
    assert response.status_code == 302
    assert response["Location"] == reverse("energy:session_detail", args=[session.pk])
    assert session.departure_at == datetime(2026, 3, 11, 7, 30, tzinfo=AMS)
    assert session.status == SessionStatus.ACTIVE
    assert not session.allow_feed_back
    assert replans == [(bay.hub_id, "car plugged in at P1")]


def test_plugged_in_car_goes_to_its_session(alice, car, session):
    response = alice.get(reverse("energy:session_start", args=[car.pk]))
    assert response["Location"] == reverse("energy:session_detail", args=[session.pk])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"departure_at": "2026-03-10T17:00"}, "The departure must be in the future."),
        ({"target_soc_kwh": "80"}, "Your battery holds 60"),
        ({"initial_soc_kwh": "-1"}, "greater than or equal to 0"),
        ({"departure_at": "tomorrow"}, "Enter a valid date/time."),
        ({"allow_feed_back": "on"}, "registered as one that does not feed back"),
    ],
)
def test_plug_in_bad_input(alice, car, bay, replans, change, message):
    response = alice.post(
        reverse("energy:session_start", args=[car.pk]), plug_in_data(bay, **change)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert 'name="target_soc_kwh"' in html
    assert not ChargingSession.objects.exists()
    assert replans == []


def test_plug_in_with_feed_back_needs_consent(alice, resident, bay, replans):
    car = PrivateCarFactory.create(owner=resident, may_feed_back=True)
    url = reverse("energy:session_start", args=[car.pk])
    response = alice.post(url, plug_in_data(bay, allow_feed_back="on"))
    assert "Feeding back needs your consent" in response.content.decode()
    assert not ChargingSession.objects.exists()
    response = alice.post(url, plug_in_data(bay, allow_feed_back="on", feed_back_consent="on"))
    assert response.status_code == 302
    session = ChargingSession.objects.get(car=car)
    assert session.allow_feed_back and session.feed_back_floor_kwh == Decimal("25")


def test_feed_back_floor_below_the_cars_floor(alice, resident, bay):
    consent(resident)
    car = PrivateCarFactory.create(owner=resident, may_feed_back=True, floor_kwh=30)
    response = alice.post(
        reverse("energy:session_start", args=[car.pk]), plug_in_data(bay, allow_feed_back="on")
    )
    assert "Your car never goes below 30" in response.content.decode()


def test_taken_bay(alice, car, bay, replans):
    ChargingSessionFactory(bay=bay)
    response = alice.post(reverse("energy:session_start", args=[car.pk]), plug_in_data(bay))
    assert response.status_code == 200
    assert not ChargingSession.objects.filter(car=car).exists()


# --- Session: plan, change, unplug -----------------------------------------------------------


def test_session_shows_its_plan(alice, session, energy_hub):
    current_plan(energy_hub, start=NOW, slots=4, sessions=[session], power_kw=-2.0)
    html = alice.get(reverse("energy:session_detail", args=[session.pk])).content.decode()
    assert 'id="chart-session"' in html
    assert 'id="session-plan"' in html
    assert '<th scope="row">Tue 18:45</th><td>-2.0</td>' in html
    assert "vendor/chartjs/chart.umd.min.js" in html


def test_session_without_plan_yet(alice, session):
    html = alice.get(reverse("energy:session_detail", args=[session.pk])).content.decode()
    assert "working out a plan for your car" in html


def test_feed_back_estimate_from_flex_prices(alice, resident, bay):
    from energy.models import FlexPriceSlot

    consent(resident)
    car = PrivateCarFactory(owner=resident, may_feed_back=True, max_discharge_kw=5)
    session = ChargingSessionFactory.create(
        car=car,
        bay=bay,
        initial_soc_kwh=40,
        allow_feed_back=True,
        feed_back_floor_kwh=20,
        departure_at=NOW + timedelta(hours=1),
    )
    for q in range(4):
        FlexPriceSlot.objects.create(
            start=NOW + timedelta(minutes=15 * q), up_eur_per_kw="0.01", down_eur_per_kw="0"
        )
    html = alice.get(reverse("energy:session_detail", args=[session.pk])).content.decode()
    assert "Up to € 0.20 for holding up to 5.0 kWh" in html  # 5 kW x 4 slots x 0.01


def test_change_departure(alice, session, replans):
    url = reverse("energy:session_detail", args=[session.pk])
    data = {"departure_at": "2026-03-11T09:15", "target_soc_kwh": "40", "feed_back_floor_kwh": "10"}
    response = alice.post(url, data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.departure_at == datetime(2026, 3, 11, 9, 15, tzinfo=AMS)
    assert session.target_soc_kwh == Decimal("40")
    assert replans == [(session.bay.hub_id, f"session {session.pk} changed")]


def test_change_departure_with_htmx(alice, session, replans):
    url = reverse("energy:session_detail", args=[session.pk])
    data = {"departure_at": "2026-03-11T09:15", "target_soc_kwh": "40", "feed_back_floor_kwh": "10"}
    response = alice.post(url, data, headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.strip().startswith('<div id="session-card" aria-live="polite">')
    assert "Saved. The plan is being updated." in html
    assert 'value="2026-03-11T09:15"' in html
    assert "HX-Request" in response["Vary"]
    assert len(replans) == 1


def test_session_fragment_get(alice, session):
    response = alice.get(reverse("energy:session_detail", args=[session.pk]), headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_change_departure_bad_input_htmx_is_422(alice, session, replans):
    url = reverse("energy:session_detail", args=[session.pk])
    data = {"departure_at": "2026-03-09T09:15", "target_soc_kwh": "40", "feed_back_floor_kwh": "10"}
    response = alice.post(url, data, headers=HX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "The departure must be in the future." in html
    assert 'value="2026-03-09T09:15"' in html
    assert "<html" not in html
    session.refresh_from_db()
    assert session.departure_at == NOW + timedelta(hours=12)
    assert replans == []


def test_change_departure_bad_input_without_htmx(alice, session, replans):
    url = reverse("energy:session_detail", args=[session.pk])
    data = {"departure_at": "", "target_soc_kwh": "-4", "feed_back_floor_kwh": "10"}
    response = alice.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert 'value="-4"' in html
    assert "<html" in html
    assert replans == []


def test_neighbour_cannot_touch_my_session(bob, session, replans):
    url = reverse("energy:session_detail", args=[session.pk])
    assert bob.get(url).status_code == 404
    assert bob.get(url, headers=HX).status_code == 404
    data = {"departure_at": "2026-03-11T09:15", "target_soc_kwh": "40", "feed_back_floor_kwh": "0"}
    assert bob.post(url, data).status_code == 404
    assert bob.post(reverse("energy:session_end", args=[session.pk])).status_code == 404
    session.refresh_from_db()
    assert session.status == SessionStatus.ACTIVE
    assert replans == []


def test_unplug(alice, session, energy_hub, replans):
    # Two runs each began at a past slot and fed back 4 kW there: 2 x 4 kW x 0.25 h.
    for hours in (2, 1):
        current_plan(
            energy_hub,
            start=NOW - timedelta(hours=hours),
            slots=2,
            sessions=[session],
            power_kw=-4.0,
        )
    response = alice.post(reverse("energy:session_end", args=[session.pk]))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.ENDED
    assert session.ended_at == NOW
    assert session.energy_fed_back_kwh == Decimal("2.000")
    assert replans == [(session.bay.hub_id, "car unplugged at P1")]
    html = alice.get(reverse("energy:my_car")).content.decode()
    assert '<span class="figure" id="fed-back-total">2.0 kWh</span>' in html


def test_unplug_needs_post(alice, session):
    assert alice.get(reverse("energy:session_end", args=[session.pk])).status_code == 405


def test_ended_session_cannot_be_changed(alice, session, replans):
    alice.post(reverse("energy:session_end", args=[session.pk]))
    url = reverse("energy:session_detail", args=[session.pk])
    data = {"departure_at": "2026-03-11T09:15", "target_soc_kwh": "40", "feed_back_floor_kwh": "0"}
    response = alice.post(url, data)
    assert response.status_code == 200
    assert "unplugged already" in response.content.decode()
