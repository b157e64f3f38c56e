"""The grid side of a hub: its grid operators (DSOs) over UFTP and aggregator counterparties.

The hub operator is the aggregator (AGR, in USEF's terms) of each hub's grid connection. It
sends the grid operator a D-Prognosis of the connection per day, answers FlexRequests with
FlexOffers drawn from the current plan's flexibility, accepts FlexOrders that fit an open
offer, and turns each accepted order into a per-slot grid band of the dispatch scenario
(spec rule 7); it settles each order from the site meter or the chargers' meter values
(``energy.grid.settlement``) and checks the grid operator's FlexSettlement against that.
``energy.grid.uftp`` is the protocol adapter (``manage.py run_uftp``, messages built in
``energy.grid.uftp_messages``); the rules live in ``energy.grid.services`` and are shared with
the aggregator API (``energy.grid.api``); the site meter posts its readings to
``energy.grid.meter_api``.

Sign convention (UFTP 3.1 section 4.2.1): power in watts, **positive is consumption** (the hub
imports from the grid), negative is production (it feeds in). A D-Prognosis ISP is the hub's
planned net import. A FlexOffer or FlexOrder ISP is a *deviation* from the D-Prognosis in that
ISP: negative is what the spec calls upward flexibility (less import / more export), positive
is downward flexibility (more import / less export).
"""
