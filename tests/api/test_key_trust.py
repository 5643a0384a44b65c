"""A key that verified is trusted for a couple of seconds without being read again: a key
revoked through this process stops at once, one revoked elsewhere within that window, and
none is trusted past its own expiry."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from warmline.actions import keys as key_actions
from warmline.actions.keys import (
    authenticate_and_trust,
    create_key,
    revoke_key,
    revoke_keys_named,
    trusted_actor,
)
from warmline.storage import schema as t
from warmline.storage.engine import make_engine


def search(client: TestClient, key: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    return client.get("/v1/customers", params={"q": "x"}, headers=headers).status_code


def test_a_key_revoked_through_this_process_stops_at_once(
    client: TestClient, engine: Engine, db_url: str
) -> None:
    dave, dave_key = create_key(engine, role="agent", name="dave")
    _, eve_key = create_key(engine, role="agent", name="eve")
    assert search(client, dave_key) == 200 and search(client, eve_key) == 200
    assert trusted_actor(engine, dave_key) == dave  # trusted now: no read on the next request
    # Through another engine of the same database (as the admin API or an in-process CLI
    # would), by id and by name: refused on the very next request.
    other = make_engine(db_url, sqlite_synchronous="OFF")
    try:
        revoke_key(other, dave.key_id)
        assert search(client, dave_key) == 401
        assert search(client, eve_key) == 200
        revoke_keys_named(other, "eve")
        assert search(client, eve_key) == 401
    finally:
        other.dispose()


def test_a_key_revoked_by_another_process_stops_within_the_window(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(key_actions, "TRUSTED_FOR_SECONDS", 1.0)
    actor, key = create_key(engine, role="agent", name="dave")
    assert search(client, key) == 200
    began = time.monotonic()
    # Another process revoking writes the row; this process hears nothing of it.
    with engine.begin() as conn:
        conn.execute(
            t.api_keys.update()
            .where(t.api_keys.c.id == actor.key_id)
            .values(revoked_at=dt.datetime.now(dt.UTC))
        )
    if time.monotonic() - began < 0.5:  # the window is what bounds it: still trusted here
        assert search(client, key) == 200
    time.sleep(max(0.0, began + 1.05 - time.monotonic()))
    assert search(client, key) == 401
    assert trusted_actor(engine, key) is None


def test_no_key_is_trusted_past_its_expiry(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(key_actions, "TRUSTED_FOR_SECONDS", 600.0)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1.5)
    _, key = create_key(engine, role="agent", name="brief", expires_at=expires)
    assert search(client, key) == 200
    time.sleep(max(0.0, (expires - dt.datetime.now(dt.UTC)).total_seconds() + 0.05))
    assert trusted_actor(engine, key) is None
    assert search(client, key) == 401


def test_unknown_and_revoked_keys_are_never_trusted(client: TestClient, engine: Engine) -> None:
    assert search(client, "wl_not-a-real-key") == 401
    assert trusted_actor(engine, "wl_not-a-real-key") is None
    actor, key = create_key(engine, role="agent", name="gone")
    revoke_key(engine, actor.key_id)
    assert authenticate_and_trust(engine, key) is None
    assert trusted_actor(engine, key) is None


def test_a_check_that_read_the_key_before_a_revocation_does_not_trust_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor, key = create_key(engine, role="agent", name="racer")
    verify = key_actions._verify

    def read_then_revoked(engine_: Engine, key_: str) -> object:
        found = verify(engine_, key_)  # read while the key was good...
        revoke_key(engine, actor.key_id)  # ...revoked before the check stores its trust
        return found

    monkeypatch.setattr(key_actions, "_verify", read_then_revoked)
    assert authenticate_and_trust(engine, key) == actor  # this request raced the revocation
    assert trusted_actor(engine, key) is None  # but nothing after it is let in on trust
    with engine.connect() as conn:
        revoked = conn.execute(
            sa.select(t.api_keys.c.revoked_at).where(t.api_keys.c.id == actor.key_id)
        ).scalar()
    assert revoked is not None
