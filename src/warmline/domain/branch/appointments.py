"""Appointments: references customers type at the kiosk, and whether one is for today.

A reference is 8 characters of Crockford's base32 in two groups (``7K3M-9QPD``): 40 random
bits, so a passer-by typing references at a kiosk finds nobody's booking.
"""

from __future__ import annotations

import datetime as dt
import secrets

from warmline.domain.branch.checkin_code import ALPHABET, compact_base32

REF_CHARS = 8
#: Where an appointment is in its life.
BOOKED, ARRIVED, NO_SHOW, CANCELLED = "booked", "arrived", "no_show", "cancelled"
#: How early a customer may check in for an appointment.
EARLIEST = dt.timedelta(hours=2)


def new_ref() -> str:
    """A fresh reference: ``7K3M-9QPD``."""
    text = "".join(secrets.choice(ALPHABET) for _ in range(REF_CHARS))
    return f"{text[:4]}-{text[4:]}"


def normalise_ref(text: str) -> str | None:
    """A reference as typed (case, spaces and dashes ignored; O read as 0, I and L as 1),
    or None when it cannot be one."""
    compact = compact_base32(text, REF_CHARS)
    return None if compact is None else f"{compact[:4]}-{compact[4:]}"


def day_problem(starts_at: dt.datetime, now: dt.datetime, zone: dt.tzinfo) -> str | None:
    """Why an appointment cannot be checked in for now (None: it can): another day, or
    too early today. Said in the branch's own time."""
    local_start, local_now = starts_at.astimezone(zone), now.astimezone(zone)
    if local_start.date() != local_now.date():
        return f"that appointment is on {local_start:%A %d %B} at {local_start:%H:%M}"
    if starts_at - now > EARLIEST:
        opens = local_start - EARLIEST
        return f"that appointment is at {local_start:%H:%M}; check in from {opens:%H:%M}"
    return None
