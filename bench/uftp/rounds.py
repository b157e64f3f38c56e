"""The DSO's day: a FlexRequest for every hub each simulated 15 minutes, the offers it gets
ordered (a share) or turned down, some orders sent twice, and each accepted order followed
until the hub's current plan carries its band.

Simulated time: the day's ISPs are real future ISPs (the plans, offers and orders are about
them, on the real clock); only the DSO's cadence is sped up. Round ``k`` (``k = 0 .. rounds-1``)
is sent at ``t0 + k * 900 / speed`` real seconds and asks each hub for the ``window`` ISPs
starting at ``day_start + k * 15 min``, ``day_start`` being the ISP ``lead`` ISPs after the one
holding the benchmark's start; at 60x a simulated day of 96 rounds takes 24 real minutes.
"""

from __future__ import annotations

import itertools
import queue
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from shapeshifter_uftp import (
    AcceptedRejected,
    DPrognosis,
    FlexOffer,
    FlexOrderResponse,
    FlexRequestResponse,
    ShapeshifterDsoAgrClient,
)
from xsdata.models.datatype import XmlDate

from bench.uftp.dso import Arrival, PrognosisAnswer, flex_request, offer_response, order_of
from bench.uftp.seed import BenchHub
from energy.grid.selectors import ISP, day_isp_starts

POLL_SECONDS = 0.2  # between looks at the hubs' current plans
BAND_TOLERANCE_KW = 0.0015  # the scenario rounds its limits to watts


@dataclass
class Request:
    hub: BenchHub
    round_no: int
    sent_at: float
    delivered: bool = True  # False: the AGR did not take the HTTP POST
    answered_at: float | None = None
    result: str | None = None
    reason: str | None = None
    offer_at: float | None = None
    offers: int = 0


@dataclass
class Order:
    hub: BenchHub
    sent_at: float
    copies: int = 1  # 2: sent twice with the same MessageID
    delivered: int = 0
    answers: list[tuple[str, str | None]] = field(default_factory=list)
    isps: int = 0  # ordered
    slots: list[dict[str, Any]] | None = None  # the accepted order's rows, read once
    planned_at: float | None = None


@dataclass
class Tally:
    requests: dict[str, Request] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    prognoses: int = 0  # D-Prognoses the DSO received
    prognoses_accepted: int = 0  # of which it answered Accepted
    prognoses_rejected: Counter[str] = field(default_factory=Counter)  # by reason
    prognosis_answers_undelivered: int = 0
    offers_unmatched: int = 0
    send_errors: list[str] = field(default_factory=list)


class Campaign:
    """One DSO against every hub; ``run`` returns what it saw."""

    def __init__(
        self,
        *,
        client: ShapeshifterDsoAgrClient,
        inbox: queue.Queue[Arrival],
        hubs: list[BenchHub],
        options: dict[str, Any],
        log: Callable[[str], Any],
    ) -> None:
        self.client, self.inbox, self.hubs, self.log = client, inbox, hubs, log
        self.interval = 900.0 / options["speed"]
        self.rounds = options["rounds"]
        self.window = options["window"]
        self.order_every = options["order_every"]
        self.duplicate_every = options["duplicate_every"]
        self.settle = options["settle"]
        self.index = {h.id: n for n, h in enumerate(hubs)}
        now = timezone.now()
        first = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        self.day_start = first + options["lead"] * ISP
        self.tally = Tally()
        self.order_numbers = itertools.count(1)
        self.runs: dict[int, tuple[datetime, int, Any]] = {}
        self.next_poll = 0.0

    def run(self) -> Tally:
        t0 = time.monotonic()
        for k in range(self.rounds):
            self.pump(t0 + k * self.interval)
            self.send_round(k)
            if k % 4 == 3:
                self.log(f"round {k + 1}/{self.rounds}: {self.progress()}")
        self.pump(t0 + self.rounds * self.interval)
        deadline = time.monotonic() + self.settle
        while not self.done() and time.monotonic() < deadline:
            self.pump(min(deadline, time.monotonic() + 1.0))
        return self.tally

    def progress(self) -> str:
        t = self.tally
        planned = sum(o.planned_at is not None for o in t.orders.values())
        offers = sum(r.offers for r in t.requests.values())
        return (
            f"{len(t.requests)} requests, {offers} offers, {len(t.orders)} orders, "
            f"{planned} planned"
        )

    def done(self) -> bool:
        t = self.tally
        if any(r.delivered and r.answered_at is None for r in t.requests.values()):
            return False
        for order in t.orders.values():
            if len(order.answers) < order.delivered:
                return False
            accepted = any(result == AcceptedRejected.ACCEPTED for result, _ in order.answers)
            if accepted and order.planned_at is None and order.slots != []:
                return False
        return True

    # -- sending ------------------------------------------------------------------------
    def send_round(self, k: int) -> None:
        wanted = [self.day_start + (k + j) * ISP for j in range(self.window)]
        for hub in self.hubs:
            zone = ZoneInfo(hub.time_zone)
            by_day: dict[Any, list[datetime]] = {}
            for start in wanted:
                by_day.setdefault(start.astimezone(zone).date(), []).append(start)
            for day, starts in by_day.items():
                numbers = {s: n + 1 for n, s in enumerate(day_isp_starts(day, hub.time_zone))}
                message = flex_request(
                    point=hub.point,
                    time_zone=hub.time_zone,
                    period=XmlDate.from_date(day),
                    isps=[numbers[s] for s in starts],
                    now=timezone.now(),
                )
                request = Request(hub, k, time.monotonic())
                self.tally.requests[message.message_id] = request
                try:
                    self.client.send_flex_request(message)
                except Exception as exc:  # transport: counted, the run goes on
                    request.delivered = False
                    self.tally.send_errors.append(f"FlexRequest: {exc}"[:200])

    def _send(self, what: str, send: Callable[[Any], None], message: Any) -> bool:
        try:
            send(message)
        except Exception as exc:
            self.tally.send_errors.append(f"{what}: {exc}"[:200])
            return False
        return True

    def answer_offer(self, offer: FlexOffer, request: Request) -> None:
        ordering = (self.index[request.hub.id] + request.round_no) % self.order_every == 0
        self._send(
            "FlexOfferResponse",
            self.client.send_flex_offer_response,
            offer_response(offer, ordering=ordering),
        )
        if not ordering:
            return
        n = next(self.order_numbers)
        message = order_of(offer, reference=f"BENCH-{n}")
        copies = 2 if self.duplicate_every and n % self.duplicate_every == 0 else 1
        order = Order(request.hub, time.monotonic(), copies=copies)
        order.isps = sum(i.duration or 1 for i in message.isps)
        assert message.message_id is not None
        self.tally.orders[message.message_id] = order
        for _ in range(copies):  # the copy goes at once: both are processed side by side
            copy = order_of(offer, reference=f"BENCH-{n}", message_id=message.message_id)
            order.delivered += self._send("FlexOrder", self.client.send_flex_order, copy)

    # -- receiving ----------------------------------------------------------------------
    def pump(self, until: float) -> None:
        while True:
            now = time.monotonic()
            if now >= self.next_poll:
                self.poll_plans()
                self.next_poll = time.monotonic() + POLL_SECONDS
            if now >= until:
                return
            try:
                arrival = self.inbox.get(timeout=max(0.0, min(until, self.next_poll) - now))
            except queue.Empty:
                continue
            self.receive(*arrival)

    def receive(self, at: float, message: Any) -> None:
        t = self.tally
        if isinstance(message, FlexRequestResponse):
            request = t.requests.get(message.flex_request_message_id or "")
            if request is not None and request.answered_at is None:
                request.answered_at = at
                request.result, request.reason = message.result, message.rejection_reason
        elif isinstance(message, FlexOffer):
            request = t.requests.get(message.flex_request_message_id or "")
            if request is None:
                t.offers_unmatched += 1
                return
            request.offers += 1
            request.offer_at = request.offer_at or at
            self.answer_offer(message, request)
        elif isinstance(message, FlexOrderResponse):
            order = t.orders.get(message.flex_order_message_id or "")
            if order is not None:
                order.answers.append((message.result, message.rejection_reason))
                if message.result == AcceptedRejected.ACCEPTED and order.slots is None:
                    order.slots = order_slots(message.flex_order_message_id or "")
        elif isinstance(message, DPrognosis):
            t.prognoses += 1
        elif isinstance(message, PrognosisAnswer):
            if message.accepted:
                t.prognoses_accepted += 1
            else:
                t.prognoses_rejected[(message.reason or "")[:60]] += 1
            if not message.delivered:
                t.prognosis_answers_undelivered += 1
                t.send_errors.append(f"D-PrognosisResponse: {message.error}")

    def poll_plans(self) -> None:
        """Each accepted order waits for a current plan whose scenario carries its band: in
        each ordered ISP an import limit at most the baseline less the ordered power."""
        from energy.models import DispatchRun

        waiting: dict[int, list[Order]] = {}
        for order in self.tally.orders.values():
            if order.slots and order.planned_at is None:
                waiting.setdefault(order.hub.id, []).append(order)
        if not waiting:
            return
        now = time.monotonic()
        current = DispatchRun.objects.filter(hub_id__in=waiting, is_current=True).values_list(
            "pk", "hub_id", "horizon_start", "slot_minutes"
        )
        for pk, hub_id, horizon_start, minutes in current:
            if pk not in self.runs:
                limits = (
                    DispatchRun.objects.filter(pk=pk)
                    .values_list("scenario__site__grid_import_limit_kw", flat=True)
                    .first()
                )
                self.runs[pk] = (horizon_start, minutes, limits)
            for order in waiting[hub_id]:
                if carries(self.runs[pk], order.slots or []):
                    order.planned_at = now


def order_slots(message_id: str) -> list[dict[str, Any]]:
    from energy.models import GridOrderSlot

    rows = GridOrderSlot.objects.filter(order__message_id=message_id).values_list(
        "start", "power_w", "baseline_w"
    )
    return [{"start": s, "power_w": p, "baseline_w": b} for s, p, b in rows]


def carries(run: tuple[datetime, int, Any], slots: list[dict[str, Any]]) -> bool:
    horizon_start, minutes, limits = run
    if not isinstance(limits, list):
        return False  # one limit for every slot: no order's band in it
    for slot in slots:
        t = int((slot["start"] - horizon_start) / timedelta(minutes=minutes))
        if not 0 <= t < len(limits):
            return False
        if float(limits[t]) > (slot["baseline_w"] + slot["power_w"]) / 1000 + BAND_TOLERANCE_KW:
            return False
    return True
