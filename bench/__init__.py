"""Benchmarks: a development-only app, never installed in production settings or the image.

``bench.dispatch`` builds dispatch scenarios from the shared real data (``../shared/data``) and
measures the dispatcher on them; ``manage.py bench_*`` are the benchmark commands the README
quotes. Settings install this app only when ``BENCHMARKS`` is on (it follows ``DEBUG``).
"""
