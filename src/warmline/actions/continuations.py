"""Issuing and redeeming continuation codes: a verification carried into the next contact.

The rules and the arithmetic behind the limits are in :mod:`warmline.domain.identity.continuation`.
Issuing checks the verification (it must be the customer's, unexpired, and not itself
carried by a code) and the per-customer issue limit. Redeeming checks the source's and
the customer's failure limits before anything else, records every failure, burns codes
that may have leaked, and on success records a ``customer.authenticated`` event on the
new interaction through ingest: the original channel, level, time and expiry, method
"..., by continuation code". Both are audited; the code itself is never stored or logged.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.ingest import ingest_events
from warmline.domain.access.roles import Actor
from warmline.domain.identity import continuation as rules
from warmline.errors import Conflict, Gone, InvalidRequest, NotFound, RateLimited, WarmlineError
from warmline.storage import handover_queries as hq
from warmline.storage import queries
from warmline.storage import schema as t
from warmline.storage.engine import writing

REDEEMED = "redeemed"
#: Outcomes of codes burnt because they may have leaked.
BURNT_FOR_GUESSES = "burnt_guesses"
BURNT_FOR_OTHER = "burnt_other_customer"


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A new code (shown once), what it carries and when it stops working."""

    code: str
    continuation_id: str
    customer_id: str
    assurance_id: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Source:
    """Who presents codes, for the per-source limit: the key and the client address."""

    key_id: str
    address: str


def issue_code(
    engine: Engine,
    actor: Actor,
    customer_id: str,
    *,
    assurance_id: str | None = None,
    interaction_id: str | None = None,
    minutes: int = rules.DEFAULT_MINUTES,
    now: dt.datetime | None = None,
) -> IssuedCode:
    """Issue a code for the customer's verification ``assurance_id``, or for the newest
    verification recorded in ``interaction_id`` (Warmline's or the source's id)."""
    now = now or dt.datetime.now(dt.UTC)
    code = rules.new_code()
    digest = rules.code_hash(code)  # slow: before the write lock is taken
    with writing(engine) as conn, conn.begin():
        live = live_customer(conn, customer_id)
        assurance = find_assurance(conn, assurance_id, interaction_id)
        check_carriable(conn, assurance, live, now)
        _check_issue_limit(conn, live, now)
        if conn.execute(
            sa.select(t.continuations.c.id).where(t.continuations.c.code_hash == digest)
        ).first():
            # One chance in 10**8 per live code; the caller may simply ask again.
            raise Conflict("code_collision", "that code is taken; ask for another one")
        continuation_id = "cont_" + secrets.token_hex(8)
        expires = rules.code_expiry(now, assurance["expires_at"], minutes)
        conn.execute(
            t.continuations.insert().values(
                id=continuation_id,
                code_hash=digest,
                customer_id=live,
                origin_id=assurance["origin_id"],
                assurance_id=assurance["id"],
                issued_by=actor.name,
                issued_at=now,
                expires_at=expires,
            )
        )
        detail = {"continuation_id": continuation_id, "assurance_id": assurance["id"]}
        append_chained(conn, [audit_row(actor, "continuation.issued", live, detail)])
    return IssuedCode(code, continuation_id, live, assurance["id"], expires)


def live_customer(conn: Connection, customer_id: str) -> str:
    """The live customer ``customer_id`` is (after merges); 404 or 410 when there is none."""
    live = queries.live_customer_id(conn, customer_id)
    if live is None and queries.is_erased(conn, customer_id):
        raise Gone("customer_erased", "this customer's data was erased at their request")
    if live is None:
        raise NotFound("customer_not_found", f"no customer '{customer_id[:60]}'")
    return live


def find_assurance(
    conn: Connection, assurance_id: str | None, interaction_id: str | None
) -> dict[str, Any]:
    """The verification to carry: by its id, or the newest one of an interaction."""
    if (assurance_id is None) == (interaction_id is None):
        raise InvalidRequest(
            "invalid_continuation",
            "name exactly one of assurance_id or interaction_id",
            hint="the verification to carry: its assurance id, or the interaction it was in",
        )
    if assurance_id is not None:
        found = hq.assurance(conn, assurance_id)
    else:
        assert interaction_id is not None
        interaction = hq.interaction(conn, interaction_id)
        found = hq.latest_assurance_of(conn, interaction["customer_id"], interaction["id"])
    if found is None:
        raise NotFound(
            "assurance_not_found",
            "no verification was recorded there",
            hint="post the customer.authenticated event for the session first",
        )
    return found


def check_carriable(
    conn: Connection, assurance: dict[str, Any], live: str, now: dt.datetime
) -> None:
    """Refuse to carry a verification of another customer, one already carried by a code,
    or one that has expired."""
    if queries.live_customer_id(conn, assurance["customer_id"]) != live:
        raise Conflict(
            "assurance_of_another_customer",
            "that verification belongs to another customer",
            hint="a code carries the verification of the customer it is issued for",
        )
    if assurance["source"] == rules.CONTINUATION_SOURCE:
        raise Conflict(
            "assurance_carried",
            "that verification was itself carried by a continuation code",
            hint="a code carries a verification once; verify the customer again to issue one",
        )
    if assurance["expires_at"] <= now:
        raise Conflict(
            "assurance_expired",
            f"that verification expired at {assurance['expires_at'].isoformat()}",
            hint="verify the customer again in the session, then ask for a code",
        )


def _check_issue_limit(conn: Connection, live: str, now: dt.datetime) -> None:
    c = t.continuations
    issued = conn.execute(
        sa.select(sa.func.count())
        .select_from(c)
        .where(c.c.customer_id == live, c.c.issued_at > now - rules.ISSUE_WINDOW)
    ).scalar_one()
    if issued >= rules.ISSUE_LIMIT:
        raise RateLimited(
            "too_many_codes",
            f"{rules.ISSUE_LIMIT} codes were issued for this customer in the last hour",
            hint="use the code already given, or let the customer verify on the next channel",
            extra={"retry_after": int(rules.ISSUE_WINDOW.total_seconds())},
        )


def redeem_code(
    engine: Engine,
    actor: Actor,
    text: str,
    *,
    customer_id: str | None,
    interaction: dict[str, Any],
    source: Source,
    region: str = "GB",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Carry the verification behind code ``text`` into ``interaction``, a contact resolved
    to live customer ``customer_id`` (None: not recognised). Returns the verification
    carried; raises with a stable code when refused, after recording the failure."""
    now = now or dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        _check_limits(conn, source, customer_id, now)
    code = rules.normalise_code(text)
    digest = rules.code_hash(code) if code else None
    failure: WarmlineError | None = None
    with writing(engine) as conn, conn.begin():
        try:
            found = _find(conn, digest, customer_id, now)
        except WarmlineError as refused:
            _record_failure(conn, source, customer_id, refused.code, now)
            failure = refused
        else:
            conn.execute(
                t.continuations.update()
                .where(t.continuations.c.id == found["id"])
                .values(used_at=now, outcome=REDEEMED, used_by_interaction=interaction["id"])
            )
            detail = {"continuation_id": found["id"], "interaction_id": interaction["id"]}
            append_chained(conn, [audit_row(actor, "continuation.redeemed", customer_id, detail)])
    if failure is not None:
        raise failure  # after the commit: the failure must count
    original = original_assurance(engine, found["assurance_id"])
    record_carried_verification(engine, found["id"], original, interaction, region=region, now=now)
    return original


def _check_limits(
    conn: Connection, source: Source, customer_id: str | None, now: dt.datetime
) -> None:
    a = t.continuation_attempts
    count, oldest = _failures(
        conn, (a.c.key_id == source.key_id) & (a.c.address == source.address), now
    )
    if count >= rules.SOURCE_FAILURES:
        raise RateLimited(
            "too_many_code_attempts",
            f"{rules.SOURCE_FAILURES} wrong continuation codes came from here in "
            f"{_minutes(rules.FAILURE_WINDOW)} minutes; codes are refused from here for now",
            hint="verify the customer the usual way",
            extra={"retry_after": _retry_after(oldest, now)},
        )
    if customer_id is None:
        return
    count, oldest = _failures(conn, a.c.customer_id == customer_id, now)
    if count >= rules.CUSTOMER_FAILURES:
        raise RateLimited(
            "continuation_locked",
            f"{rules.CUSTOMER_FAILURES} wrong continuation codes were tried for this customer "
            f"in {_minutes(rules.FAILURE_WINDOW)} minutes; their codes are burnt for now",
            hint="verify the customer the usual way; this may be an attack on their account",
            extra={"retry_after": _retry_after(oldest, now)},
        )


def _failures(
    conn: Connection, which: sa.ColumnElement[bool], now: dt.datetime
) -> tuple[int, dt.datetime | None]:
    """Failed presentations matching ``which`` within the window, and the oldest one's time."""
    a = t.continuation_attempts
    count, oldest = conn.execute(
        sa.select(sa.func.count(), sa.func.min(a.c.at)).where(
            which, a.c.at > now - rules.FAILURE_WINDOW
        )
    ).one()
    return int(count), oldest


def _minutes(window: dt.timedelta) -> int:
    return int(window.total_seconds() // 60)


def _retry_after(oldest: dt.datetime | None, now: dt.datetime) -> int:
    if oldest is None:
        return 1
    return max(int((oldest + rules.FAILURE_WINDOW - now).total_seconds()) + 1, 1)


def _find(
    conn: Connection, digest: str | None, customer_id: str | None, now: dt.datetime
) -> dict[str, Any]:
    if digest is None:
        raise InvalidRequest(
            "continuation_code_malformed",
            f"a continuation code is {rules.CODE_DIGITS} digits",
            hint="ask the customer to read it again from the app",
        )
    c = t.continuations
    found = conn.execute(sa.select(c).where(c.c.code_hash == digest).with_for_update())
    row = found.mappings().first()
    if row is None:
        raise InvalidRequest(
            "continuation_code_invalid",
            "no such continuation code",
            hint="ask the customer to read it again, or verify them the usual way",
        )
    if customer_id is None:
        raise Conflict(
            "continuation_caller_unknown",
            "this contact is not recognised, so no verification can be carried into it",
            hint="identify the customer first (search them and start the contact on them)",
        )
    if queries.live_customer_id(conn, row["customer_id"]) != customer_id:
        _burn(conn, c.c.id == row["id"], BURNT_FOR_OTHER, now)
        raise Conflict(
            "continuation_other_customer",
            "that code was issued for a different customer; it no longer works",
            hint="verify the customer the usual way",
        )
    if row["outcome"] == REDEEMED:
        raise Conflict("continuation_code_used", "that code was used already; a code works once")
    if row["used_at"] is not None:
        raise Conflict(
            "continuation_code_revoked",
            "that code was revoked after wrong codes were tried for this customer",
            hint="verify the customer the usual way",
        )
    if row["expires_at"] <= now:
        raise Conflict(
            "continuation_code_expired",
            f"that code expired at {row['expires_at'].isoformat()}",
            hint="the app can issue a new one, or verify the customer the usual way",
        )
    return dict(row)


def _burn(conn: Connection, which: sa.ColumnElement[bool], outcome: str, now: dt.datetime) -> None:
    c = t.continuations
    conn.execute(
        c.update().where(which, c.c.used_at.is_(None)).values(used_at=now, outcome=outcome)
    )


def _record_failure(
    conn: Connection, source: Source, customer_id: str | None, reason: str, now: dt.datetime
) -> None:
    """Count a failed presentation; at the customer's limit, burn their live codes."""
    a = t.continuation_attempts
    conn.execute(
        a.insert().values(
            at=now,
            key_id=source.key_id[:40],
            address=source.address[:64],
            customer_id=customer_id,
            reason=reason[:40],
        )
    )
    if customer_id is None:
        return
    if _failures(conn, a.c.customer_id == customer_id, now)[0] >= rules.CUSTOMER_FAILURES:
        _burn(conn, t.continuations.c.customer_id == customer_id, BURNT_FOR_GUESSES, now)


def original_assurance(engine: Engine, assurance_id: str) -> dict[str, Any]:
    """The verification a code carries (it outlives the code)."""
    with engine.connect() as conn:
        found = hq.assurance(conn, assurance_id)
    assert found is not None  # assurances outlive their codes (retention is days, codes minutes)
    return found


def record_carried_verification(
    engine: Engine,
    event_id: str,
    original: dict[str, Any],
    interaction: dict[str, Any],
    *,
    region: str,
    now: dt.datetime,
    by: str = "continuation code",
    expires_at: dt.datetime | None = None,
) -> None:
    """The carried verification, as an event on the new interaction (see
    :func:`carried_verification`)."""
    envelope = carried_verification(
        event_id, original, interaction["external_id"], by=by, expires_at=expires_at
    )
    ingest_events(engine, [envelope], region=region, now=now)


def carried_verification(
    event_id: str,
    original: dict[str, Any],
    contact_id: str,
    *,
    by: str = "continuation code",
    expires_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The event of a verification carried to the contact ``contact_id``: the original's
    channel, level, time and expiry (or ``expires_at``), so the card says "verified in the
    app at 10:02 (strong)"; ``by`` says what carried it."""
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": rules.CONTINUATION_SOURCE,
        "type": "customer.authenticated",
        "time": original["verified_at"].isoformat(),
        "data": {
            "interaction_id": contact_id,
            "channel": original["channel"],
            "method": rules.carried_method(original["method"], by),
            "level": original["level"],
            "expires_at": (expires_at or original["expires_at"]).isoformat(),
        },
    }
