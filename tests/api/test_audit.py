"""The audit log: every read recorded, readable by auditors, tamper-evident."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, identified
from warmline.actions.audit import verify_chain
from warmline.storage import schema as t


def read_miles(client: TestClient, keys: Keys) -> str:
    cid = str(post(client, keys.integrator, [identified()])["results"][0]["customer_id"])
    for path in (
        f"/v1/customers/{cid}",
        f"/v1/customers/{cid}/card",
        f"/v1/customers/{cid}/timeline",
    ):
        assert client.get(path, headers=keys.agent).status_code == 200
    return cid


def test_auditors_read_the_log_with_filters(client: TestClient, keys: Keys) -> None:
    cid = read_miles(client, keys)
    body = client.get("/v1/audit", params={"customer_id": cid}, headers=keys.auditor).json()
    assert [e["action"] for e in body["entries"]] == [
        "timeline.viewed",
        "card.viewed",
        "customer.viewed",
    ]
    assert all(e["customer_id"] == cid and e["role"] == "agent" for e in body["entries"])
    only_cards = client.get("/v1/audit", params={"action": "card.viewed"}, headers=keys.auditor)
    assert [e["action"] for e in only_cards.json()["entries"]] == ["card.viewed"]
    mine = {"customer_id": cid}
    page = client.get("/v1/audit", params={"limit": 2, **mine}, headers=keys.auditor).json()
    rest = client.get(
        "/v1/audit", params={"before": page["next_before"], **mine}, headers=keys.auditor
    ).json()
    assert len(page["entries"]) == 2 and len(rest["entries"]) == 1
    made = client.get("/v1/audit", params={"action": "key.created"}, headers=keys.auditor).json()
    assert sorted(e["detail"]["role"] for e in made["entries"]) == sorted(
        ["agent", "supervisor", "integrator", "admin", "auditor", "kiosk"]
    )
    naive = client.get("/v1/audit", params={"since": "2026-11-22T10:00:00"}, headers=keys.auditor)
    assert (naive.status_code, naive.json()["code"]) == (400, "naive_timestamp")
    early = client.get(
        "/v1/audit", params={"since": "0001-01-01T00:00:00+01:00"}, headers=keys.auditor
    )
    assert (early.status_code, early.json()["code"]) == (400, "invalid_timestamp")
    assert "UTC" in early.json()["detail"] and early.json()["hint"]


def test_auditors_read_no_customer_and_write_nothing(client: TestClient, keys: Keys) -> None:
    cid = read_miles(client, keys)
    assert client.get(f"/v1/customers/{cid}", headers=keys.auditor).status_code == 403
    assert client.post("/v1/events", json=[identified()], headers=keys.auditor).status_code == 403
    assert client.get("/v1/audit", headers=keys.agent).status_code == 403


def test_tampering_breaks_the_chain(client: TestClient, keys: Keys, engine: Engine) -> None:
    read_miles(client, keys)
    assert verify_chain(engine) == (9, None)  # six keys created, three reads
    with engine.begin() as conn:
        first = conn.execute(sa.select(sa.func.min(t.audit_log.c.id))).scalar_one()
        conn.execute(
            t.audit_log.update().where(t.audit_log.c.id == first + 1).values(actor="someone-else")
        )
    assert verify_chain(engine) == (1, first + 1)
    with engine.begin() as conn:
        conn.execute(t.audit_log.update().where(t.audit_log.c.id == first + 1).values(actor="x"))
        conn.execute(t.audit_log.delete().where(t.audit_log.c.id == first + 1))
    assert verify_chain(engine) == (1, first + 2)  # a deleted entry breaks its successor
