"""Export (everything held, and who looked) and erasure (gone from every table and file)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, miles_story
from warmline.storage import schema as t

STORY = miles_story(
    dt.datetime.now(dt.UTC),
    name="Miles Quintavalle-Okafor",
    chat_text="Zebedee-secret-phrase my card got declined",
)


def seed(client: TestClient, keys: Keys) -> str:
    return str(post(client, keys.integrator, STORY)["results"][0]["customer_id"])


def test_export_holds_everything_and_who_looked(client: TestClient, keys: Keys) -> None:
    cid = seed(client, keys)
    assert client.get(f"/v1/customers/{cid}/card", headers=keys.agent).status_code == 200
    body = client.get(f"/v1/customers/{cid}/export", headers=keys.admin).json()
    assert body["customers"][0]["name"] == "Miles Quintavalle-Okafor"
    assert {i["value"] for i in body["identifiers"]} == {"miles@example.org", "+442079460958"}
    assert len(body["raw_events"]) == len(STORY)
    assert body["raw_events"][0]["envelope"]["type"] == "customer.identified"
    assert any("Zebedee" in m["text"] for m in body["messages"])
    assert [(e["action"], e["role"]) for e in body["audit_log"]][:1] == [("card.viewed", "agent")]
    for table in ("interactions", "cases", "commitments", "activities", "facts"):
        assert body[table], table
    assert client.get(f"/v1/customers/{cid}/export", headers=keys.agent).status_code == 403


def test_erasure_removes_the_customer_everywhere(
    client: TestClient, keys: Keys, engine: Engine, db_url: str
) -> None:
    cid = seed(client, keys)
    no_reason = client.delete(f"/v1/customers/{cid}", headers=keys.admin)
    assert no_reason.status_code == 400
    erased = client.delete(
        f"/v1/customers/{cid}", params={"reason": "customer's request"}, headers=keys.admin
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["removed"]["raw_events"] == len(STORY)
    for path in (
        f"/v1/customers/{cid}",
        f"/v1/customers/{cid}/card",
        f"/v1/customers/{cid}/export",
    ):
        headers = keys.admin if path.endswith("export") else keys.agent
        response = client.get(path, headers=headers)
        assert (response.status_code, response.json()["code"]) == (410, "customer_erased"), path
    again = client.delete(f"/v1/customers/{cid}", params={"reason": "twice"}, headers=keys.admin)
    assert (again.status_code, again.json()["code"]) == (410, "customer_erased")
    found = client.get(
        "/v1/customers", params={"identifier": "email:miles@example.org"}, headers=keys.agent
    )
    assert found.json()["customers"] == []
    by_name = client.get("/v1/customers", params={"q": "Quintavalle"}, headers=keys.agent)
    assert by_name.json()["customers"] == []
    # A replayed old batch changes nothing: the customer does not come back.
    replay = post(client, keys.integrator, STORY)
    assert replay["duplicates"] == len(STORY) and replay["accepted"] == 0
    with engine.connect() as conn:
        for table in (
            t.identifiers,
            t.interactions,
            t.messages,
            t.facts,
            t.raw_events,
            t.name_tokens,
        ):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0
        tomb = conn.execute(sa.select(t.customers)).mappings().one()
        assert (tomb["status"], tomb["name"], tomb["traits"]) == ("erased", None, {})
        actions = [r.action for r in conn.execute(sa.select(t.audit_log.c.action))]
    assert "customer.erased" in actions
    if db_url.startswith("sqlite"):
        engine.dispose()
        path = Path(db_url.removeprefix("sqlite:///"))
        data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for secret in (
            b"Quintavalle",
            b"Zebedee-secret-phrase",
            b"miles@example.org",
            b"+442079460958",
        ):
            assert secret not in data, secret


def test_only_admins_erase(client: TestClient, keys: Keys) -> None:
    cid = seed(client, keys)
    for who in (keys.agent, keys.supervisor, keys.integrator, keys.auditor):
        response = client.delete(
            f"/v1/customers/{cid}", params={"reason": "nope nope"}, headers=who
        )
        assert response.status_code == 403


def test_a_rebuild_keeps_the_tombstone(client: TestClient, keys: Keys, engine: Engine) -> None:
    from warmline.actions.rebuild import rebuild_projections

    cid = seed(client, keys)
    client.delete(
        f"/v1/customers/{cid}", params={"reason": "customer's request"}, headers=keys.admin
    )
    rebuild_projections(engine)
    response = client.get(f"/v1/customers/{cid}", headers=keys.agent)
    assert (response.status_code, response.json()["code"]) == (410, "customer_erased")
