"""Confirming what is on record: links sent to customers, and their confirmations and
corrections recorded as facts from the customer.

A confirmation is checked field by field (each refused one says why, with a stable code,
and never loses the others), then recorded through ingest as one ``profile.confirmed``
event, so it is in the raw log, the timeline and the export like anything else, and
audited. A link is spent by the confirmation sent through it, atomically: two
submissions of one link record one confirmation.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.ingest import ingest_events
from warmline.domain.access.roles import Actor
from warmline.domain.access.signed_links import MIN_SECRET_CHARS, LinkError, read_link, sign_link
from warmline.domain.forms.catalogue import IDENTIFIER, ValueProblem, check_value
from warmline.domain.forms.definitions import Form
from warmline.domain.forms.prefill import on_record
from warmline.errors import Conflict, Gone, NotConfigured, NotFound, Unprocessable
from warmline.storage import forms_queries as fq
from warmline.storage import queries
from warmline.storage import schema as t
from warmline.storage.engine import writing

FORMS_SOURCE = "warmline-forms"
LINK_PURPOSE = "form"
VERIFICATION_LEVELS = ("none", "weak", "medium", "strong")
#: Levels from which a session counts as verified (sensitive fields may be changed).
VERIFIED = frozenset({"medium", "strong"})


@dataclass(frozen=True, slots=True)
class Answer:
    """The customer's answer for one field: ``value`` None confirms what is on record."""

    field: str
    value: Any = None


@dataclass
class Confirmation:
    recorded: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


def link_secret(secret: str | None) -> str:
    if not secret or len(secret) < MIN_SECRET_CHARS:
        raise NotConfigured(
            "link_secret_missing",
            f"links to customers need a signing secret of at least {MIN_SECRET_CHARS} characters",
            hint="set WARMLINE_LINK_SECRET (e.g. the output of `openssl rand -base64 48`)",
        )
    return secret


def make_form_link(
    engine: Engine,
    actor: Actor,
    customer_id: str,
    form: Form,
    *,
    secret: str | None,
    minutes: int,
    verification: str = "none",
    interaction_id: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[str, dict[str, Any]]:
    """A signed, single-use link token for the customer to confirm ``form``, and its row."""
    key = link_secret(secret)
    now = now or dt.datetime.now(dt.UTC)
    link_id = "lnk_" + secrets.token_hex(10)
    expires_at = now + dt.timedelta(minutes=minutes)
    row: dict[str, Any] = {
        "id": link_id,
        "customer_id": customer_id,
        "form": form.id,
        "verification": verification,
        "interaction_id": interaction_id,
        "created_by": actor.key_id,
        "created_at": now,
        "expires_at": expires_at,
        "used_at": None,
    }
    with writing(engine) as conn, conn.begin():
        conn.execute(t.form_links.insert(), [row])
        detail = {"form": form.id, "link_id": row["id"], "verification": verification}
        append_chained(conn, [audit_row(actor, "form.link_created", customer_id, detail)])
    return sign_link(key, LINK_PURPOSE, link_id, expires_at), row


def open_form_link(
    engine: Engine, token: str, *, secret: str | None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The stored link a token names, if it can still be used (:class:`LinkError` if not)."""
    now = now or dt.datetime.now(dt.UTC)
    claims = read_link(link_secret(secret), LINK_PURPOSE, token, now)
    with engine.connect() as conn:
        link = fq.form_link(conn, claims["link_id"])
        live = queries.live_customer_id(conn, link["customer_id"]) if link else None
    if link is None or live is None:
        raise LinkError("link_unknown", "This link no longer works: ask us for a new one.")
    if link["used_at"] is not None:
        raise LinkError(
            "link_used",
            "This link has already been used: your answers were saved. "
            "Ask us for a new one to change anything else.",
        )
    return {**link, "customer_id": live}


def spend_link(engine: Engine, link_id: str, now: dt.datetime) -> None:
    """Mark a link used; :class:`LinkError` if another submission spent it first."""
    f = t.form_links
    with writing(engine) as conn, conn.begin():
        spent = conn.execute(
            f.update()
            .where(f.c.id == link_id, f.c.used_at.is_(None), f.c.expires_at > now)
            .values(used_at=now)
        ).rowcount
    if spent != 1:
        raise LinkError("link_used", "This link has already been used: your answers were saved.")


def unspend_link(engine: Engine, link_id: str, spent_at: dt.datetime) -> None:
    f = t.form_links
    with writing(engine) as conn, conn.begin():
        conn.execute(
            f.update().where(f.c.id == link_id, f.c.used_at == spent_at).values(used_at=None)
        )


def check_answers(
    form: Form,
    answers: list[Answer],
    traits: dict[str, Any],
    identifiers: list[dict[str, Any]],
    verification: str,
    *,
    region: str,
    now: dt.datetime,
) -> tuple[list[tuple[Answer, Any, bool]], list[dict[str, Any]]]:
    """Each answer checked: ``(answer, value, corrected)`` for those that can be recorded,
    and the refused ones with their field, code and what to do."""
    records = {r.field.name: r for r in on_record(form, traits, identifiers, now)}
    good: list[tuple[Answer, Any, bool]] = []
    refused: list[dict[str, Any]] = []
    seen: set[str] = set()

    def refuse(name: str, code: str, message: str) -> None:
        refused.append({"field": name[:64], "code": code, "message": message})

    for answer in answers:
        spec = form.field(answer.field)
        if spec is None:
            refuse(answer.field, "unknown_field", f"'{answer.field[:64]}' is not on {form.title}")
            continue
        if spec.name in seen:
            refuse(spec.name, "duplicate_field", "answer each field once")
            continue
        seen.add(spec.name)
        current = records[spec.name]
        if answer.value is None:
            if current.value is None:
                refuse(spec.name, "nothing_to_confirm", "nothing is on record: give a value")
                continue
            value, corrected = current.value, False
        else:
            try:
                value = check_value(spec.fact, answer.value, region=region, today=now.date())
            except ValueProblem as problem:
                refuse(spec.name, problem.code, problem.message)
                continue
            corrected = value != current.value
        if spec.verified and verification not in VERIFIED:
            refuse(
                spec.name,
                "verification_required",
                "this can only be confirmed or changed once the customer is verified: "
                "verify them first (a login, or security questions on the phone)",
            )
            continue
        good.append((answer, value, corrected))
    return good, refused


def confirm_form(
    engine: Engine,
    customer_id: str,
    form: Form,
    answers: list[Answer],
    *,
    verification: str,
    recorded_by: str,
    audit_actor: dict[str, str],
    region: str = "GB",
    link_id: str | None = None,
    all_or_nothing: bool = False,
    now: dt.datetime | None = None,
) -> Confirmation:
    """Record the answers that pass their checks as facts from the customer; refuse the
    rest with reasons (or, ``all_or_nothing``, record none if any is refused: a page the
    customer can correct and send again). ``audit_actor`` is ``{"actor", "role"}`` of
    whoever sent them (a key, or the customer through a link, which this spends)."""
    now = now or dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        live = queries.live_customer_id(conn, customer_id)
        if live is None:
            if queries.is_erased(conn, customer_id):
                raise Gone("customer_erased", "this customer's data was erased at their request")
            raise NotFound("customer_not_found", f"no customer '{customer_id[:60]}'")
        profile = queries.customer_profile(conn, live)
        naming = fq.naming_identifier(conn, live)
    assert profile is not None
    good, refused = check_answers(
        form,
        answers,
        profile["traits"] or {},
        profile["identifiers"],
        verification,
        region=region,
        now=now,
    )
    result = Confirmation(rejected=refused)
    if refused and all_or_nothing:
        raise Unprocessable(
            "answers_refused",
            "some answers could not be recorded; nothing was",
            extra={"rejected": refused},
        )
    if not good:
        if refused:
            raise Unprocessable(
                "nothing_recorded",
                "no answer could be recorded: " + "; ".join(r["message"] for r in refused)[:400],
                extra={"rejected": refused},
            )
        raise Unprocessable("no_answers", "send at least one answer", hint="answers: [{field}]")
    if naming is None:
        raise Conflict(
            "customer_not_addressable",
            "every identifier of this customer is shared with someone else",
            hint="record an identifier only they hold (a customer number) first",
        )
    if link_id is not None:
        spend_link(engine, link_id, now)
    confirmed = {
        spec.fact.name: value
        for answer, value, _ in good
        if (spec := form.field(answer.field)) and spec.fact.store != IDENTIFIER
    }
    identifiers = [
        {"kind": spec.fact.name, "value": value}
        for answer, value, _ in good
        if (spec := form.field(answer.field)) and spec.fact.store == IDENTIFIER
    ]
    corrected = [a.field for a, _, changed in good if changed]
    envelope = {
        "specversion": "1.0",
        "id": "cnf_" + secrets.token_hex(10),
        "source": FORMS_SOURCE,
        "type": "profile.confirmed",
        "time": now.isoformat(),
        "data": {
            "customer": {"identifiers": [naming]},
            "form": form.id,
            "confirmed": confirmed,
            "identifiers": identifiers,
            "corrected": corrected,
            "verification": verification,
            "recorded_by": recorded_by[:500],
        },
    }
    try:
        item = ingest_events(engine, [envelope], region=region, now=now).items[0]
        if item.status != "accepted":  # the answers were checked: a defect, say so
            raise RuntimeError(f"confirmation not recorded: {item.status} {item.errors}")
    except Exception:
        if link_id is not None:  # nothing was recorded: the customer may send it again
            unspend_link(engine, link_id, now)
        raise
    for answer, value, changed in good:
        result.recorded.append({"field": answer.field, "value": value, "corrected": changed})
    detail = {
        "form": form.id,
        "fields": [a.field for a, _, _ in good],
        "corrected": corrected,
        "refused": [r["field"] for r in refused],
        "verification": verification,
        "link_id": link_id,
    }
    row = {
        "at": now,
        **audit_actor,
        "action": "form.confirmed",
        "customer_id": live,
        "detail": detail,
    }
    with writing(engine) as conn, conn.begin():
        append_chained(conn, [row])
    return result
