"""Embed links: a short-lived, single-use URL that opens one customer's card, read as one
agent, inside another agent desktop's frame (Chatwoot, Zendesk, Salesforce).

The link carries 256 random bits; only their SHA-256 is stored, so the database holds
nothing that opens a card. Opening it marks it used (a second opening is refused) and
starts an embed session, another random token held by that frame alone, for the agent's
actions on the card (hand over, mark the reason) until it expires. Issuing is audited;
every read of the card is audited as the agent.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.keys import hash_key
from warmline.domain.access.roles import Actor, Permission, Role, allows
from warmline.errors import Gone, InvalidRequest, NotFound, Unauthenticated
from warmline.storage import handover_queries as hq
from warmline.storage import queries
from warmline.storage import schema as t
from warmline.storage.engine import writing

#: Roles whose keys read customers: an embedded card is read as one of them.
CARD_ROLES = [r.value for r in Role if allows(r, Permission.READ_CUSTOMERS)]
#: Roles that may ask for a card read as another agent (an agent desktop's backend).
FOR_OTHERS = frozenset({Role.INTEGRATOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A new link's token (shown once, in the URL) and what it opens."""

    id: str
    token: str
    customer_id: str
    interaction_id: str | None
    agent: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class EmbedSession:
    """An opened link: the agent it reads as, what it shows, until when it acts."""

    link_id: str
    agent: Actor
    customer_id: str
    interaction_id: str | None
    expires_at: dt.datetime


def issue_link(
    engine: Engine,
    actor: Actor,
    *,
    customer_id: str | None = None,
    interaction_id: str | None = None,
    agent: str | None = None,
    seconds: int = 120,
    now: dt.datetime | None = None,
) -> IssuedLink:
    """A link to the card of ``customer_id``, or of the customer of ``interaction_id``
    (Warmline's or the source's id), read as ``agent`` (a desk key's name; default: the
    asking key itself, the only choice for agents and supervisors)."""
    now = now or dt.datetime.now(dt.UTC)
    if (customer_id is None) == (interaction_id is None):
        raise InvalidRequest(
            "invalid_embed_link",
            "name exactly one of customer_id or interaction_id",
            hint="a conversation's card: its interaction id (yours or Warmline's)",
        )
    with engine.connect() as conn:
        reader = _reader(conn, actor, agent, now)
        internal = None
        if interaction_id is not None:
            interaction = hq.interaction(conn, interaction_id)
            internal, customer_id = interaction["id"], interaction["customer_id"]
        assert customer_id is not None
        live = queries.live_customer_id(conn, customer_id)
        if live is None and queries.is_erased(conn, customer_id):
            raise Gone("customer_erased", "this customer's data was erased at their request")
        if live is None:
            raise NotFound("customer_not_found", f"no customer '{customer_id[:60]}'")
    token = secrets.token_urlsafe(32)
    link_id = "emb_" + secrets.token_hex(8)
    expires = now + dt.timedelta(seconds=seconds)
    with writing(engine) as conn, conn.begin():
        conn.execute(
            t.embed_links.insert().values(
                id=link_id,
                token_hash=hash_key(token),
                customer_id=live,
                interaction_id=internal,
                key_id=reader.key_id,
                issued_by=actor.name,
                issued_at=now,
                expires_at=expires,
            )
        )
        detail = {"embed_link_id": link_id, "agent": reader.name, "interaction_id": internal}
        append_chained(conn, [audit_row(actor, "embed_link.issued", live, detail)])
    return IssuedLink(link_id, token, live, internal, reader.name, expires)


def _reader(conn: sa.Connection, actor: Actor, agent: str | None, now: dt.datetime) -> Actor:
    if agent is None or agent == actor.name:
        if not allows(actor.role, Permission.READ_CUSTOMERS):
            raise InvalidRequest(
                "agent_required",
                "name the agent the card is for: this key does not read customers itself",
                hint='add "agent": "<the agent\'s desk key name>"',
            )
        return actor
    if actor.role not in FOR_OTHERS:
        raise InvalidRequest(
            "agent_not_yourself",
            "an agent's key asks for cards for itself only",
            hint="leave agent out, or ask with the agent desktop's integrator key",
        )
    found = hq.active_desk_key(conn, agent, CARD_ROLES, now)
    if found is None:
        raise InvalidRequest(
            "unknown_agent",
            f"no agent '{agent[:60]}' reads customers: no active desk key has that name",
            hint="use the name of the agent's desk key (`warmline keys list`)",
        )
    return Actor(found["id"], found["name"], Role(found["role"]), found["may_verify"])


def open_link(
    engine: Engine, token: str, *, session_minutes: int = 30, now: dt.datetime | None = None
) -> tuple[EmbedSession, str]:
    """Use the link (once): its session and the session's token for the frame's actions."""
    now = now or dt.datetime.now(dt.UTC)
    session_token = secrets.token_urlsafe(32)
    until = now + dt.timedelta(minutes=session_minutes)
    e = t.embed_links
    with writing(engine) as conn, conn.begin():
        row = conn.execute(sa.select(e).where(e.c.token_hash == hash_key(token))).first()
        if row is None:
            raise Unauthenticated(
                "embed_link_invalid",
                "this embed link is not one Warmline issued",
                hint="ask the agent desktop for a new link (POST /v1/embed-links)",
            )
        if row.used_at is not None:
            raise Gone(
                "embed_link_used",
                "this embed link was opened already; links work once",
                hint="reload the panel: the agent desktop asks for a new link",
            )
        if row.expires_at <= now:
            raise Gone(
                "embed_link_expired",
                "this embed link has expired",
                hint="reload the panel: the agent desktop asks for a new link",
            )
        # Used once, even by two frames racing: only one update finds it unused.
        won = conn.execute(
            e.update()
            .where(e.c.id == row.id, e.c.used_at.is_(None))
            .values(used_at=now, session_hash=hash_key(session_token), session_expires_at=until)
        ).rowcount
        if not won:
            raise Gone("embed_link_used", "this embed link was opened already; links work once")
    session = session_of(engine, session_token, now=now)
    if session is None:
        raise Unauthenticated(
            "embed_agent_revoked",
            "the agent's key was revoked or has expired",
            hint="the agent needs an active desk key",
        )
    return session, session_token


def session_of(
    engine: Engine, session_token: str, *, now: dt.datetime | None = None
) -> EmbedSession | None:
    """The live session of an opened link: unexpired, its agent's key still active."""
    now = now or dt.datetime.now(dt.UTC)
    e, k = t.embed_links, t.api_keys
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                e.c.id,
                e.c.customer_id,
                e.c.interaction_id,
                e.c.session_expires_at,
                k.c.id.label("key_id"),
                k.c.name,
                k.c.role,
                k.c.may_verify,
                k.c.revoked_at,
                k.c.expires_at,
            )
            .join(k, k.c.id == e.c.key_id)
            .where(e.c.session_hash == hash_key(session_token))
        ).first()
    if row is None or row.session_expires_at is None or row.session_expires_at <= now:
        return None
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    agent = Actor(row.key_id, row.name, Role(row.role), row.may_verify)
    return EmbedSession(row.id, agent, row.customer_id, row.interaction_id, row.session_expires_at)
