"""One-time SMS codes for checking in by phone number: sent, then checked at the kiosk.

The rules are in :mod:`warmline.domain.branch.phone_code`. A wrong code counts even
though the check-in fails (its try is committed before the refusal), so the limit on
tries cannot be dodged by a failing request.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.actions.sms import SmsFailed, SmsSender
from warmline.domain.access.roles import Actor
from warmline.domain.branch import phone_code as rules
from warmline.domain.branch.setup import Branch
from warmline.errors import Conflict, InvalidRequest, NotFound, RateLimited, Unavailable
from warmline.storage import schema as t
from warmline.storage.engine import writing


@dataclass(frozen=True, slots=True)
class SentCode:
    """A code on its way: the id the kiosk sends back with it, and until when it works."""

    phone_code_id: str
    expires_at: dt.datetime


def send_phone_code(
    engine: Engine,
    actor: Actor,
    branch: Branch,
    phone: str,
    *,
    sender: SmsSender,
    key: bytes,
    now: dt.datetime | None = None,
) -> SentCode:
    """Send a code to ``phone`` (normalised, E.164) for a check-in at ``branch``, whether or
    not the number is a customer's (the kiosk must not tell)."""
    now = now or dt.datetime.now(dt.UTC)
    code, salt = rules.new_phone_code(), rules.new_salt()
    digest = rules.code_hash(code, salt)  # slow: before the write lock is taken
    who = rules.phone_key(key, phone)
    p = t.phone_codes
    with writing(engine) as conn, conn.begin():
        since = now - rules.SEND_WINDOW
        for column, value, limit, what in (
            (p.c.phone_key, who, rules.SENDS_PER_PHONE, "to this number"),
            (p.c.kiosk, actor.name, rules.SENDS_PER_KIOSK, "from this kiosk"),
        ):
            sent = conn.execute(
                sa.select(sa.func.count()).where(column == value, p.c.sent_at > since)
            ).scalar_one()
            if sent >= limit:
                raise RateLimited(
                    "too_many_phone_codes",
                    f"{limit} codes were sent {what} in the last hour",
                    hint="use the code already sent, or check in with the app's code",
                    extra={"retry_after": int(rules.SEND_WINDOW.total_seconds())},
                )
        code_id = "phc_" + secrets.token_hex(10)
        expires = now + dt.timedelta(minutes=rules.MINUTES)
        conn.execute(
            p.insert().values(
                id=code_id,
                branch=branch.code,
                phone_key=who,
                code_hash=digest,
                salt=salt,
                kiosk=actor.name,
                sent_at=now,
                expires_at=expires,
                tries=0,
            )
        )
    try:
        sender.send(phone, rules.sms_text(code, branch.name))
    except SmsFailed as exc:
        with writing(engine) as conn, conn.begin():
            conn.execute(p.update().where(p.c.id == code_id).values(used_at=now))
        raise Unavailable(
            "sms_not_sent",
            f"the code could not be sent by SMS ({str(exc)[:100]})",
            hint="check in with the app's code, or ask at the counter",
        ) from None
    return SentCode(code_id, expires)


def read_phone_code(conn: Connection, phone_code_id: str) -> dict[str, Any]:
    """The sent code's row (outside any lock: its hash is checked before the write)."""
    p = t.phone_codes
    row = conn.execute(sa.select(p).where(p.c.id == phone_code_id)).mappings().first()
    if row is None:
        raise NotFound(
            "phone_code_not_found",
            "no code was sent for this check-in",
            hint="start again and ask for a new code",
        )
    return dict(row)


def check_phone_code(
    conn: Connection,
    sent: dict[str, Any],
    *,
    phone: str,
    right: bool,
    branch: str,
    key: bytes,
    now: dt.datetime,
) -> Conflict | InvalidRequest | RateLimited | None:
    """Inside the check-in's transaction: use the code, or count the try and return why it
    was refused (the caller commits the try, then raises)."""
    p = t.phone_codes
    row = conn.execute(sa.select(p).where(p.c.id == sent["id"]).with_for_update()).mappings()
    current = row.one()
    if current["phone_key"] != rules.phone_key(key, phone) or current["branch"] != branch:
        return Conflict(
            "phone_code_other_number",
            "that code was sent for another number or branch",
            hint="start again with your number",
        )
    if current["tries"] >= rules.MAX_TRIES:
        return RateLimited(
            "phone_code_locked",
            f"{rules.MAX_TRIES} wrong codes were typed; this code no longer works",
            hint="start again and ask for a new code",
        )
    if current["used_at"] is not None:
        return Conflict(
            "phone_code_used",
            "that code was used already; a code works once",
            hint="start again and ask for a new code",
        )
    if current["expires_at"] <= now:
        return Conflict(
            "phone_code_expired",
            f"that code has expired (codes work for {rules.MINUTES} minutes)",
            hint="start again and ask for a new code",
        )
    if not right:
        tries = current["tries"] + 1
        values: dict[str, Any] = {"tries": tries}
        if tries >= rules.MAX_TRIES:
            values["used_at"] = now  # burnt
        conn.execute(p.update().where(p.c.id == current["id"]).values(**values))
        left = rules.MAX_TRIES - tries
        return InvalidRequest(
            "phone_code_wrong",
            "that is not the code we sent"
            + (
                f"; {left} more tr{'y' if left == 1 else 'ies'}" if left else "; it no longer works"
            ),
            hint="type the 6 digits from the text message" if left else "ask for a new code",
            extra={"tries_left": left},
        )
    conn.execute(p.update().where(p.c.id == current["id"]).values(used_at=now))
    return None
