"""Embed links: short-lived, single-use, read as the named agent and audited as them,
framed only by the configured origins; the card's actions through its embed session."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.calls import seed_miles, start_call
from tests.factories import Keys
from warmline.actions.embed_links import issue_link
from warmline.app import create_app
from warmline.config import Settings
from warmline.domain.access.roles import LOCAL_ADMIN
from warmline.storage import schema as t

ORIGIN = "https://desk.example.net"


@pytest.fixture
def client(db_url: str, engine: Engine) -> Iterator[TestClient]:
    settings = Settings(
        database_url=db_url, sqlite_synchronous="OFF", insight=False, desk_embed_origins=ORIGIN
    )
    with TestClient(create_app(settings, engine)) as test_client:
        yield test_client


def link(client: TestClient, headers: dict[str, str], status: int = 201, **body: str) -> dict:
    response = client.post("/v1/embed-links", json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def session_of(html: str) -> str:
    found = re.search(r'data-session="([^"]+)"', html)
    assert found
    return found.group(1)


def test_a_link_opens_the_card_once_as_the_named_agent(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    miles = seed_miles(client, keys, dt.datetime.now(dt.UTC))
    made = link(client, keys.integrator, customer_id=miles, agent="test-agent")
    assert made["agent"] == "test-agent" and made["url"].startswith("http://testserver/embed/card/")
    path = made["url"].removeprefix("http://testserver")

    page = client.get(path)
    assert page.status_code == 200 and "Miles Okafor" in page.text
    assert page.headers["cache-control"] == "no-store"
    policy = page.headers["content-security-policy"]
    assert f"frame-ancestors 'self' {ORIGIN}" in policy and "script-src 'self'" in policy
    assert ORIGIN in page.text  # where the card's postMessage events may go
    with engine.connect() as conn:
        reads = conn.execute(
            sa.select(t.audit_log.c.actor, t.audit_log.c.detail).where(
                t.audit_log.c.action == "card.viewed"
            )
        ).all()
        stored = conn.execute(sa.select(t.embed_links.c.token_hash)).scalar_one()
        agent_key = conn.execute(
            sa.select(t.api_keys.c.id).where(t.api_keys.c.name == "test-agent")
        ).scalar_one()
    assert [r.actor for r in reads] == [agent_key] and reads[0].detail["via"] == "embed"
    assert path.rsplit("/", 1)[1] not in stored  # only a hash of the token is kept

    again = client.get(path)
    assert again.status_code == 410 and "embed_link_used" in again.text
    unknown = client.get("/embed/card/not-a-token")
    assert unknown.status_code == 401 and "embed_link_invalid" in unknown.text


def test_an_expired_link_and_who_may_ask_for_whom(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    miles = seed_miles(client, keys, dt.datetime.now(dt.UTC))
    old = issue_link(
        engine,
        LOCAL_ADMIN,
        customer_id=miles,
        agent="test-agent",
        now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
    )
    expired = client.get(f"/embed/card/{old.token}")
    assert expired.status_code == 410 and "embed_link_expired" in expired.text

    own = link(client, keys.agent, customer_id=miles)
    assert own["agent"] == "test-agent"
    other = link(client, keys.agent, 400, customer_id=miles, agent="test-supervisor")
    assert other["code"] == "agent_not_yourself"
    nobody = link(client, keys.integrator, 400, customer_id=miles, agent="ghost")
    assert nobody["code"] == "unknown_agent"
    unnamed = link(client, keys.integrator, 400, customer_id=miles)
    assert unnamed["code"] == "agent_required"
    both = link(client, keys.admin, 400, customer_id=miles, interaction_id="chat-77")
    assert both["code"] == "invalid_embed_link"
    assert link(client, keys.auditor, 403, customer_id=miles)["code"] == "forbidden"
    assert link(client, keys.agent, 404, customer_id="cus_nobody")["code"] == "customer_not_found"


def test_the_cards_actions_go_through_its_embed_session(client: TestClient, keys: Keys) -> None:
    seed_miles(client, keys, dt.datetime.now(dt.UTC))
    contact = start_call(client, keys.integrator)
    made = link(
        client, keys.integrator, interaction_id=contact["interaction_id"], agent="test-agent"
    )
    page = client.get(made["url"].removeprefix("http://testserver"))
    assert "Hand over with a note" in page.text and "mark-reason" in page.text
    session = session_of(page.text)

    forged = client.post(f"/embed/{session}/reason", data={"reason": "card_declined"})
    assert forged.status_code == 400 and forged.json()["code"] == "not_from_the_card"
    marked = client.post(
        f"/embed/{session}/reason", data={"reason": "card_declined"}, headers={"X-Embed": "1"}
    )
    assert marked.status_code == 200 and marked.json()["reason"] == "card_declined"
    found = client.get(f"/v1/interactions/{contact['interaction_id']}", headers=keys.agent).json()
    assert found["reason"] == "card_declined"

    handed = client.post(
        f"/embed/{session}/handover",
        data={"to": "cards-tier2", "to_kind": "queue", "remark": "fraud block"},
        headers={"X-Embed": "1"},
    )
    assert handed.status_code == 201, handed.text
    assert handed.json()["to_queue"] is True

    stale = client.post("/embed/nope/reason", data={"reason": "x"}, headers={"X-Embed": "1"})
    assert stale.status_code == 401 and stale.json()["code"] == "embed_session_expired"
    chat = client.get(f"/embed/{session}/conversation/chat-77", headers={"X-Embed": "1"})
    assert chat.status_code == 200 and "fuel station" in chat.text


def test_erasure_takes_the_customers_links_with_it(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    miles = seed_miles(client, keys, dt.datetime.now(dt.UTC))
    unopened = link(client, keys.integrator, customer_id=miles, agent="test-agent")
    erased = client.delete(
        f"/v1/customers/{miles}", params={"reason": "customer's request"}, headers=keys.admin
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["removed"]["embed_links"] == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.embed_links)).scalar() == 0
    page = client.get(unopened["url"].removeprefix("http://testserver"))
    assert page.status_code == 401 and "Miles" not in page.text


def test_the_desk_cookie_works_in_another_desktops_frame(client: TestClient, keys: Keys) -> None:
    """With embedding origins configured, the desk's session cookie is one a cross-site
    frame keeps: SameSite=None, Secure, and Partitioned for browsers that block third-party
    cookies."""
    key = keys.agent["Authorization"].removeprefix("Bearer ")
    signed = client.post("/desk/sign-in", data={"key": key}, follow_redirects=False)
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"].lower()
    assert "samesite=none" in cookie and "secure" in cookie and "partitioned" in cookie
    assert "httponly" in cookie
