"""Connectors: another system (Chatwoot, Zendesk) posting its own webhooks for one of its
accounts. Created by an admin with a secret shown once and kept as a SHA-256 hash;
deliveries are translated (``domain/connectors/``) and stored through ingest, so they
are idempotent on the other system's ids like any event."""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.ingest import BatchResult, ingest_events
from warmline.actions.keys import hash_key
from warmline.domain.access.roles import Actor
from warmline.domain.connectors import chatwoot, zendesk
from warmline.domain.connectors.translation import MAX_GAPS, Gap, Translation, Unusable
from warmline.errors import Conflict, InvalidRequest, NotFound, Unprocessable
from warmline.events import CHANNELS
from warmline.storage import schema as t
from warmline.storage.engine import writing

SECRET_PREFIX = "wlc_"  # noqa: S105  # a prefix that says what a secret is for
KINDS = ("chatwoot", "zendesk")
#: How stale "last delivery" may get: one small write per connector per minute at most.
DELIVERY_RECORDED_EVERY = dt.timedelta(minutes=1)
ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
OPTION_KEYS = frozenset({"inbox_channels", "identifier_kind", "dashboard_origin"})
Translator = Callable[..., Translation]
TRANSLATORS: dict[str, Translator] = {
    "chatwoot": chatwoot.translate,
    "zendesk": zendesk.translate,
}


@dataclass(frozen=True, slots=True)
class Connector:
    """A connector as stored, never its secret."""

    id: str
    kind: str
    account: str
    name: str
    options: dict[str, Any]
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_delivery_at: dt.datetime | None

    @property
    def source(self) -> str:
        """The ``source`` of the events its deliveries become."""
        return f"{self.kind}/{self.account}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "account": self.account,
            "name": self.name,
            "source": self.source,
            "options": self.options,
            "path": f"/v1/connectors/{self.kind}/{self.account}",
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "last_delivery_at": self.last_delivery_at.isoformat()
            if self.last_delivery_at
            else None,
        }


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one delivery became: the events' results, the gaps, or why it was not used."""

    kind: str
    result: BatchResult
    translation: Translation
    warnings: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        body = self.result.to_json()
        duplicates = self.result.count("duplicate")
        body["replayed"] = bool(self.result.items) and duplicates == len(self.result.items)
        body["warnings"] = [g.to_json() for g in self.translation.warnings]
        if self.translation.ignored:
            body["ignored"] = self.translation.ignored
        return body


def check_options(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """Options a connector may carry, checked: inbox ids to channels, the identifier kind."""
    if unknown := set(options) - OPTION_KEYS:
        raise InvalidRequest(
            "unknown_option",
            f"unknown connector option(s): {', '.join(sorted(unknown))}",
            hint=f"options are: {', '.join(sorted(OPTION_KEYS))}",
        )
    channels = options.get("inbox_channels", {})
    if not isinstance(channels, dict) or any(v not in CHANNELS for v in channels.values()):
        raise InvalidRequest(
            "invalid_option",
            "inbox_channels maps inbox ids to channels",
            hint=f'e.g. {{"3": "sms"}}; channels are {", ".join(CHANNELS)}',
        )
    return {**options, "inbox_channels": {str(k): v for k, v in channels.items()}}


def create_connector(
    engine: Engine,
    actor: Actor,
    *,
    kind: str,
    account: str,
    name: str | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[Connector, str]:
    """Create a connector; return it and its secret, which is shown only now."""
    if kind not in KINDS:
        raise InvalidRequest(
            "unknown_connector_kind",
            f"'{kind[:40]}' is not a connector kind",
            hint=f"one of {KINDS}",
        )
    if not ACCOUNT.match(account):
        raise InvalidRequest(
            "invalid_account",
            "the account is the other system's account id or subdomain: letters, digits, . _ -",
        )
    checked = check_options(kind, options or {})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    connector_id = "con_" + secrets.token_hex(8)
    now = dt.datetime.now(dt.UTC)
    c = t.connectors
    with writing(engine) as conn, conn.begin():
        if conn.execute(sa.select(c.c.id).where(c.c.kind == kind, c.c.account == account)).first():
            raise Conflict(
                "connector_exists",
                f"a {kind} connector for account '{account}' exists",
                hint="rotate its secret instead (`warmline connectors rotate`)",
            )
        conn.execute(
            c.insert().values(
                id=connector_id,
                kind=kind,
                account=account,
                name=(name or f"{kind} {account}").strip()[:200],
                secret_hash=hash_key(secret),
                options=checked,
                created_by=actor.name,
                created_at=now,
            )
        )
        detail = {"connector_id": connector_id, "kind": kind, "account": account}
        append_chained(conn, [audit_row(actor, "connector.created", None, detail)])
    return get_connector(engine, connector_id), secret


def rotate_secret(engine: Engine, actor: Actor, connector_id: str) -> tuple[Connector, str]:
    """A new secret for a connector (the old one stops working now); revoked ones revive."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with writing(engine) as conn, conn.begin():
        changed = conn.execute(
            t.connectors.update()
            .where(t.connectors.c.id == connector_id)
            .values(secret_hash=hash_key(secret), revoked_at=None)
        ).rowcount
        if not changed:
            raise NotFound("connector_not_found", f"no connector '{connector_id[:60]}'")
        detail = {"connector_id": connector_id}
        append_chained(conn, [audit_row(actor, "connector.rotated", None, detail)])
    return get_connector(engine, connector_id), secret


def revoke_connector(engine: Engine, actor: Actor, connector_id: str) -> Connector:
    """Refuse the connector's deliveries from now on."""
    with writing(engine) as conn, conn.begin():
        changed = conn.execute(
            t.connectors.update()
            .where(t.connectors.c.id == connector_id, t.connectors.c.revoked_at.is_(None))
            .values(revoked_at=dt.datetime.now(dt.UTC))
        ).rowcount
        if not changed:
            raise NotFound("connector_not_found", f"no active connector '{connector_id[:60]}'")
        detail = {"connector_id": connector_id}
        append_chained(conn, [audit_row(actor, "connector.revoked", None, detail)])
    return get_connector(engine, connector_id)


def _connector(row: Any) -> Connector:
    return Connector(
        row.id,
        row.kind,
        row.account,
        row.name,
        row.options or {},
        row.created_at,
        row.revoked_at,
        row.last_delivery_at,
    )


def get_connector(engine: Engine, connector_id: str) -> Connector:
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.connectors).where(t.connectors.c.id == connector_id)).first()
    if row is None:
        raise NotFound("connector_not_found", f"no connector '{connector_id[:60]}'")
    return _connector(row)


def list_connectors(engine: Engine) -> list[Connector]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.connectors).order_by(t.connectors.c.created_at)).all()
    return [_connector(r) for r in rows]


def authenticate_connector(
    engine: Engine, kind: str, account: str, secret: str
) -> Connector | None:
    """The active connector for ``kind``/``account`` whose secret this is, or None."""
    digest = hash_key(secret)
    c = t.connectors
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(c).where(c.c.kind == kind, c.c.account == account, c.c.revoked_at.is_(None))
        ).first()
    if row is None or not hmac.compare_digest(row.secret_hash, digest):
        return None
    return _connector(row)


def receive_delivery(
    engine: Engine,
    connector: Connector,
    payload: Any,
    *,
    region: str = "GB",
    insight: bool = True,
    now: dt.datetime | None = None,
) -> Delivery:
    """Translate one delivery and store its events through ingest (idempotent)."""
    now = now or dt.datetime.now(dt.UTC)
    if not isinstance(payload, dict):
        raise InvalidRequest(
            "body_not_object", "a webhook delivery is one JSON object", hint="send it as posted"
        )
    translate = TRANSLATORS[connector.kind]
    event = str(payload.get("event") or payload.get("type") or "")[:60]
    try:
        translation = translate(
            payload,
            account=connector.account,
            options=connector.options,
            region=region,
            received_at=now,
        )
    except Unusable as exc:
        code = f"{connector.kind}_{exc.code}"
        _record(engine, connector, now, event, None, [Gap("/", exc.reason, code)])
        raise Unprocessable(code, exc.reason, hint=exc.hint) from None
    envelopes = translation.with_gaps()
    result = ingest_events(
        engine, envelopes, region=region, may_verify=False, insight=insight, now=now
    )
    event_id = str(envelopes[-1]["id"]) if envelopes else None
    last = connector.last_delivery_at
    if translation.warnings or last is None or now - last >= DELIVERY_RECORDED_EVERY:
        _record(engine, connector, now, event, event_id, translation.warnings)
    return Delivery(connector.kind, result, translation)


def _record(
    engine: Engine,
    connector: Connector,
    now: dt.datetime,
    event: str,
    event_id: str | None,
    gaps: list[Gap],
) -> None:
    """The connector's last delivery, and the gaps of this one (where and a code: never the
    value, which may be a customer's)."""
    with writing(engine) as conn, conn.begin():
        c = t.connectors
        conn.execute(c.update().where(c.c.id == connector.id).values(last_delivery_at=now))
        if gaps:
            conn.execute(
                t.connector_gaps.insert(),
                [
                    {"connector_id": connector.id, "received_at": now, "event": event or "-",
                     "event_id": event_id, "field": g.field[:200], "code": g.code[:60]}
                    for g in gaps[:MAX_GAPS]
                ],
            )  # fmt: skip


def list_gaps(engine: Engine, connector_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """A connector's most recent gaps, newest first."""
    get_connector(engine, connector_id)
    g = t.connector_gaps
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(g.c.received_at, g.c.event, g.c.event_id, g.c.field, g.c.code)
            .where(g.c.connector_id == connector_id)
            .order_by(g.c.received_at.desc(), g.c.id.desc())
            .limit(limit)
        ).all()
    return [
        {"received_at": r.received_at.isoformat(), "event": r.event, "event_id": r.event_id,
         "field": r.field, "code": r.code}
        for r in rows
    ]  # fmt: skip
