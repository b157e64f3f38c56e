"""A robustness sweep of `plan_scenario` and `check_plan` on many varied scenarios.

`python -m bench.dispatch.sweep [--seeds K] [--only SUBSTRING] [--keep DIR] [--json FILE]`

Each run is a scenario the dispatcher has not seen: a benchmark case of `cases.py` with seeds
2..K (fleet, bookings, base load and flexibility prices are drawn from the seed), scaled down so
that most runs take at most 10 s, and mutations of the documents: per-slot grid bands with dips
(a capacity cap, a forced export = negative import limit, a forced import = negative export
limit), flexibility on and off, base-load spikes, PV zero or huge, private cars leaving after the
horizon, bookings at the very first and last slot, 92-, 100- and 672-slot horizons, no vehicles
or no bookings, time limits from 1 s to 30 s, and documents that break the spec.

Each run is `manage.py plan_scenario` in a fresh process (wall clock from before the process
starts until it has exited), then `manage.py check_plan` on what it wrote. What a run expects:

* `valid`: a plan that keeps every rule exists (all cars idle keeps the band in every slot), so
  the plan written must be valid;
* `unkept`: in some slot no plan can keep the band (even every car at full power in the right
  direction misses it), so exit 0 with a plan whose only violations are rule 7 in slots that
  its summary names in `band_unkept_slots`;
* `either`: one of the two;
* `error`: the document breaks the spec: exit 2, exactly one line on stderr, nothing written.

A failure is a traceback on stderr, a wrong exit code, an invalid plan, a multi-line error, or an
overrun (wall > limit + 1 s). One table row per run; `--json` keeps every result.
"""

from .runner import main

__all__ = ["main"]
