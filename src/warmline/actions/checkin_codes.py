"""Check-in codes: issued for an app's verified session and a branch; redeemed at its kiosk.

The rules and why a code cannot be forged are in :mod:`warmline.domain.branch.checkin_code`.
Issuing checks the verification exactly as a continuation code does (the customer's own,
unexpired, not itself carried) and allows ``ISSUE_LIMIT`` codes a customer an hour.
Redeeming happens inside the check-in's transaction, so a code is used by the visit it
made and by nothing else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.branch_setup import branch_or_404
from warmline.actions.continuations import check_carriable, find_assurance, live_customer
from warmline.domain.access.roles import Actor
from warmline.domain.branch import checkin_code as codes
from warmline.errors import Conflict, Gone, InvalidRequest, NotFound, RateLimited
from warmline.storage import queries
from warmline.storage import schema as t
from warmline.storage.engine import writing

ISSUE_LIMIT = 5
ISSUE_WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class IssuedCheckinCode:
    """A new code (shown once), for whom, where, and until when."""

    code: str
    customer_id: str
    branch: str
    assurance_id: str
    expires_at: dt.datetime


def issue_checkin_code(
    engine: Engine,
    actor: Actor,
    customer_id: str,
    *,
    branch: str,
    key: bytes,
    assurance_id: str | None = None,
    interaction_id: str | None = None,
    minutes: int = codes.DEFAULT_MINUTES,
    now: dt.datetime | None = None,
) -> IssuedCheckinCode:
    """A code that checks ``customer_id`` in at ``branch`` carrying the verification
    ``assurance_id`` (or the newest one recorded in ``interaction_id``)."""
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    branch_or_404(engine, branch)
    code_id = codes.new_code_id()
    with writing(engine) as conn, conn.begin():
        live = live_customer(conn, customer_id)
        assurance = find_assurance(conn, assurance_id, interaction_id)
        check_carriable(conn, assurance, live, now)
        c = t.checkin_codes
        issued = conn.execute(
            sa.select(sa.func.count()).where(
                c.c.customer_id == live, c.c.issued_at > now - ISSUE_WINDOW
            )
        ).scalar_one()
        if issued >= ISSUE_LIMIT:
            raise RateLimited(
                "too_many_checkin_codes",
                f"{ISSUE_LIMIT} check-in codes were issued for this customer in the last hour",
                hint="show the code already issued; it works for its minutes",
                extra={"retry_after": int(ISSUE_WINDOW.total_seconds())},
            )
        expires = min(now + dt.timedelta(minutes=minutes), assurance["expires_at"])
        expires = expires.replace(microsecond=0)
        conn.execute(
            c.insert().values(
                id=code_id.hex(),
                customer_id=live,
                origin_id=assurance["origin_id"],
                branch=branch,
                assurance_id=assurance["id"],
                issued_by=actor.name,
                issued_at=now,
                expires_at=expires,
            )
        )
        detail = {"checkin_code": code_id.hex(), "branch": branch, "assurance_id": assurance["id"]}
        append_chained(conn, [audit_row(actor, "checkin_code.issued", live, detail)])
    mac = codes.signature(key, code_id, customer_id=live, branch=branch, expires_at=expires)
    return IssuedCheckinCode(
        codes.format_code(code_id, mac), live, branch, assurance["id"], expires
    )


def redeem_in(
    conn: Connection,
    text: str,
    *,
    branch: str,
    key: bytes,
    now: dt.datetime,
    visit_id: str | None = None,
) -> dict[str, Any]:
    """Inside the check-in's transaction: the code's row, marked used (by ``visit_id``),
    with ``live_id`` (the customer it is for, after merges); or refused with a stable code
    (malformed, unknown, tampered, used, expired, for another branch)."""
    parsed = codes.parse_code(text)
    if parsed is None:
        raise InvalidRequest(
            "checkin_code_malformed",
            "a check-in code is 16 letters and digits, like K7QM-2XHD-9WPA-RT4C",
            hint="scan the QR code in the app again, or type the code under it",
        )
    code_id, mac = parsed
    c = t.checkin_codes
    row = conn.execute(sa.select(c).where(c.c.id == code_id.hex()).with_for_update()).mappings()
    found = row.first()
    if found is None:
        raise NotFound(
            "checkin_code_invalid",
            "that check-in code is not one the app was given",
            hint="type it again from the app, or check in with your phone number",
        )
    if not codes.verifies(
        key,
        code_id,
        mac,
        customer_id=found["customer_id"],
        branch=found["branch"],
        expires_at=found["expires_at"],
    ):
        raise InvalidRequest(
            "checkin_code_tampered",
            "that check-in code does not match the one issued",
            hint="scan the QR code again, or ask the app for a new one",
        )
    if found["used_at"] is not None:
        raise Conflict(
            "checkin_code_used",
            "that check-in code was used already; a code works once",
            hint="ask the app for a new one, or check in with your phone number",
        )
    if found["expires_at"] <= now:
        raise Conflict(
            "checkin_code_expired",
            f"that check-in code has expired (they work for {codes.DEFAULT_MINUTES} minutes)",
            hint="open the app and show the new code it makes",
        )
    if found["branch"] != branch:
        raise Conflict(
            "checkin_code_other_branch",
            "that check-in code is for another branch",
            hint="ask the app for a code for this branch, or check in with your phone number",
        )
    live = queries.live_customer_id(conn, found["customer_id"])
    if live is None:
        raise Gone("customer_erased", "that customer's data was erased at their request")
    conn.execute(c.update().where(c.c.id == found["id"]).values(used_at=now, visit_id=visit_id))
    return {**found, "live_id": live}
