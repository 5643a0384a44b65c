"""Keys and roles: every request carries a key; each role does only its job."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.engine import Engine

from tests.factories import Keys, identified
from warmline.actions.keys import create_key, revoke_key
from warmline.app import create_app
from warmline.config import Settings
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


def test_an_expired_key_is_refused(client: TestClient, engine: Engine) -> None:
    import datetime as dt

    _, key = create_key(
        engine,
        role="agent",
        name="temp",
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
    )
    response = client.get(
        "/v1/customers", params={"q": "x"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert (response.status_code, response.json()["code"]) == (401, "invalid_key")
    desk = client.post(
        "/desk/sign-in",
        content=f"key={key}",
        follow_redirects=False,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert desk.status_code == 401 and "unknown, revoked or expired" in desk.text


def test_desk_pages_need_a_session(client: TestClient, keys: Keys) -> None:
    page = client.get("/desk", headers={"Accept": "text/html"}, follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/desk/sign-in")
    fragment = client.get("/desk/card/cus_x", headers={"X-Desk-Fragment": "1"})
    assert fragment.status_code == 401
    integrator = client.post(
        "/desk/sign-in",
        content=f"key={keys.integrator['Authorization'][7:]}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert integrator.status_code == 401 and "not for the desk" in integrator.text


def test_desk_pages_carry_a_strict_content_security_policy(client: TestClient) -> None:
    page = client.get("/desk/sign-in")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"


def test_key_changes_are_audited(engine: Engine) -> None:
    actor, _ = create_key(engine, role="agent", name="eve")
    revoke_key(engine, actor.key_id)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.audit_log.c.action, t.audit_log.c.actor, t.audit_log.c.detail)
            .where(t.audit_log.c.action.in_(["key.created", "key.revoked"]))
            .order_by(t.audit_log.c.id)
        ).all()
    mine = [(a, who) for a, who, detail in rows if detail["key_id"] == actor.key_id]
    assert mine == [("key.created", "cli"), ("key.revoked", "cli")]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def search(client: TestClient, key: str) -> Response:
    return client.get("/v1/customers", params={"q": "x"}, headers=bearer(key))


def desk_sign_in(client: TestClient, key: str) -> Response:
    return client.post(
        "/desk/sign-in",
        content=f"key={key}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def test_a_colleagues_typo_does_not_lock_out_the_room(client: TestClient, engine: Engine) -> None:
    # Everyone in the room shares one address (TestClient's); Dave keeps mistyping the end
    # of his key, Eve signs in with hers.
    _, dave = create_key(engine, role="agent", name="dave")
    _, eve = create_key(engine, role="admin", name="eve")
    typo = dave[:-1] + ("A" if dave[-1] != "A" else "B")
    for _ in range(20):
        assert search(client, typo).status_code == 401
    blocked = search(client, typo)
    assert (blocked.status_code, blocked.json()["code"]) == (429, "too_many_failures")
    assert "this key" in blocked.json()["detail"]
    assert "other keys still work" in blocked.json()["hint"]
    assert 0 < int(blocked.headers["retry-after"]) <= 61
    assert search(client, eve).status_code == 200
    assert desk_sign_in(client, eve).status_code == 303
    # Dave's own good key begins like the typo, so it waits too: a guesser who found how a
    # key begins learns nothing from the refusals.
    assert search(client, dave).status_code == 429


def test_many_failures_with_one_prefix_lock_that_prefix_out(client: TestClient, keys: Keys) -> None:
    for n in range(20):
        assert search(client, f"wl_guessguessxx{n:04d}").status_code == 401  # one prefix
    blocked = search(client, "wl_guessguessxxzzzz")
    assert (blocked.status_code, blocked.json()["code"]) == (429, "too_many_failures")
    assert int(blocked.headers["retry-after"]) > 0
    assert blocked.json()["retry_after"] == int(blocked.headers["retry-after"])
    desk = desk_sign_in(client, "wl_guessguessxx-desk")
    assert desk.status_code == 429 and "too many failed sign-ins" in desk.text
    assert int(desk.headers["retry-after"]) > 0
    # Another prefix from the same address is still checked: refused as unknown, or let in.
    assert search(client, "wl_anotherprefix").status_code == 401
    assert client.get("/v1/customers", params={"q": "x"}, headers=keys.agent).status_code == 200


def test_rotating_prefixes_hits_the_per_address_ceiling(
    settings: Settings, engine: Engine, keys: Keys
) -> None:
    # A limit of 3 per prefix makes the address ceiling 15 (five times the limit).
    app = create_app(settings.model_copy(update={"auth_failure_limit": 3}), engine)
    with TestClient(app) as client:
        for n in range(15):
            guess = f"wl_{n:012d}{'x' * 20}"  # a new prefix each time
            assert search(client, guess).status_code == 401, n
        blocked = search(client, "wl_neverseenbefore")
        body = blocked.json()
        assert (blocked.status_code, body["code"]) == (429, "too_many_failures_from_address")
        assert "every key from it is refused" in body["detail"] and body["hint"]
        assert int(blocked.headers["retry-after"]) > 0
        # Past the ceiling even a good key from this address waits.
        good = client.get("/v1/customers", params={"q": "x"}, headers=keys.agent)
        assert (good.status_code, good.json()["code"]) == (429, "too_many_failures_from_address")
        desk = desk_sign_in(client, keys.agent["Authorization"][7:])
        assert desk.status_code == 429 and "too many failed sign-ins" in desk.text


def test_deeply_nested_json_is_rejected_early(client: TestClient, keys: Keys) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/v1/events", content=nested, headers=keys.integrator)
    assert (response.status_code, response.json()["code"]) == (400, "invalid_json")


def test_a_wrong_method_is_a_problem_with_an_allow_header(client: TestClient, keys: Keys) -> None:
    response = client.request("PATCH", "/v1/events", headers=keys.integrator)
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


def test_the_openapi_document_declares_the_problem_responses(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/customers/{customer_id}/card"][
        "get"
    ]
    assert {"400", "401", "403", "404", "410", "429"} <= set(operation["responses"])
    assert "application/problem+json" in operation["responses"]["404"]["content"]
