"""A form pre-filled from the memory, as each surface serves it: the read audited, and
sensitive values masked unless the reader may see them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection, Engine

from warmline.actions.forms import make_form_link
from warmline.config import Settings
from warmline.domain.access.roles import Actor, Permission, allows
from warmline.domain.forms.definitions import Form
from warmline.domain.forms.prefill import OnRecord, on_record, shown_to_customer
from warmline.serving.access import access_customer, live_customer
from warmline.serving.profile_config import profile_config
from warmline.storage import forms_queries as fq

VERIFIED = frozenset({"medium", "strong"})


def form_on_record(
    conn: Connection, customer_id: str, form: Form, now: dt.datetime
) -> list[OnRecord]:
    """Every field of ``form`` as the memory holds it for live customer ``customer_id``."""
    traits, identifiers = fq.prefill_rows(conn, customer_id)
    return on_record(form, traits, identifiers, now)


def prefill_json(
    records: list[OnRecord], form: Form, now: dt.datetime, *, unmasked: bool
) -> dict[str, Any]:
    fields = []
    for record in records:
        item = record.as_json(now)
        if record.field.sensitive and not unmasked and record.value is not None:
            item["value"] = shown_to_customer(record.field, record.value)
            item["masked"] = True
        fields.append(item)
    return {
        "form": form.id,
        "title": form.title,
        "fields": fields,
        "stale": [f["field"] for f in fields if f["stale"]],
    }


def read_prefill(
    conn: Connection,
    engine: Engine,
    actor: Actor,
    customer_id: str,
    form: Form,
    *,
    verification: str = "none",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The pre-filled ``form`` for ``actor``. Sensitive values are shown in full to roles
    that see them unmasked, or to a key that may verify saying the customer is verified
    (the customer's own signed-in session); masked otherwise."""
    now = now or dt.datetime.now(dt.UTC)
    live = access_customer(
        conn, engine, actor, customer_id, "prefill.viewed", form=form.id, verification=verification
    )
    records = form_on_record(conn, live, form, now)
    unmasked = allows(actor.role, Permission.SEE_UNMASKED) or (
        actor.may_verify and verification in VERIFIED
    )
    return {"customer_id": live, **prefill_json(records, form, now, unmasked=unmasked)}


def send_form_link(
    engine: Engine,
    actor: Actor,
    settings: Settings,
    base_url: str,
    customer_id: str,
    form_id: str,
    *,
    verification: str | None = None,
    interaction_id: str | None = None,
) -> dict[str, Any]:
    """A signed, single-use link for the customer to confirm ``form_id`` (audited). With
    no ``verification`` given, the customer's verification in ``interaction_id`` (if any)
    travels with the link."""
    form = profile_config(settings).form(form_id)
    now = dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        live = live_customer(conn, customer_id)
        if verification is None:
            verification = (
                fq.interaction_verification(conn, interaction_id, now) if interaction_id else "none"
            )
    secret = settings.link_secret.get_secret_value() if settings.link_secret else None
    token, row = make_form_link(
        engine,
        actor,
        live,
        form,
        secret=secret,
        minutes=settings.form_link_minutes,
        verification=verification,
        interaction_id=interaction_id,
        now=now,
    )
    base = (settings.public_url or base_url).rstrip("/")
    return {
        "link_id": row["id"],
        "url": f"{base}/confirm/{token}",
        "form": form.id,
        "title": form.title,
        "customer_id": live,
        "expires_at": row["expires_at"],
        "verification": verification,
    }
