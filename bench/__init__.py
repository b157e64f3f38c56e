"""Benchmarks: a development-only app, never installed in production settings or the image.

``bench.dispatch`` builds dispatch scenarios from the shared real data (``../shared/data``) and
measures the dispatcher on them (``bench.dispatch.replay``: the early-departure replay);
``bench.bookings``, ``bench.ocpp`` and ``bench.uftp`` hold the booking, OCPP and UFTP load
tests, ``bench.measure`` what they measure with; ``manage.py bench_*`` are the benchmark
commands the README quotes, each parsing its arguments and calling these. Settings install
this app only when ``BENCHMARKS`` is on (it follows ``DEBUG``).
"""
