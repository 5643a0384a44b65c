"""API keys: created once, shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import threading
import time
import weakref
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
#: How long a key verified against the database is taken on trust before it is read again
#: (:func:`trusted_actor`). Revoked through this process, it stops working at once; revoked
#: by another (the CLI, another worker), within this long.
TRUSTED_FOR_SECONDS = 2.0
#: Keys trusted at once, at most (only keys that verified are kept: the set is the keys in use).
TRUSTED_MAX = 10_000

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
    """The actor a presented key belongs to, or None if it is unknown, revoked or expired
    (read from the database each time: a revoked key fails on its next request)."""
    verified = _verify(engine, key)
    return None if verified is None else verified[0]


def _verify(engine: Engine, key: str) -> tuple[Actor, dt.datetime | None] | None:
    """The key's actor and its expiry, read from the database; None if it is unknown,
    revoked or expired."""
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
    actor = Actor(row["id"], row["name"], Role(row["role"]), row["may_verify"])
    return actor, row["expires_at"]


class _Trusted:
    """Keys that verified lately, by database and key hash: the actor and until when (on
    the monotonic clock) it is trusted without reading the key again."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[tuple[str, str], tuple[Actor, float]] = {}
        #: Bumped by every revocation: a check that read the key before it does not store.
        self.generation = 0


_trusted = _Trusted()


_databases: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def _database(engine: Engine) -> str:
    """Which database ``engine`` opens: keys revoked through any engine of it are dropped."""
    name = _databases.get(engine)
    if name is None:
        name = _databases[engine] = engine.url.render_as_string(hide_password=True)
    return name


def trusted_actor(engine: Engine, key: str) -> Actor | None:
    """The actor of ``key`` if it verified within :data:`TRUSTED_FOR_SECONDS` and was not
    revoked through this process since; else None (then :func:`authenticate_and_trust`).
    Memory only, no I/O: cheap enough for the event loop."""
    found = _trusted.entries.get((_database(engine), hash_key(key)))
    if found is None or found[1] <= time.monotonic():
        return None
    return found[0]


def authenticate_and_trust(engine: Engine, key: str) -> Actor | None:
    """:func:`authenticate`, the key then trusted for :data:`TRUSTED_FOR_SECONDS` (never
    past its expiry)."""
    generation = _trusted.generation
    verified = _verify(engine, key)
    if verified is None:
        return None
    actor, expires_at = verified
    until = time.monotonic() + TRUSTED_FOR_SECONDS
    if expires_at is not None:
        until = min(
            until, time.monotonic() + (expires_at - dt.datetime.now(dt.UTC)).total_seconds()
        )
    with _trusted.lock:
        if _trusted.generation != generation:  # a revocation ran meanwhile: read again next time
            return actor
        if len(_trusted.entries) >= TRUSTED_MAX:
            _trusted.entries.clear()
        _trusted.entries[(_database(engine), hash_key(key))] = (actor, until)
    return actor


def _distrust(engine: Engine, key_ids: list[str]) -> None:
    """Drop the revoked keys' trust in this process, and keep checks under way from
    storing theirs."""
    database, revoked = _database(engine), set(key_ids)
    with _trusted.lock:
        _trusted.generation += 1
        for entry, (actor, _) in list(_trusted.entries.items()):
            if entry[0] == database and actor.key_id in revoked:
                del _trusted.entries[entry]


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
    if revoked:  # committed: this process trusts them no more
        _distrust(engine, revoked)
    return len(revoked)
