"""Desk sessions: an agent signs in with their key once; the browser keeps a session cookie.

The session token is random, stored as a SHA-256 hash, expires (8 hours by
default) and dies with its key: revoking the key signs the desk out, even
mid-stream.
"""

from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.actions.keys import authenticate, hash_key, note_use
from warmline.domain.access.roles import Actor, Role
from warmline.storage import schema as t
from warmline.storage.engine import writing

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


def session_actor(engine: Engine, token: str, *, now: dt.datetime | None = None) -> Actor | None:
    """The actor of a live session: unexpired, and its key neither revoked nor expired."""
    now = now or dt.datetime.now(dt.UTC)
    k, s = t.api_keys, t.desk_sessions
    with engine.connect() as conn:
        row = conn.execute(
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
            .where(s.c.token_hash == hash_key(token))
        ).first()
    if row is None or row.revoked_at is not None or row.until <= now:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    note_use(engine, row.id, row.last_used_at, now)  # a shift on the desk is use of the key
    return Actor(row.id, row.name, Role(row.role), row.may_verify)


def sign_out(engine: Engine, token: str) -> None:
    with writing(engine) as conn, conn.begin():
        conn.execute(
            t.desk_sessions.delete().where(t.desk_sessions.c.token_hash == hash_key(token))
        )
