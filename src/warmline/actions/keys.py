"""API keys: created once, shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.domain.access.roles import LOCAL_ADMIN, Actor, Role
from warmline.errors import InvalidRequest, NotFound
from warmline.storage import schema as t
from warmline.storage.compiled_select import FastSelect
from warmline.storage.engine import writing
from warmline.storage.live import announce, key_topic

KEY_PREFIX = "wl_"
#: How stale a key's "last used" may get: at most one write per key per this interval.
USE_RECORDED_EVERY = dt.timedelta(minutes=1)

log = logging.getLogger("warmline")


@dataclass(frozen=True)
class KeyInfo:
    """What is known about a key, never its secret (only its hash is stored)."""

    key_id: str
    name: str
    role: Role
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    may_verify: bool

    def active(self, now: dt.datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def hash_key(key: str) -> str:
    """Keys are 256-bit random secrets, so one SHA-256 is enough to store them safely."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    engine: Engine,
    *,
    role: str,
    name: str,
    expires_at: dt.datetime | None = None,
    may_verify: bool | None = None,
) -> tuple[Actor, str]:
    """Create a key; return the actor and the key itself, which is never stored or shown again.

    ``may_verify``: whether events sent with it may claim identifiers were verified (a CRM
    or an app that checked them may; a web form may not). Admin keys may by default, others
    only when given the right.
    """
    try:
        parsed_role = Role(role)
    except ValueError:
        raise InvalidRequest(
            "unknown_role",
            f"'{role}' is not a role",
            hint=f"choose one of: {', '.join(r.value for r in Role)}",
        ) from None
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidRequest("invalid_key_name", "a key needs a name of 1 to 200 characters")
    verify = parsed_role is Role.ADMIN if may_verify is None else may_verify
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = "key_" + secrets.token_hex(8)
    with writing(engine) as conn, conn.begin():
        detail = {
            "key_id": key_id,
            "name": name,
            "role": parsed_role.value,
            "may_verify": verify,
        }
        append_chained(conn, [audit_row(LOCAL_ADMIN, "key.created", None, detail)])
        conn.execute(
            t.api_keys.insert().values(
                id=key_id,
                name=name,
                role=parsed_role.value,
                key_hash=hash_key(key),
                prefix=key[:10],
                created_at=dt.datetime.now(dt.UTC),
                expires_at=expires_at,
                may_verify=verify,
            )
        )
    return Actor(key_id, name, parsed_role, verify), key


#: Read on every request with a key: compiled once, run on the cursor.
_BY_HASH = FastSelect(sa.select(t.api_keys).where(t.api_keys.c.key_hash == sa.bindparam("digest")))


def authenticate(engine: Engine, key: str) -> Actor | None:
    """The actor a presented key belongs to, or None if it is unknown or revoked (read from
    the database each time: a revoked key fails on its next request)."""
    digest = hash_key(key)
    with engine.connect() as conn:
        rows = _BY_HASH.all(conn, digest=digest)
    row = rows[0] if rows else None
    now = dt.datetime.now(dt.UTC)
    if row is None or row["revoked_at"] is not None:
        return None
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return None
    if not hmac.compare_digest(row["key_hash"], digest):  # defence in depth; the index matched
        return None
    note_use(engine, row["id"], row["last_used_at"], now)
    return Actor(row["id"], row["name"], Role(row["role"]), row["may_verify"])


def note_use(
    engine: Engine, key_id: str, last_used_at: dt.datetime | None, now: dt.datetime
) -> None:
    """Record that a key was used now, unless that was recorded less than a minute ago.

    One small write per key per minute at most (the condition holds across processes too);
    a database too busy to take it loses a "last used" time, never the request.
    """
    if last_used_at is not None and now - last_used_at < USE_RECORDED_EVERY:
        return
    k = t.api_keys
    stale = sa.or_(k.c.last_used_at.is_(None), k.c.last_used_at <= now - USE_RECORDED_EVERY)
    try:
        with writing(engine) as conn, conn.begin():
            conn.execute(k.update().where(k.c.id == key_id, stale).values(last_used_at=now))
    except sa.exc.DBAPIError:
        log.warning("could not record that key %s was used", key_id, exc_info=True)


def list_keys(engine: Engine) -> list[KeyInfo]:
    """Every key, revoked and expired ones included, oldest first."""
    k = t.api_keys
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                k.c.id,
                k.c.name,
                k.c.role,
                k.c.created_at,
                k.c.last_used_at,
                k.c.expires_at,
                k.c.revoked_at,
                k.c.may_verify,
            ).order_by(k.c.created_at, k.c.id)
        ).all()
    return [
        KeyInfo(
            r.id,
            r.name,
            Role(r.role),
            r.created_at,
            r.last_used_at,
            r.expires_at,
            r.revoked_at,
            r.may_verify,
        )
        for r in rows
    ]


def revoke_keys_named(engine: Engine, name: str, *, role: Role | None = None) -> int:
    """Revoke every active key called ``name`` (of ``role``, if given); return how many (the
    demo renews its key, the simulator replaces a key whose secret it lost)."""
    which = t.api_keys.c.name == name
    if role is not None:
        which = sa.and_(which, t.api_keys.c.role == role.value)
    return _revoke_where(engine, which)


def revoke_key(engine: Engine, key_id: str) -> None:
    """Revoke one key: requests and desk sessions with it fail from now on."""
    if _revoke_where(engine, t.api_keys.c.id == key_id) == 0:
        raise NotFound("unknown_key", f"no active key with id '{key_id}'")


def _revoke_where(engine: Engine, which: sa.ColumnElement[bool]) -> int:
    with writing(engine) as conn, conn.begin():
        k = t.api_keys
        revoked = [
            r.id for r in conn.execute(sa.select(k.c.id).where(which, k.c.revoked_at.is_(None)))
        ]
        if revoked:
            conn.execute(
                k.update().where(k.c.id.in_(revoked)).values(revoked_at=dt.datetime.now(dt.UTC))
            )
            # Desks signed in with these keys stop receiving at once.
            announce(conn, *(key_topic(key_id) for key_id in revoked))
            append_chained(
                conn,
                [
                    audit_row(LOCAL_ADMIN, "key.revoked", None, {"key_id": key_id})
                    for key_id in revoked
                ],
            )
    return len(revoked)
