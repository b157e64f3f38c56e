"""What the UFTP benchmark saw, checked against the database and against issue 13's targets:
offers answered p95 <= 2 s, orders to new plan p95 <= 10 s, zero promise violations, zero
orders lost or applied twice.

* offer latency: FlexRequest sent (before the HTTP POST) -> the first FlexOffer for it arrived
  at the DSO's service; a request the plan has no free flexibility for is answered (a
  FlexRequestResponse) but has no offer, and is counted as such, not timed;
* order-to-plan: FlexOrder sent -> the hub's current plan is one whose scenario carries the
  order's band (import limit at most baseline less the ordered power in every ordered ISP),
  looked for every 0.2 s;
* lost: an order never answered, refused, accepted without its rows in the database, or
  whose band never reached a plan; applied twice: more than one ``GridOrder`` for a
  MessageID, or more order slots than ISPs ordered (the first is what the database forbids);
* promise violations: ``check_plan`` of each hub's current plan at the end, its rule 5 and 6
  violations (with those of rule 8 on them: every offered flexibility activated at once).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shapeshifter_uftp import AcceptedRejected

from bench.measure import percentile
from bench.uftp.rounds import Tally
from bench.uftp.seed import BenchHub

OFFER_P95_S = 2.0
ORDER_P95_S = 10.0
ACCEPTED = AcceptedRejected.ACCEPTED


def summarise(tally: Tally, hubs: list[BenchHub]) -> dict[str, Any]:
    from django.db.models import Count

    from energy.models import DispatchRun, DPrognosis, GridOrder

    requests = list(tally.requests.values())
    offer_s = [r.offer_at - r.sent_at for r in requests if r.offer_at is not None]
    answer_s = [r.answered_at - r.sent_at for r in requests if r.answered_at is not None]
    refused = Counter(
        str(r.reason) for r in requests if r.answered_at is not None and r.result != ACCEPTED
    )
    orders = tally.orders
    rows = dict(
        GridOrder.objects.filter(message_id__in=list(orders))
        .annotate(n=Count("slots"))
        .values_list("message_id", "n")
    )
    per_id = Counter(
        str(m)
        for m in GridOrder.objects.filter(message_id__in=list(orders)).values_list(
            "message_id", flat=True
        )
    )
    lost: Counter[str] = Counter()
    twice = 0
    for message_id, order in orders.items():
        slots = rows.get(_uuid(message_id))
        if per_id[message_id] > 1 or (slots is not None and slots > order.isps):
            twice += 1
        if not order.answers:
            lost["never answered"] += 1
        elif not any(result == ACCEPTED for result, _ in order.answers):
            lost[f"refused: {order.answers[0][1]}"] += 1
        elif slots is None:
            lost["accepted, not in the database"] += 1
        elif order.planned_at is None:
            lost["accepted, never in a plan"] += 1
    duplicates = {m: o for m, o in orders.items() if o.copies > 1}
    once = sum(  # both copies answered Accepted, one GridOrder
        len(o.answers) == 2 and all(r == ACCEPTED for r, _ in o.answers) and per_id[m] == 1
        for m, o in duplicates.items()
    )
    plan_s = [o.planned_at - o.sent_at for o in orders.values() if o.planned_at is not None]
    promises, bands, other = _check_plans(hubs)
    solves = DispatchRun.objects.filter(
        hub_id__in=[h.id for h in hubs], solver_seconds__isnull=False
    ).values_list("solver_seconds", flat=True)
    statuses = Counter(
        DispatchRun.objects.filter(hub_id__in=[h.id for h in hubs]).values_list("status", flat=True)
    )
    return {
        "requests": len(requests),
        "requests_undelivered": sum(not r.delivered for r in requests),
        "requests_answered": sum(r.answered_at is not None for r in requests),
        "requests_refused": dict(refused),
        "requests_without_offer": sum(
            r.answered_at is not None and r.result == ACCEPTED and not r.offers for r in requests
        ),
        "offers": sum(r.offers for r in requests),
        "offers_unmatched": tally.offers_unmatched,
        "offer_latency_s": _stats(offer_s),
        "answer_latency_s": _stats(answer_s),
        "orders": len(orders),
        "orders_accepted": sum(any(r == ACCEPTED for r, _ in o.answers) for o in orders.values()),
        "order_to_plan_s": _stats(plan_s),
        "duplicates_sent": len(duplicates),
        "duplicates_accepted_once": once,
        "applied_twice": twice,
        "orders_lost": sum(lost.values()),
        "orders_lost_why": dict(lost),
        "promise_violations": promises,
        "band_violations": bands,
        "other_violations": other,
        "runs": dict(statuses),
        "plan_s": _stats([float(s) for s in solves if s is not None]),
        "d_prognoses_received": tally.prognoses,
        "d_prognoses_accepted": tally.prognoses_accepted,
        "d_prognoses_rejected": dict(tally.prognoses_rejected),
        "d_prognosis_answers_undelivered": tally.prognosis_answers_undelivered,
        # the hubs' side: what they sent (delivered or not) and the answers they recorded
        "d_prognoses_sent": dict(
            Counter(
                DPrognosis.objects.filter(hub_id__in=[h.id for h in hubs]).values_list(
                    "status", flat=True
                )
            )
        ),
        "send_errors": tally.send_errors[:5],
    }


def _uuid(message_id: str) -> Any:
    import uuid

    return uuid.UUID(message_id)


def _stats(values: list[float]) -> dict[str, float]:
    nan = float("nan")
    return {
        "n": len(values),
        "p50": statistics.median(values) if values else nan,
        "p95": percentile(values, 0.95),
        "max": max(values, default=nan),
    }


def _check_plans(hubs: list[BenchHub]) -> tuple[int, int, int]:
    """Rule 5/6 violations (promises), rule 7 ones (grid band) and any other of the current
    plans."""
    from energy.dispatch import check_plan, parse_plan, parse_scenario
    from energy.models import DispatchRun

    promises = bands = other = 0
    for run in DispatchRun.objects.filter(hub_id__in=[h.id for h in hubs], is_current=True):
        scenario = parse_scenario(run.scenario)
        result = check_plan(scenario, parse_plan(run.plan, scenario))
        for violation in result.violations:
            rule = violation.split(":")[0]
            if rule.endswith(("5", "6")):
                promises += 1
            elif rule.endswith("7"):
                bands += 1
            else:
                other += 1
    return promises, bands, other


def verdicts(summary: dict[str, Any]) -> list[tuple[str, bool]]:
    offers, plans = summary["offer_latency_s"], summary["order_to_plan_s"]
    every_request = summary["requests_answered"] == summary["requests"]
    return [
        (f"offers answered p95 <= {OFFER_P95_S:g} s",
         every_request and offers["p95"] <= OFFER_P95_S),
        (f"orders to new plan p95 <= {ORDER_P95_S:g} s",
         plans["n"] > 0 and plans["p95"] <= ORDER_P95_S),
        ("zero promise violations", summary["promise_violations"] == 0),
        ("zero orders lost", summary["orders_lost"] == 0),
        ("zero orders applied twice", summary["applied_twice"] == 0),
    ]  # fmt: skip


def report(
    out: Callable[[str], Any],
    options: dict[str, Any],
    hubs: list[BenchHub],
    tally: Tally,
    *,
    seconds: float,
) -> None:
    s = summarise(tally, hubs)
    o, p = s["offer_latency_s"], s["order_to_plan_s"]
    out(f"{'':<34} {'count':>7} {'p50 s':>7} {'p95 s':>7} {'max s':>7}")
    out(f"{'FlexRequests sent':<34} {s['requests']:>7}")
    a = s["answer_latency_s"]
    out(f"{'  answered (FlexRequestResponse)':<34} {s['requests_answered']:>7} {a['p50']:>7.2f} "
        f"{a['p95']:>7.2f} {a['max']:>7.2f}")  # fmt: skip
    out(f"{'  answered without an offer':<34} {s['requests_without_offer']:>7}")
    out(f"{'FlexOffers (request -> offer)':<34} {s['offers']:>7} {o['p50']:>7.2f} "
        f"{o['p95']:>7.2f} {o['max']:>7.2f}")  # fmt: skip
    out(f"{'FlexOrders sent':<34} {s['orders']:>7}")
    out(f"{'  accepted':<34} {s['orders_accepted']:>7}")
    out(f"{'  order -> plan with its band':<34} {p['n']:>7} {p['p50']:>7.2f} "
        f"{p['p95']:>7.2f} {p['max']:>7.2f}")  # fmt: skip
    out(f"{'  sent twice (same MessageID)':<34} {s['duplicates_sent']:>7}")
    out(f"{'    both answered, accepted once':<34} {s['duplicates_accepted_once']:>7}")
    out(f"{'  applied twice':<34} {s['applied_twice']:>7}")
    out(f"{'  lost':<34} {s['orders_lost']:>7}")
    out(f"{'promise violations (rules 5/6)':<34} {s['promise_violations']:>7}")
    out(f"{'grid band violations (rule 7)':<34} {s['band_violations']:>7}")
    out(f"{'other violations (rules 1-4, 8)':<34} {s['other_violations']:>7}")
    runs = ", ".join(f"{k} {v}" for k, v in sorted(s["runs"].items()))
    solve = s["plan_s"]
    out(f"dispatch runs: {runs} (plan p50 {solve['p50']:.2f} s, p95 {solve['p95']:.2f} s); "
        f"{seconds:.0f} s in all")  # fmt: skip
    sent = s["d_prognoses_sent"]
    out(f"D-Prognoses: {sum(sent.values())} sent by the hubs, {s['d_prognoses_received']} "
        f"received by the DSO, {s['d_prognoses_accepted']} accepted by it, "
        f"{sum(s['d_prognoses_rejected'].values())} rejected; the hubs recorded "
        f"{sent.get('accepted', 0)} accepted, {sent.get('rejected', 0)} rejected, "
        f"{sent.get('sent', 0) + sent.get('sending', 0)} unanswered, "
        f"{sent.get('failed', 0)} not delivered")  # fmt: skip
    for label, why in (("requests refused", s["requests_refused"]),
                       ("orders lost", s["orders_lost_why"]),
                       ("D-Prognoses rejected", s["d_prognoses_rejected"])):  # fmt: skip
        if why:
            out(f"{label}: " + ", ".join(f"{k} ({v})" for k, v in why.items()))
    if s["send_errors"]:
        out(f"not delivered ({len(tally.send_errors)}): {s['send_errors'][0]}")
    results = verdicts(s)
    for label, ok in results:
        out(f"{'PASS' if ok else 'FAIL'}  {label}")
    if options.get("json"):
        s["verdicts"] = dict(results)
        Path(options["json"]).write_text(json.dumps(s, indent=1, default=str), encoding="utf-8")
