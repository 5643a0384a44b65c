"""The key that signs branch check-in codes (and keys the hashes of phone numbers).

``WARMLINE_LINK_SECRET`` when it is set, the one secret for everything signed that is given
to customers (form links too: :mod:`warmline.domain.access.signed_links`), so the database
never holds it; each use signs its own kind of message (a check-in code's starts with
``warmline.checkin.v1``), so nothing signed for one purpose is valid for another. Without
it, one random key made on first use and kept in the database, shared by every server
process: the kiosk works out of the box.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading

import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from warmline.domain.access.signed_links import MIN_SECRET_CHARS
from warmline.errors import InvalidRequest
from warmline.storage import schema as t
from warmline.storage.engine import writing

PURPOSE = "checkin"
#: The key webhook subscriptions' secrets are derived from (warmline.actions.webhook_subscriptions).
WEBHOOKS = "webhooks"
_made: dict[tuple[str, str], bytes] = {}
_lock = threading.Lock()


def signing_key(engine: Engine, configured: SecretStr | None, purpose: str = PURPOSE) -> bytes:
    """The signing key in force (read once per database and process). Without
    ``WARMLINE_LINK_SECRET`` each ``purpose`` has its own stored key."""
    if configured is not None and configured.get_secret_value():
        secret = configured.get_secret_value()
        if len(secret) < MIN_SECRET_CHARS:
            raise InvalidRequest(
                "link_secret_too_short",
                f"WARMLINE_LINK_SECRET has {len(secret)} characters; it needs "
                f"{MIN_SECRET_CHARS} or more",
                hint="set it to the output of `openssl rand -base64 48`",
            )
        return secret.encode()
    where = (str(engine.url), purpose)
    with _lock:
        if where not in _made:
            _made[where] = _stored_key(engine, purpose)
        return _made[where]


def forget_keys() -> None:
    """Read the stored key again (a test's fresh database)."""
    with _lock:
        _made.clear()


def _stored_key(engine: Engine, purpose: str) -> bytes:
    k = t.signing_keys
    query = sa.select(k.c.secret).where(k.c.purpose == purpose)
    with engine.connect() as conn:
        found = conn.execute(query).scalar()
    if found is None:
        try:
            with writing(engine) as conn, conn.begin():
                conn.execute(
                    k.insert().values(
                        purpose=purpose,
                        secret=secrets.token_hex(32),
                        created_at=dt.datetime.now(dt.UTC),
                    )
                )
        except IntegrityError:
            pass  # another process made it first: use theirs
        with engine.connect() as conn:
            found = conn.execute(query).scalar_one()
    return str(found).encode()
