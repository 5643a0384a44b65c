"""The key that signs branch check-in codes (and keys the hashes of phone numbers).

``WARMLINE_SIGNING_KEY`` when it is set (so the database never holds it); otherwise one
random key made on first use and kept in the database, shared by every server process.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading

import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from warmline.errors import InvalidRequest
from warmline.storage import schema as t
from warmline.storage.engine import writing

PURPOSE = "checkin"
MIN_CHARS = 32
_made: dict[str, bytes] = {}
_lock = threading.Lock()


def signing_key(engine: Engine, configured: SecretStr | None) -> bytes:
    """The signing key in force (read once per database and process)."""
    if configured is not None and configured.get_secret_value():
        secret = configured.get_secret_value()
        if len(secret) < MIN_CHARS:
            raise InvalidRequest(
                "signing_key_too_short",
                f"WARMLINE_SIGNING_KEY has {len(secret)} characters; it needs {MIN_CHARS} or more",
                hint="make one with: python3 -c 'import secrets; print(secrets.token_hex(32))'",
            )
        return secret.encode()
    where = str(engine.url)
    with _lock:
        if where not in _made:
            _made[where] = _stored_key(engine)
        return _made[where]


def forget_keys() -> None:
    """Read the stored key again (a test's fresh database)."""
    with _lock:
        _made.clear()


def _stored_key(engine: Engine) -> bytes:
    k = t.signing_keys
    query = sa.select(k.c.secret).where(k.c.purpose == PURPOSE)
    with engine.connect() as conn:
        found = conn.execute(query).scalar()
    if found is None:
        try:
            with writing(engine) as conn, conn.begin():
                conn.execute(
                    k.insert().values(
                        purpose=PURPOSE,
                        secret=secrets.token_hex(32),
                        created_at=dt.datetime.now(dt.UTC),
                    )
                )
        except IntegrityError:
            pass  # another process made it first: use theirs
        with engine.connect() as conn:
            found = conn.execute(query).scalar_one()
    return str(found).encode()
