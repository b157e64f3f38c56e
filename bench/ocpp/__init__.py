"""The OCPP benchmark behind ``manage.py bench_ocpp``: ``driver`` (migrate, seed, serve, report)
and ``load`` (the chargers' heartbeats and the attackers' bad handshakes over websockets).
"""
