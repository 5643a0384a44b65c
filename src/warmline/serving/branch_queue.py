"""The branch queue as the desk, the API and the waiting-room screen show it: tickets in the
order they will be called, estimated waits, who sits where, and the tickets called.

No customer is read here: tickets, services, reasons and times only.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import weakref
from collections import Counter
from typing import Any

from sqlalchemy.engine import Connection, Engine

from warmline.actions.appointments import sweep_no_shows
from warmline.config import Settings
from warmline.domain.branch.setup import Branch, Service
from warmline.domain.branch.tickets import call_order, local_day, minutes_between
from warmline.domain.branch.waits import estimate_wait, typical_service, wait_minutes, wait_words
from warmline.storage import branch_queries as bq

#: How long a branch's typical service times are reused. They are medians over four
#: weeks of visits: a minute does not move them, and reading four weeks of a busy branch's
#: visits on every check-in and every look at the queue would cost more than the rest.
TYPICAL_FOR = 60.0

_typical: weakref.WeakKeyDictionary[Engine, dict[str, tuple[float, dt.datetime, Any]]] = (
    weakref.WeakKeyDictionary()
)
_typical_lock = threading.Lock()


def typical_times(
    conn: Connection, branch: Branch, now: dt.datetime
) -> dict[tuple[str, int], float]:
    """The branch's median service seconds per (service point, hour), as of at most
    :data:`TYPICAL_FOR` seconds ago (and for a ``now`` that close)."""
    clock = time.monotonic()
    with _typical_lock:
        cached = _typical.get(conn.engine, {}).get(branch.code)
    if cached is not None:
        at, as_of, typical = cached
        if clock - at < TYPICAL_FOR and abs((now - as_of).total_seconds()) < TYPICAL_FOR:
            return dict(typical)
    typical = typical_service(bq.served(conn, branch.code, now), branch.zone)
    with _typical_lock:
        _typical.setdefault(conn.engine, {})[branch.code] = (clock, now, typical)
    return dict(typical)


def estimates(
    conn: Connection, branch: Branch, waiting: list[dict[str, Any]], now: dt.datetime
) -> dict[str, dt.timedelta]:
    """Each waiting ticket's estimated wait from now, by visit id, and each service's wait
    for a ticket taken now, by ``service:<code>``."""
    staffed = bq.staffed_points(conn, branch.code)
    typical = typical_times(conn, branch, now)
    hour = now.astimezone(branch.zone).hour
    busy = {
        p.code: len({w["service"] for w in waiting if w["service"] in p.services})
        for p in branch.service_points
    }
    ahead: Counter[str] = Counter()

    def wait(service: Service) -> dt.timedelta:
        return estimate_wait(
            ahead=ahead[service.code],
            service=service,
            points=branch.service_points,
            staffed=staffed,
            typical=typical,
            hour=hour,
            busy_services=busy,
        )

    found: dict[str, dt.timedelta] = {}
    for ticket in call_order(waiting, now):
        service = branch.service(ticket["service"])
        if service is None:  # a service since taken out of the branch
            continue
        found[ticket["id"]] = wait(service)
        ahead[service.code] += 1
    for service in branch.services:
        found[f"service:{service.code}"] = wait(service)
    return found


def queue_view(
    engine: Engine, settings: Settings, branch: Branch, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The branch's queue now (missed appointments recorded first)."""
    now = now or dt.datetime.now(dt.UTC)
    grace = dt.timedelta(minutes=settings.appointment_grace_minutes)
    sweep_no_shows(engine, branch, grace=grace, region=settings.default_region, now=now)
    with engine.connect() as conn:
        waiting = bq.waiting(conn, branch.code)
        waits = estimates(conn, branch, waiting, now)
        staffed = bq.staffed_points(conn, branch.code)
        today = bq.served_today(conn, branch.code, local_day(now, branch.zone))
    tickets = []
    for position, ticket in enumerate(call_order(waiting, now)):
        service = branch.service(ticket["service"])
        wait = waits.get(ticket["id"], dt.timedelta())
        appointment_at = ticket.get("appointment_at")
        tickets.append(
            {
                "visit_id": ticket["id"],
                "ticket": ticket["ticket"],
                "position": position + 1,
                "service": ticket["service"],
                "service_name": service.name if service else ticket["service"],
                "reason": ticket["reason"],
                "via": ticket["via"],
                "guest": ticket["guest"],
                "checked_in_at": ticket["checked_in_at"],
                "waited_minutes": minutes_between(ticket["checked_in_at"], now),
                "estimated_wait_minutes": wait_minutes(wait),
                "appointment_at": appointment_at,
                "appointment_clock": (
                    f"{appointment_at.astimezone(branch.zone):%H:%M}" if appointment_at else None
                ),
            }
        )
    services = []
    for service in branch.services:
        wait = waits[f"service:{service.code}"]
        services.append(
            {
                "code": service.code,
                "name": service.name,
                "letter": service.letter,
                "waiting": sum(1 for t in tickets if t["service"] == service.code),
                "estimated_wait_minutes": wait_minutes(wait),
                "estimated_wait": wait_words(wait),
            }
        )
    return {
        "branch": branch.code,
        "name": branch.name,
        "at": now,
        "waiting": len(tickets),
        "services": services,
        "tickets": tickets,
        "service_points": [
            {
                "code": p.code,
                "name": p.name,
                "services": list(p.services),
                "staff": staffed.get(p.code),
            }
            for p in branch.service_points
        ],
        "today": today,
    }


def screen_view(conn: Connection, branch: Branch, now: dt.datetime) -> list[dict[str, Any]]:
    """The tickets called today, latest first, with where to go: ticket numbers and counters,
    nothing about anyone."""
    calls = bq.recent_calls(conn, branch.code, local_day(now, branch.zone))
    out = []
    for call in calls:
        point = branch.point(call["service_point"] or "")
        out.append(
            {
                "id": call["id"],
                "ticket": call["ticket"],
                "where": point.name if point else (call["service_point"] or ""),
                "called_at": call["called_at"],
                "clock": f"{call['called_at'].astimezone(branch.zone):%H:%M}",
                "status": call["status"],
            }
        )
    return out
