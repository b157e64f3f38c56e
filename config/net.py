"""The client's address for per-address limits, seen through trusted proxies only.

``X-Forwarded-For`` is a header anyone can send. It is read only when the peer that connected
(``REMOTE_ADDR``) is one of ``TRUSTED_PROXIES`` (addresses or networks, e.g. ``10.0.0.0/8``), and
then from the right: each trusted proxy appends the address it saw, so the rightmost entry that
is not a trusted proxy is the client, whatever the client wrote to the left of it. Without
trusted proxies the header is ignored and the limits apply to the peer's own address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(name: str, values: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.1", "172.16.0.0/12", "::1"]`` as networks; ``ImproperlyConfigured`` naming
    ``name`` for anything else."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {value!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_address(remote: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The client's address given the connecting peer and its ``X-Forwarded-For`` header."""
    if not trusted or not _is_trusted(remote, trusted):
        return remote
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _valid(hop):
            # Not written by a proxy of ours (they write addresses): stop at what we trust.
            return remote
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else remote


def client_ip(request: Any) -> str:
    """``client_address`` of a Django request (also ``AXES_CLIENT_IP_CALLABLE``)."""
    from django.conf import settings

    meta: Mapping[str, str] = request.META
    return client_address(
        meta.get("REMOTE_ADDR", ""),
        meta.get("HTTP_X_FORWARDED_FOR", ""),
        getattr(settings, "TRUSTED_PROXIES", ()),
    )
