"""The dispatcher's model, constraint by constraint, and every strict reading of the spec.

Nothing executable lives here: this is the reference that `lp/`, `assign.py`, `solver.py` and
`check.py` point to. "Rule n" is rule n of `shared/spec/scenario.md`.

Decomposition
=============

1. Assignment (`assign.py`): bookings in start order; a shared car is a candidate when rule 2
   holds (no overlap, `min_turnaround_slots`, no maintenance overlap, not before
   `plugged_in_from_slot`) and its highest reachable charge (flat-out charging whenever plugged,
   capped at the battery) meets the booking's need and every later bound booking's need. Among
   candidates the cheapest estimate wins: trip energy at the terminal value, the charge the promise
   forces before departure at that window's mean price, and the V2G value lost while away (a V2G
   car earns at the hub, so non-V2G cars go first). Bound bookings keep their car (rule 1). A
   booking with no candidate is left null and the summary says why.
1b. Local search (`improve.py`, after a first pass of steps 2-3): relocate, swap and insert
   bookings, each move judged exactly on the per-vehicle LPs of the cars it touches, with the
   grid priced at the grid rows' duals (GLOP, small LPs) or a subgradient of the grid cost; rule
   2 is checked before a move is priced, promises through the LP (a trip set whose promise the
   car cannot reach is infeasible). Each car's LP is built once without trips and kept warm in
   HiGHS (`carlp.py`, through highspy): a trip set is a change of bounds (rule 3 in its slots,
   its energy at departure, rule 5 lifted inside it, rule 6 at its start), re-solved by dual
   simplex from the last basis in ~2 ms on a week instead of ~25 ms from scratch.
   Steps 2-3 then run again and the better checked plan wins; it all ends by 80 % of the time
   limit. (OR-Tools 9.15's HiGHS wrapper returns row activities as duals, hence GLOP.)
2. LP (`lp/`, mode ``fixed``; one helper per constraint family below: rules 1-6 in
   `lp/rules.py`, rule 7 and the objective in `lp/score.py`, rule 8 in `lp/flex.py`) over the
   plugged slots of each vehicle's window [plug-in, departure or horizon end]; solved with HiGHS
   through OR-Tools' model builder.
   HiGHS runs dual simplex (measured 2-4x faster than its default choice on the week case).
   With flexibility prices the LP runs in two stages (`solver.py`, anytime): first without
   flexibility (a third of the size), then flexibility around that plan without an LP
   (`flexaround.py`, safe for rule 8 by construction), the local search, and the LP with
   flexibility in the time that remains; the best checked plan wins, so a short deadline
   degrades to "less flexibility", never to "none" or to the safe plan.
   Stage 2 is solved by row generation on the grid rows (`decompose.py`): rule 7 (and rule 7
   under activation) is kept only in the slots where it may bind, the others price net power at
   a subgradient of the grid cost; the result is certified optimal for the full LP (subgradient
   and feasibility test per slot) or the failing slots are added and it is solved again; the
   full LP decides if that does not settle. Same optimum, a few times faster on the week.
3. Post-processing (`postprocess.py`): p = c - d, re-simulation by the spec's piecewise battery,
   charge clipped where the real battery would pass its cap, flexibility shrunk until the
   independent checker accepts it; else the plan without flexibility; else the safe plan.
4. Safe plan (`baselines.py`): the chosen assignment, charge at full power from plug-in (earliest
   deadline first when the grid limit binds), never discharge, no flexibility; bookings the grid
   cannot feed are dropped to null one by one. Also used when the LP fails or times out.

LP variables (per vehicle v, slot t, boundary b; in `lp/` by the name in brackets)
=================================================================================

c[v,t], d[v,t] >= 0   grid-side charge / discharge; the plan reports p = c - d
                      (`charge`, `discharge`).
soc[v,b]              charge at boundary b (explicit, so every row has few entries) (`soc`).
fu[v,t], fd[v,t] >= 0 flexibility up / down (only with flexibility prices, only where > 0)
                      (`up`, `down`).
U[v,b], D[v,b] >= 0   cumulative effect of all-up / all-down activation on the battery
                      (`up_effect`, `down_effect`).
imp[t], exp[t] >= 0   grid import / export; pv[t] in [0, pv_kw[t]] PV used (rule 7)
                      (`grid_import`, `grid_export`, `pv_used`).
short[v] >= 0         private shortfall; zmax >= short[v] (fairness) (`shortfall`, `zmax`).
slack_b >= 0          missed promise (priced 1e4 EUR/kWh; > 1e-4 drops the booking, re-solve)
                      (`promise_slack`).

Constraints
===========

* Rule 3: c, d, fu, fd exist only on slots where the car is plugged (not before plug-in, not on
  a trip, not in maintenance, not after a private departure).
* Rule 4: 0 <= c <= max_charge_kw, 0 <= d <= max_discharge_kw.
* Battery: soc[b+1] = soc[b] + eta_c h c - h d / eta_d - (trip energy if a booking leaves at b);
  soc at plug-in = initial_soc_kwh. With c and d both positive the LP under-states the real
  charge (netting is less lossy): safe for floors and promises; the cap is restored in
  post-processing by clipping charge, and a price on d in negative-price slots
  (1.01 |price| / (eta_c eta_d)) removes the only incentive to "burn" energy that way.
* Rule 5: min_soc + 1e-5 <= soc <= battery - 1e-5 at every checked boundary (see readings).
* Rule 6: soc[start] + slack >= min_soc + max(promised, expected if back in the horizon) x
  consumption + 1e-5.
* Rule 6, private: short[v] >= min(target', reachable) - soc[departure or horizon end].
* Rule 7: imp - exp = base - pv + sum_v (c - d), imp <= import limit - 1e-5,
  exp <= export limit - 1e-5 (plus a priced import slack so the LP is always feasible).
* Rule 8 (only with flexibility):
  - rule 4 activated: c - d - fu >= -max_discharge, c - d + fd <= max_charge;
  - rule 7 activated: base + sum(c - d) - sum fu >= -export limit (no PV used) and
    base - pv + sum(c - d) + sum fd <= import limit (all PV used);
  - U[b+1] = U[b] + eta_c h fu, D[b+1] = D[b] + eta_c h fd for a car that never discharges
    (then p - fu >= 0 and p + fd >= 0, so eta_c is exact). A V2G car: the battery gain
    phi(q) = h min(eta_c q, q / eta_d) is concave, so the all-up side is exact with two rows,
    U[b+1] - U[b] >= h (eta_c c - d / eta_d) - h eta_c (c - d - fu) and
    U[b+1] - U[b] >= h (eta_c c - d / eta_d) - h (c - d - fu) / eta_d (soc - U then never
    exceeds the spec's all-up charge, and equals it at the optimum); the all-down side keeps
    D[b+1] = D[b] + h fd / eta_d (the largest slope bounds any gain: safe, not exact);
  - floors and promises under all-up: soc - U >= floor / need; caps under all-down:
    soc + D <= battery. All-up needs no cap and all-down no floor: the battery is monotone in p;
  - no growing private shortfall: soc[dep] - U[dep] >= target' - short[v].
* Objective = the spec's score: h (import price x imp - export price x exp) + wear x h x d
  - flexibility prices x (fu, fd) - terminal value x (soc[end] - min_soc) + shortfall penalty x
  short + 0.01 x shortfall penalty x zmax (fairness: among equal totals the shortage is spread)
  + slack prices. Where export pays more than import the true cost is concave in net; both
  directions are priced at one price there (an upper bound of the true cost).

Bound (mode ``relaxed``) and exact MILP (mode ``integer``)
===========================================================

x[booking, class] in [0, 1] (binary in ``integer``), u[booking] = 1 - sum x priced at the
unserved penalty. Identical shared cars without bound bookings form one class of k cars with
k-fold limits (a sum of valid per-car inequalities, hence still a relaxation). Running sums keep
it sparse: A (share away, c <= max_charge (k - A)), X (trips in [start, end + turnaround) <= k:
rule 2), F (how far the floor may drop inside a trip). Flexibility uses slope eta_c for every car
(the smallest possible battery effect: a relaxation). Charge and discharge may overlap (also a
relaxation). The terminal value is max(0, .) via z <= soc[end] - min_soc + F[end]. Its optimum
is a valid lower bound on the score of every valid plan; HiGHS' interior point solves it
without crossover. Rule 3 for flexibility under candidate trips:
p - fu >= -max_discharge (k - A) and p + fd <= max_charge (k - A) (a car away holds no
flexibility; valid for binary x).

Strict readings of the spec
===========================

1. Unknown keys anywhere, booleans as numbers, non-finite numbers (NaN/Infinity in the text)
   are errors. Keys without a stated default are required (`name`, `degradation_eur_per_kwh`,
   the vehicle and site fields); `unavailable` may be absent (= none) and `vehicle` may be absent
   (= null).
2. `initial_soc_kwh` must lie in [min_soc_kwh, battery_kwh]: otherwise no plan can meet rule 5
   at plug-in, so the scenario itself breaks the spec (ScenarioError).
3. A private car must state `departure_slot` (> plugged_in_from_slot) and `departure_soc_kwh`
   (in [0, battery_kwh]); a shared car may state neither. `plugged_in_from_slot` has no upper
   bound (a car on a trip past the horizon's end: `export_scenario` writes `slots`); any value
   from `slots` on reads as `slots`, away all along, while `departure_slot` must still be later
   than the value given.
4. A bound booking that breaks rule 2 (overlap, turnaround, maintenance, before plug-in), or
   whose promise its car cannot reach even charging flat out, makes the scenario invalid: no
   plan could keep rule 1 and rules 2/6 together.
5. Rule 5 holds at every boundary where the car is at the hub: plug-in, every boundary after a
   plugged or maintenance slot, the departure boundary of a booking, and the return boundary
   (`end_slot` < slots), where the charge is the departure charge minus expected_km x
   consumption. So a booking needs min_soc + max(promised, expected) x consumption at its start
   when it returns inside the horizon. Boundaries strictly inside a trip, and a return exactly
   at the horizon's end, are not checked (the terminal value then uses max(0, .)).
6. A private car departing at `departure_slot` == slots counts as departed for the terminal
   value (and its target is checked at the horizon's end with no reduction).
7. "The target drops by what full power could still add": target - eta_c x max_charge x h x
   (departure_slot - slots), without capping at the battery (a larger drop would be the lenient
   reading; capping cannot change the shortfall because targets are <= battery_kwh).
   `reachable` counts only plugged slots (maintenance excluded) and is capped at the battery.
8. Flexibility offered when the scenario has no `flexibility` object is a rule-8 violation.
9. Rule 8's "no private shortfall grows" is checked with the same tolerance as everything else.
10. Tolerance: the checker allows 1e-6 (kWh or kW, absolute) past any bound; the dispatcher
    aims 1e-5 inside every bound, never tighter than the data (a car may start exactly full).
"""
