"""The hub's OCPP central system: chargers connect here, report, and receive the plan's power.

- :mod:`energy.ocpp.server`: the websocket server, authentication and the set-point loop;
- :mod:`energy.ocpp.credentials`: password checks off the event loop, rate-limited per address;
- :mod:`energy.ocpp.frames`: the CALLERROR that answers a malformed frame;
- :mod:`energy.ocpp.stations`: one class per OCPP version with thin message handlers;
- :mod:`energy.ocpp.profiles`: a set-point as a SetChargingProfile request, per version;
- :mod:`energy.ocpp.meter`: reading power and state of charge from meter values.

Database reads and writes live in :mod:`energy.services.chargers`. Run it with
``manage.py run_ocpp``.
"""
