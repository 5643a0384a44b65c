"""Desk sessions: an agent signs in with their key once; the browser keeps a session cookie.

The session token is random, stored as a SHA-256 hash, expires (8 hours by
default) and dies with its key: revoking the key signs the desk out, even
mid-stream.
"""

from __future__ import annotations

import datetime as dt
import secrets
from contextlib import nullcontext
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.actions.keys import authenticate, hash_key, note_use
from warmline.domain.access.roles import Actor, Role
from warmline.storage import schema as t
from warmline.storage.engine import writing
from warmline.storage.live import announce, key_topic, session_topic

SESSION_HOURS = 8


def sign_in(
    engine: Engine, key: str, *, now: dt.datetime | None = None
) -> tuple[Actor, str] | None:
    """Open a desk session for a valid key; return the actor and the session token."""
    actor = authenticate(engine, key)
    if actor is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    token = secrets.token_urlsafe(32)
    with writing(engine) as conn, conn.begin():
        conn.execute(t.desk_sessions.delete().where(t.desk_sessions.c.expires_at < now))
        conn.execute(
            t.desk_sessions.insert().values(
                token_hash=hash_key(token),
                key_id=actor.key_id,
                created_at=now,
                expires_at=now + dt.timedelta(hours=SESSION_HOURS),
            )
        )
    return actor, token


@dataclass(frozen=True)
class LiveSession:
    """A desk session as a live stream sees it: who, until when, and the topics that end
    it early (signed out, its key revoked)."""

    actor: Actor
    until: dt.datetime
    topics: tuple[str, ...]


def session_actor(
    engine: Engine,
    token: str,
    *,
    now: dt.datetime | None = None,
    conn: Connection | None = None,
) -> Actor | None:
    """The actor of a live session: unexpired, and its key neither revoked nor expired
    (read on ``conn`` when the caller has one open)."""
    live = live_session(engine, token, now=now, conn=conn)
    return live.actor if live is not None else None


def live_session(
    engine: Engine,
    token: str,
    *,
    now: dt.datetime | None = None,
    conn: Connection | None = None,
) -> LiveSession | None:
    """:func:`session_actor`, with when the session (or its key) expires."""
    now = now or dt.datetime.now(dt.UTC)
    k, s = t.api_keys, t.desk_sessions
    token_hash = hash_key(token)
    with nullcontext(conn) if conn is not None else engine.connect() as reading:
        row = reading.execute(
            sa.select(
                k.c.id,
                k.c.name,
                k.c.role,
                k.c.may_verify,
                k.c.revoked_at,
                k.c.expires_at,
                k.c.last_used_at,
                s.c.expires_at.label("until"),
            )
            .join(s, s.c.key_id == k.c.id)
            .where(s.c.token_hash == token_hash)
        ).first()
    if row is None or row.revoked_at is not None or row.until <= now:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    note_use(engine, row.id, row.last_used_at, now)  # a shift on the desk is use of the key
    until = row.until if row.expires_at is None else min(row.until, row.expires_at)
    return LiveSession(
        Actor(row.id, row.name, Role(row.role), row.may_verify),
        until,
        (session_topic(token_hash), key_topic(row.id)),
    )


def sign_out(engine: Engine, token: str) -> None:
    token_hash = hash_key(token)
    with writing(engine) as conn, conn.begin():
        conn.execute(t.desk_sessions.delete().where(t.desk_sessions.c.token_hash == token_hash))
        announce(conn, session_topic(token_hash))  # its open streams end at once
