"""Knowledge through the API: articles with versions, search that ranks by words and meaning,
feedback that moves the ranking, drafts from conversations, and the questions no article
answers."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, customer, make_event
from warmline.models.nearest import VectorIndex
from warmline.serving import knowledge as knowledge_serving
from warmline.storage import schema as t

ARTICLES = [
    {
        "title": "A card is declined at a till",
        "body": "A fraud check may hold the card. A verified caller can have the hold lifted.",
        "products": ["debit card"],
        "channels": ["voice", "chat"],
    },
    {
        "title": "Change of address",
        "body": "Customers who moved house update their address in the app or with an agent.",
        "products": ["current account"],
        "audience": "public",
    },
    {
        "title": "A transfer has not arrived",
        "body": "Most payments to another bank arrive within two hours; check the payment stage.",
        "products": ["current account"],
    },
]


def write(client: TestClient, keys: Keys, article: dict[str, Any], status: int = 201) -> Any:
    response = client.post("/v1/articles", json=article, headers=keys.supervisor)
    assert response.status_code == status, response.text
    return response.json()


def search(client: TestClient, keys: Keys, q: str, **params: str) -> list[dict[str, Any]]:
    response = client.get("/v1/articles/search", params={"q": q, **params}, headers=keys.agent)
    assert response.status_code == 200, response.text
    return list(response.json()["articles"])


def test_articles_are_written_changed_with_versions_and_retired(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    first = write(client, keys, ARTICLES[0])
    assert (first["slug"], first["version"], first["status"]) == (
        "a-card-is-declined-at-a-till",
        1,
        "published",
    )
    assert write(client, keys, ARTICLES[0], status=409)["code"] == "article_exists"
    changed = {**ARTICLES[0], "body": ARTICLES[0]["body"] + " Chat cannot lift it."}
    put = client.put(f"/v1/articles/{first['id']}", json=changed, headers=keys.supervisor)
    assert put.status_code == 200 and put.json()["version"] == 2, put.text
    same = client.put(f"/v1/articles/{first['id']}", json=changed, headers=keys.supervisor)
    assert same.json()["outcome"] == "unchanged" and same.json()["version"] == 2
    read = client.get(f"/v1/articles/{first['slug']}", headers=keys.agent).json()
    assert [v["version"] for v in read["versions"]] == [2, 1]
    assert "Chat cannot lift it" not in read["versions"][1]["body"]  # the earlier one kept
    # Agents read; they do not write.
    assert client.post("/v1/articles", json=ARTICLES[1], headers=keys.agent).status_code == 403
    retired = client.post(f"/v1/articles/{first['id']}/retire", headers=keys.supervisor)
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    again = client.post(f"/v1/articles/{first['id']}/retire", headers=keys.supervisor)
    assert (again.status_code, again.json()["code"]) == (410, "article_retired")
    assert search(client, keys, "card declined at the till") == []  # out of search
    with engine.connect() as conn:
        actions = [
            r.action
            for r in conn.execute(
                sa.select(t.audit_log.c.action).where(t.audit_log.c.action.like("article.%"))
            )
        ]
    assert actions == ["article.created", "article.changed", "article.retired"]


def test_search_finds_by_meaning_and_words_filters_and_says_why(
    client: TestClient, keys: Keys
) -> None:
    for article in ARTICLES:
        write(client, keys, article)
    # No word of "Change of address" (nor of its body), but its meaning.
    moved = search(client, keys, "new home, where do I tell you")
    assert moved[0]["title"] == "Change of address"
    assert moved[0]["why"] == [f"close in meaning ({moved[0]['semantic']:.2f})"]
    declined = search(client, keys, "my card was declined")
    assert declined[0]["title"] == "A card is declined at a till"
    assert declined[0]["why"][0] == "shares the words card, declined"
    public = search(client, keys, "address", audience="public")
    assert [a["title"] for a in public] == ["Change of address"]
    by_chat = search(client, keys, "card declined", channel="email")
    assert "A card is declined at a till" not in [a["title"] for a in by_chat]
    empty = client.get("/v1/articles/search", params={"q": "  "}, headers=keys.agent)
    assert (empty.status_code, empty.json()["code"]) == (400, "empty_query")
    huge = client.get("/v1/articles/search", params={"q": "card " * 2000}, headers=keys.agent)
    assert huge.status_code == 400  # over the documented 2,000 characters


def test_a_large_base_searches_an_approximate_index_that_follows_every_change(
    client: TestClient, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The approximate index as for a large base (from one article), checked on every search.
    monkeypatch.setattr(knowledge_serving, "ANN_FROM", 1)
    monkeypatch.setattr(knowledge_serving, "RECHECK_SECONDS", 0.0)
    ids = [write(client, keys, a)["id"] for a in ARTICLES]
    moved = search(client, keys, "new home, where do I tell you")
    assert moved[0]["id"] == ids[1]
    cached = knowledge_serving._cache
    assert cached is not None and isinstance(cached.nearest, VectorIndex)
    nearest = cached.nearest
    assert len(nearest) == 3
    # A change of words moves the article in the index, without building it again; a large
    # index is rebuilt in the background, searches meanwhile answer from the last one.
    changed = {**ARTICLES[2], "title": "Moving house", "body": "Tell us your new home address."}
    put = client.put(f"/v1/articles/{ids[2]}", json=changed, headers=keys.supervisor)
    assert put.status_code == 200, put.text
    moved_now = eventually(
        lambda: search(client, keys, "new home, where do I tell you")[0]["id"],
        until=lambda found: found == ids[2],
    )
    assert moved_now == ids[2]
    retired = client.post(f"/v1/articles/{ids[2]}/retire", headers=keys.supervisor)
    assert retired.status_code == 200
    after = eventually(
        lambda: [a["id"] for a in search(client, keys, "new home, where do I tell you")],
        until=lambda found: ids[2] not in found,
    )
    assert after[0] == ids[1]
    cached = knowledge_serving._cache
    assert cached is not None and cached.nearest is nearest and len(nearest) == 2


def eventually(read: Callable[[], Any], until: Callable[[Any], bool], seconds: float = 20.0) -> Any:
    """What ``read`` returns once ``until`` holds for it (or its last answer at the deadline)."""
    deadline = time.monotonic() + seconds
    while True:
        found = read()
        if until(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_feedback_moves_the_ranking_for_that_reason_only(client: TestClient, keys: Keys) -> None:
    ids = [write(client, keys, a)["id"] for a in ARTICLES]
    query = "the payment I made to my landlord has not turned up"
    before = [a["id"] for a in search(client, keys, query, reason="transfer_not_received")]
    assert before[0] == ids[2]
    for _ in range(4):
        said = client.post(
            f"/v1/articles/{ids[2]}/feedback",
            json={"reason": "transfer_not_received", "helped": False},
            headers=keys.agent,
        )
        assert said.status_code == 201, said.text
    client.post(
        f"/v1/articles/{ids[1]}/feedback",
        json={"reason": "transfer_not_received", "helped": True},
        headers=keys.agent,
    )
    after = search(client, keys, query, reason="transfer_not_received")
    assert after[0]["id"] != ids[2]
    assert any("did not help 4" in why for a in after if a["id"] == ids[2] for why in a["why"])
    other_reason = search(client, keys, query, reason="card_declined")
    assert other_reason[0]["id"] == ids[2]  # feedback for one reason moves only that one
    client.post(f"/v1/articles/{ids[0]}/retire", headers=keys.supervisor)
    late = client.post(
        f"/v1/articles/{ids[0]}/feedback",
        json={"reason": "card_declined", "helped": True},
        headers=keys.agent,
    )
    assert (late.status_code, late.json()["code"]) == (410, "article_retired")


def test_bad_articles_are_refused_with_what_to_fix(client: TestClient, keys: Keys) -> None:
    bad = client.post(
        "/v1/articles",
        json={"title": "x", "body": "y", "slug": "Not A Slug!"},
        headers=keys.supervisor,
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_article")
    assert bad.json()["errors"][0]["field"] == "slug"
    too_big = client.post(
        "/v1/articles", json={"title": "x", "body": "y" * 100_001}, headers=keys.supervisor
    )
    assert too_big.status_code == 400


def test_a_card_suggests_articles_for_the_words_of_the_contact(
    client: TestClient, keys: Keys
) -> None:
    for article in ARTICLES:
        write(client, keys, article)
    ann = customer(("phone", "+44 20 7946 0100", True), name="Ann Lee")
    post(client, keys.integrator, [make_event("customer.identified", customer=ann)])
    call = client.post(
        "/v1/contacts",
        json={
            "channel": "voice",
            "customer": {"identifiers": [{"kind": "phone", "value": "+442079460100"}]},
        },
        headers=keys.integrator,
    ).json()
    now = dt.datetime.now(dt.UTC).isoformat()
    post(
        client,
        keys.integrator,
        [
            make_event(
                "message.posted",
                interaction_id=call["contact_id"],
                speaker="customer",
                text="My card got declined at the supermarket till just now",
                time=now,
            )
        ],
    )
    card = client.get(
        f"/v1/customers/{call['customer_id']}/card",
        params={"channel": "voice", "interaction_id": call["interaction_id"]},
        headers=keys.agent,
    ).json()
    titles = [a["title"] for a in card["articles"]]
    assert titles[0] == "A card is declined at a till"
    assert card["articles"][0]["why"]


def test_a_resolved_conversation_becomes_a_draft_and_gaps_are_grouped(
    client: TestClient, keys: Keys
) -> None:
    write(client, keys, ARTICLES[0])
    events = []
    questions = [
        "How do I get a statement for my tax return?",
        "I need last year's statements for my accountant, how do I get them?",
        "Where can I download a yearly statement for my taxes?",
    ]
    for n, text in enumerate(questions):
        who = customer(("email", f"p{n}@example.org", True), name=f"Pat {n}")
        iid = f"chat-{n}"
        at = dt.datetime.now(dt.UTC) - dt.timedelta(days=n + 1)
        events += [
            make_event(
                "interaction.started",
                customer=who,
                interaction_id=iid,
                channel="chat",
                time=at.isoformat(),
            ),
            make_event(
                "message.posted",
                interaction_id=iid,
                speaker="customer",
                text=text,
                time=(at + dt.timedelta(seconds=10)).isoformat(),
            ),
            make_event(
                "message.posted",
                interaction_id=iid,
                speaker="agent",
                text="Hello Pat. Statements for past years are in the app under Documents, "
                "and we can post a printed copy within five working days.",
                time=(at + dt.timedelta(seconds=30)).isoformat(),
            ),
            make_event(
                "interaction.ended",
                interaction_id=iid,
                outcome="unresolved" if n else "resolved",
                time=(at + dt.timedelta(seconds=60)).isoformat(),
            ),
        ]
    post(client, keys.integrator, events)
    gaps = client.get("/v1/knowledge/gaps", headers=keys.supervisor)
    assert gaps.status_code == 200, gaps.text
    (gap,) = gaps.json()["gaps"]
    assert gap["questions"] == 3 and 0 < gap["resolution_rate"] < 1
    assert any("statement" in quote for quote in gap["quotes"])
    assert client.get("/v1/knowledge/gaps", headers=keys.agent).status_code == 403

    draft = client.post(
        "/v1/articles/drafts", json={"interaction_id": "chat-0"}, headers=keys.supervisor
    )
    assert draft.status_code == 201, draft.text
    body = draft.json()
    assert body["status"] == "draft"
    assert "Statements for past years are in the app under Documents" in body["body"]
    assert "Hello Pat" not in body["body"]
    # A draft is never suggested before someone publishes it.
    assert all(a["id"] != body["id"] for a in search(client, keys, "statement for my tax return"))
    unresolved = client.post(
        "/v1/articles/drafts", json={"interaction_id": "chat-1"}, headers=keys.supervisor
    )
    assert (unresolved.status_code, unresolved.json()["code"]) == (409, "interaction_not_resolved")
