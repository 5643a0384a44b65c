"""Tickets: what a customer holds while they wait, and the words for a visit.

A ticket is the service's letter and a number that starts again each day at the branch
(its own time zone): ``A012``. Staff call a named ticket by typing it as they hear it
("a12" is ``A012``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from warmline.domain.timewords import ago

_TICKET = re.compile(r"^\s*([A-Za-z])\s*-?\s*0*(\d{1,4})\s*$")
MAX_NUMBER = 9999
#: Where a ticket is in its life. Waiting tickets are in the queue; called ones are at a
#: service point; the others are closed.
WAITING, CALLED, DONE, NO_SHOW = "waiting", "called", "done", "no_show"
CLOSED = frozenset({DONE, NO_SHOW})


def ticket_label(letter: str, number: int) -> str:
    """``A`` and 12 -> ``A012``."""
    return f"{letter}{number:03d}"


def normalise_ticket(text: str) -> str | None:
    """A ticket as staff type it (``a12``, ``A-012``) in its canonical form, or None."""
    found = _TICKET.match(text)
    if not found or not 1 <= int(found.group(2)) <= MAX_NUMBER:
        return None
    return ticket_label(found.group(1).upper(), int(found.group(2)))


def local_day(at: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The day at the branch when ``at`` happened: tickets are numbered per local day."""
    return at.astimezone(zone).date()


def call_order(waiting: Sequence[Mapping[str, Any]], now: dt.datetime) -> list[Mapping[str, Any]]:
    """Who is called next: customers whose appointment time has come, earliest booking
    first; then everyone else in the order they checked in."""
    due = [w for w in waiting if w.get("appointment_at") and w["appointment_at"] <= now]
    due.sort(key=lambda w: (w["appointment_at"], w["checked_in_at"], w["id"]))
    chosen = {w["id"] for w in due}
    rest = [w for w in waiting if w["id"] not in chosen]
    rest.sort(key=lambda w: (w["checked_in_at"], w["id"]))
    return [*due, *rest]


def first_name(name: str | None, preferred: str | None) -> str | None:
    """What the kiosk greets the customer by: the name they like, or their first name.
    Nothing else about them is ever shown on a shared screen."""
    chosen = (preferred or "").strip() or (name or "").strip()
    if not chosen:
        return None
    return chosen.split()[0][:40]


def minutes_between(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(int((end - start).total_seconds() // 60), 0)


def visit_words(visit: Mapping[str, Any], now: dt.datetime) -> str:
    """A visit in a line for the card and the timeline: "ticket A012 at Soho, waited 12
    minutes, served by dave at Counter 1 for 9 minutes"."""
    parts = [f"ticket {visit['ticket']} at {visit.get('branch_name') or visit['branch']}"]
    waited = minutes_between(visit["checked_in_at"], visit.get("called_at") or now)
    if visit.get("called_at") is None:
        parts.append(f"checked in {ago(visit['checked_in_at'], now)}, waiting")
    else:
        parts.append(f"waited {_minutes(waited)}")
        where = f" at {visit['point_name']}" if visit.get("point_name") else ""
        served = minutes_between(visit["called_at"], visit.get("ended_at") or now)
        tense = "served" if visit.get("ended_at") else "being served"
        parts.append(
            f"{tense} by {visit.get('called_by') or 'staff'}{where} for {_minutes(served)}"
        )
    if visit.get("status") == NO_SHOW:
        parts.append("did not come to the counter")
    return ", ".join(parts)


def visit_item(visit: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """A visit beside its interaction (timeline, card): ticket, where, how long waiting and
    being served, and all of it in a line."""
    return {
        "visit_id": visit["id"],
        "ticket": visit["ticket"],
        "branch": visit["branch"],
        "branch_name": visit.get("branch_name") or visit["branch"],
        "service": visit["service"],
        "service_point": visit.get("service_point"),
        "point_name": visit.get("point_name"),
        "via": visit["via"],
        "reason": visit.get("reason"),
        "guest": visit["guest"],
        "checked_in_at": visit["checked_in_at"],
        "called_at": visit.get("called_at"),
        "ended_at": visit.get("ended_at"),
        "called_by": visit.get("called_by"),
        "waited_minutes": minutes_between(visit["checked_in_at"], visit.get("called_at") or now),
        "served_minutes": minutes_between(visit.get("called_at"), visit.get("ended_at") or now),
        "status": visit["status"],
        "words": visit_words(visit, now),
    }


def _minutes(value: int | None) -> str:
    if not value:
        return "under a minute"
    return f"{value} minute{'' if value == 1 else 's'}"
