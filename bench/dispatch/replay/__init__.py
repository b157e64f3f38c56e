"""The early-departure replay (issue 12): real residential sessions in Caltech's ACN-Sim.

Development tooling (``manage.py bench_replay``): needs ``acnportal`` (a development dependency)
and the shared data; nothing here is imported by the web app, the worker or ``plan_hub``.

What is real
    The sessions of ``ev-sessions-norway-residential`` (all garages of the Trondheim
    cooperative together: plug-in, plug-out, delivered energy) whose plug-in falls on the chosen
    local days (default 2019-11-04 …, 37-42 sessions a day), and the NL day-ahead prices
    (``nl-day-ahead-prices-2025-15min``, genuine 15-minute prices) of the days exactly 313
    weeks later (2025-11-03 …, the same weekdays; slot k of the replay uses the price of slot k
    after local midnight of the first price day). Sessions shorter than 30 minutes, with less
    than 0.5 kWh, or without a plug-out time are left out.

What is synthesised (seeded, ``random.Random(seed)``), because the data has actual plug-out
times only
    * Declared departures: each session independently, with probability 1/2, is an *early*
      one: ``f ~ U(0.5, 1.0)`` and ``declared = plug-in + (actual - plug-in) / f``, i.e. the
      owner leaves after the share ``f`` of the stay they declared. Otherwise
      ``declared = actual``. On the 15-minute grid an early declared departure is rounded up
      (never before the actual one), an on-time one is the actual plug-out slot.
    * Energy requested: the session's delivered energy from the data, capped at what the
      11 kW charge point could deliver in the (slot-rounded) actual stay, so that every demand
      can be met by some schedule when the grid allows.
    * Battery: ``max(60, requested + 10)`` kWh, initial charge ``U(0.1, 0.4)`` of it, lowered
      where needed so that the request fits; an ideal battery (``acnsim.Battery``: no taper,
      no losses).

The simulation
    ACN-Sim with a period of 15 minutes (every algorithm acts on the planner's slot grid), one
    continuous ``EVSE`` per concurrently used charge point (at most 11 kW = 47.8 A at 230 V,
    phase 0), and one aggregate current constraint ``limit_kw * 1000 / 230`` A over all of
    them: the hub's grid import limit (no base load, no PV). Plug-in is rounded up, the actual
    plug-out down to the grid. ACN-Sim gets ``estimated_departure = declared``; the interface
    the algorithms see (``DeclaredInterface``) also hands them the declared departure as the
    session's ``departure``, so none of them can see when a car really leaves (acnportal's
    ``earliest_deadline_first`` and ``least_laxity_first`` sort by ``estimated_departure``; the
    unplug events use the actual departure).

Algorithms
    ``edf``, ``llf``: ``SortedSchedulingAlgo`` with acnportal's own sort functions.
    ``ours``: ``PlanScenarioAlgo`` calls ``manage.py plan_scenario SCEN --out PLAN
    --time-limit 10`` as a subprocess in every period with a car still charging, on a
    ``v2g-hub-scenario/1`` document of the cars plugged in (each a ``private`` car,
    ``departure_slot`` = declared departure, ``departure_soc_kwh`` = charge now + energy still
    requested, no discharge, efficiency 1, terminal value 0, default shortfall penalty), checks
    each plan with ``check_plan``, and applies the first slot's power (kW → A at 230 V).
    ``ours-declared``: the same with ``--likely-stay-share 1`` (the likely-departure feature
    off), when ``plan_scenario`` has that flag. ``ours-oracle`` (on request): told the actual
    departures, a reference for what the planner could do knowing them.

Measured per algorithm: energy delivered (% of requested), demands fully met (% of sessions,
within 1 % or 0.1 kWh of the request), cost per kWh delivered at the day-ahead import price, the
largest aggregate power of any period against the limit and ACN-Sim's invalid-schedule warnings,
and for ours the wall seconds of each ``plan_scenario`` call (process start included) and how many
plans failed the checker.

The modules: ``sessions`` (the data and what is synthesised: ``build_replay``), ``planner``
(the ACN-Sim algorithm that calls ``plan_scenario``) and ``simulate`` (running one algorithm,
scoring it, the table row).
"""
