"""The booking benchmark behind ``manage.py bench_bookings``: ``seed`` (the hub, residents and
bookings), ``server`` (gunicorn against the throwaway database), ``pacing`` (when clients send
and what a pass measured), ``load`` (the client threads and the rate sweep) and ``report``.
"""
