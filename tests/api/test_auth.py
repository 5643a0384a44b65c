"""Keys and roles: every request carries a key; each role does only its job."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.factories import Keys, identified
from warmline.actions.keys import create_key, revoke_key
from warmline.storage import schema as t


def test_requests_without_a_valid_key_are_401(client: TestClient) -> None:
    for headers, code in (
        ({}, "missing_key"),
        ({"Authorization": "Basic abc"}, "missing_key"),
        ({"Authorization": "Bearer wl_not-a-real-key"}, "invalid_key"),
    ):
        response = client.get("/v1/customers", params={"q": "x"}, headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == code
        assert response.json()["hint"]


def test_integrators_post_but_cannot_read(client: TestClient, keys: Keys) -> None:
    assert (
        client.post("/v1/events", json=[identified()], headers=keys.integrator).status_code == 200
    )
    response = client.get("/v1/customers", params={"q": "miles"}, headers=keys.integrator)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_agents_read_but_cannot_post_raw_events(client: TestClient, keys: Keys) -> None:
    for headers in (keys.agent, keys.supervisor):
        response = client.post("/v1/events", json=[identified()], headers=headers)
        assert response.status_code == 403
        assert "events:write" in response.json()["detail"]
        assert client.get("/v1/customers", params={"q": "x"}, headers=headers).status_code == 200


def test_keys_are_stored_hashed_and_revocable(client: TestClient, engine: Engine) -> None:
    actor, key = create_key(engine, role="agent", name="dave")
    with engine.connect() as conn:
        stored = (
            conn.execute(sa.select(t.api_keys).where(t.api_keys.c.id == actor.key_id))
            .mappings()
            .one()
        )
    assert key not in str(dict(stored)) and len(stored["key_hash"]) == 64
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/customers", params={"q": "x"}, headers=headers).status_code == 200
    revoke_key(engine, actor.key_id)
    response = client.get("/v1/customers", params={"q": "x"}, headers=headers)
    assert (response.status_code, response.json()["code"]) == (401, "invalid_key")


def test_unknown_routes_are_problems_too(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "route_not_found"


def test_health_reports_the_schema(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["schema"] == body["schema_expected"]
