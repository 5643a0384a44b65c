"""Checking in, as the kiosk page and the API both do it, and what the kiosk may say back:
the ticket, a first name, how long, and nothing else about anyone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from fastapi import Request
from sqlalchemy.engine import Engine

from warmline.actions.checkin import CheckedIn, Proof, check_in
from warmline.actions.phone_codes import SentCode, send_phone_code
from warmline.actions.signing import signing_key
from warmline.actions.sms import SmsSender
from warmline.config import Settings
from warmline.domain.access.roles import Actor
from warmline.domain.branch.setup import Branch
from warmline.domain.branch.tickets import first_name
from warmline.domain.branch.waits import wait_minutes, wait_words
from warmline.domain.identity.identifiers import IdentifierError, normalise_identifier
from warmline.errors import InvalidRequest
from warmline.serving.branch_queue import estimates
from warmline.storage import branch_queries as bq
from warmline.storage import queries


def sms_sender(request: Request) -> SmsSender:
    """The app's SMS sender (``WARMLINE_SMS_SENDER``; tests put a stub in its place)."""
    sender: SmsSender = request.app.state.sms_sender
    return sender


def phone_number(text: str, region: str) -> str:
    """A phone number as typed at the kiosk, in E.164; refused with what to type instead."""
    try:
        return normalise_identifier("phone", text, default_region=region)
    except IdentifierError as exc:
        raise InvalidRequest(
            "phone_invalid",
            exc.reason,
            hint="type the mobile number the bank has for you, as you would dial it",
        ) from None


def send_code(
    engine: Engine,
    settings: Settings,
    actor: Actor,
    branch: Branch,
    phone: str,
    sender: SmsSender,
) -> SentCode:
    """Send the one-time code for a phone check-in."""
    key = signing_key(engine, settings.link_secret)
    number = phone_number(phone, settings.default_region)
    return send_phone_code(engine, actor, branch, number, sender=sender, key=key)


def checkin(
    engine: Engine,
    settings: Settings,
    actor: Actor,
    branch: Branch,
    proof: Proof,
    *,
    service: str | None,
    reason: str | None,
) -> dict[str, Any]:
    """Check in and say what the kiosk shows: the ticket, a first name, the wait."""
    key = signing_key(engine, settings.link_secret)
    done = check_in(engine, actor, branch, proof, key=key, service=service, reason=reason)
    return checkin_view(engine, branch, done)


def checkin_view(engine: Engine, branch: Branch, done: CheckedIn) -> dict[str, Any]:
    """What a kiosk may show of a check-in (the read it makes was audited with it)."""
    visit, now = done.visit, dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        found = queries.customer_summaries(conn, [visit["customer_id"]]) if not done.guest else []
        waiting = bq.waiting(conn, branch.code)
        wait = estimates(conn, branch, waiting, now).get(visit["id"], dt.timedelta())
    service = branch.service(visit["service"])
    appointment = done.appointment
    return {
        "visit_id": visit["id"],
        "ticket": visit["ticket"],
        "branch": branch.code,
        "service": visit["service"],
        "service_name": service.name if service else visit["service"],
        "first_name": first_name(found[0]["name"], found[0]["preferred_name"]) if found else None,
        "guest": done.guest,
        "verified": done.verified,
        "reason": visit["reason"],
        "estimated_wait_minutes": wait_minutes(wait),
        "estimated_wait": wait_words(wait),
        "appointment_at": appointment["starts_at"] if appointment else None,
        "appointment_clock": (
            f"{appointment['starts_at'].astimezone(branch.zone):%H:%M}" if appointment else None
        ),
        "staff_told": done.pushed_to is not None,
    }


def qr_svg(code: str) -> str:
    """The code as a QR code, an SVG document (black on white, a quiet zone around it)."""
    qr = segno.make(code, error="m", micro=False)
    return str(qr.svg_inline(scale=6, border=4, dark="#000", light="#fff"))
