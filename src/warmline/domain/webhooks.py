"""Webhooks out: the events other systems may subscribe to, what each carries, which
subscriptions an event goes to, and which network addresses a receiver may have.

Payloads carry ids, never a customer's words: a receiver that needs more reads it through
the API, where the read is authorised and audited. ``customer.erased`` carries the
customer's id alone, so a receiver can erase its own copy.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

#: Every event type a subscription may name, with what it means.
EVENT_TYPES: dict[str, str] = {
    "customer.at_risk": "a customer's risk score crossed the threshold",
    "customer.erased": "a customer was erased (erase your copy of them too)",
    "handover.created": "an interaction was handed over to an agent or a queue",
    "handover.accepted": "the receiving agent accepted a handover",
    "merge.created": "two customer records were merged into one",
    "merge.undone": "a merge was undone: the records are two customers again",
}
#: A subscription to every event type, present and future.
ALL = "*"

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnknownEventTypes(ValueError):
    """Event types no subscription can name; ``unknown`` lists them."""

    def __init__(self, unknown: list[str]) -> None:
        super().__init__(", ".join(unknown))
        self.unknown = unknown


def check_event_types(names: Iterable[str]) -> list[str]:
    """The event types as a subscription keeps them (sorted, once each), or raise
    :class:`UnknownEventTypes`."""
    wanted = sorted({n.strip() for n in names})
    if unknown := [n for n in wanted if n != ALL and n not in EVENT_TYPES]:
        raise UnknownEventTypes(unknown)
    return [ALL] if ALL in wanted else wanted


def subscribes(event_types: Sequence[str], event_type: str) -> bool:
    return ALL in event_types or event_type in event_types


# -- payloads --------------------------------------------------------------------------


def handover_created(handover: dict[str, Any]) -> dict[str, Any]:
    return {
        "handover_id": handover["id"],
        "interaction_id": handover["interaction_id"],
        "customer_id": handover["customer_id"],
        "from_agent": handover["from_agent"],
        "to_agent": handover["to_agent"],
        "to_queue": handover["to_queue"],
        "created_at": _iso(handover["created_at"]),
    }


def handover_accepted(handover: dict[str, Any]) -> dict[str, Any]:
    return {
        "handover_id": handover["id"],
        "interaction_id": handover["interaction_id"],
        "customer_id": handover["customer_id"],
        "accepted_by": handover["accepted_by"],
        "accepted_at": _iso(handover["accepted_at"]),
    }


def merge_created(merge: dict[str, Any]) -> dict[str, Any]:
    """``from_id`` became part of ``into_id`` (the id that stays)."""
    return {
        "merge_id": merge["id"],
        "from_id": merge["from_id"],
        "into_id": merge["into_id"],
        "rule": merge["rule"],
        "made_at": _iso(merge["made_at"]),
    }


def merge_undone(merge: dict[str, Any], undone_at: dt.datetime) -> dict[str, Any]:
    return {
        "merge_id": merge["id"],
        "from_id": merge["from_id"],
        "into_id": merge["into_id"],
        "undone_at": _iso(undone_at),
    }


def customer_erased(customer_id: str) -> dict[str, Any]:
    return {"customer_id": customer_id}


def _iso(when: dt.datetime | None) -> str | None:
    return when.isoformat() if when else None


# -- addresses -------------------------------------------------------------------------


class BadNetworks(ValueError):
    """A network in the allowed list that is not a CIDR network."""


def parse_networks(text: str) -> tuple[IpNetwork, ...]:
    """``"127.0.0.0/8 10.1.0.0/16"`` as networks; raise :class:`BadNetworks` naming the bad
    one."""
    networks = []
    for part in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise BadNetworks(part) from None
    return tuple(networks)


def address_refusal(address: str, allowed: Sequence[IpNetwork]) -> str | None:
    """Why a receiver at ``address`` (an IP literal) may not be called, or None when it may.

    Public (globally routable) addresses may; loopback, private, link-local (cloud metadata
    services live there), carrier-grade NAT, multicast, reserved and unspecified ones only
    when a network in ``allowed`` holds them. An IPv6 address that maps or embeds an IPv4
    one is judged as that IPv4 address.
    """
    try:
        ip: IpAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"'{address[:60]}' is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            ip = embedded
    if any(ip in network for network in allowed):
        return None
    if ip.is_global and not ip.is_multicast:
        return None
    kind = (
        "loopback"
        if ip.is_loopback
        else "link-local"
        if ip.is_link_local
        else "private"
        if ip.is_private
        else "multicast"
        if ip.is_multicast
        else "non-public"
    )
    return f"{ip} is a {kind} address"
