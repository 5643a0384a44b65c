"""The review queue: paged by a stable cursor over its own order, and decided once however
many people press a button at the same moment."""

from __future__ import annotations

import datetime as dt
import random
import threading
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, customer, identified
from warmline.storage import schema as t

BASE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def test_a_thousand_suggestions_created_out_of_id_order_page_once_each_in_order(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    rng = random.Random(18)
    people = [f"cus_page{n:02d}" for n in range(10)]
    # Ids ascending, creation times shuffled (with ties), a few the customer said yes to.
    suggestions = [
        {
            "id": f"sug_{n:04d}",
            "customer_id": people[n % 10],
            "candidate_id": people[(n + 1) % 10],
            "source": "ingest",
            "status": "open",
            "score": 0.9,
            "evidence": {"fields": [], "probability": 0.9, "reasons": []},
            "reasons": ["match probability 0.9000 is between the review and link thresholds"],
            "created_at": BASE + dt.timedelta(minutes=rng.randrange(400)),
            "customer_answer": "yes" if n % 97 == 0 else None,
        }
        for n in range(1000)
    ]
    with engine.begin() as conn:
        conn.execute(
            t.customers.insert(),
            [
                {"id": cid, "status": "active", "name": cid, "traits": {},
                 "created_at": BASE, "updated_at": BASE}
                for cid in people
            ],
        )  # fmt: skip
        conn.execute(t.merge_suggestions.insert(), suggestions)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 37, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/merge-suggestions", params=params, headers=keys.supervisor)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["open"] == 1000
        seen += [s["id"] for s in body["suggestions"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 1000
    assert seen == [s["id"] for s in _queue_order(suggestions)]
    # The times do tie (400 minutes for 1,000 suggestions): the id breaks them.
    assert len({s["created_at"] for s in suggestions}) < 1000


def _queue_order(suggestions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documented order: the customer confirmed first, then newest, then id, descending."""
    return sorted(
        suggestions,
        key=lambda s: (s["customer_answer"] is not None, s["created_at"], s["id"]),
        reverse=True,
    )


def test_a_suggestion_pressed_from_every_side_at_once_is_decided_once(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    phone = ("phone", "+44 20 7946 0111")
    post(
        client,
        keys.integrator,
        [
            identified(customer(phone, name="Robert Stone", postcode="M1 1AE")),
            identified(customer(phone, name="Robert Stne", postcode="LS1 4AP")),
        ],
    )
    (suggestion,) = client.get("/v1/merge-suggestions", headers=keys.supervisor).json()[
        "suggestions"
    ]
    path = f"/v1/merge-suggestions/{suggestion['id']}"
    presses = [
        (f"{path}/approve", {"note": "same man"}, keys.supervisor),
        (f"{path}/reject", {"note": "two men"}, keys.supervisor),
        (f"{path}/answer", {"answer": "no"}, keys.agent),
    ] * 3
    statuses: list[tuple[str, int, str | None]] = []
    start = threading.Barrier(len(presses))

    def press(url: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        start.wait()
        response = client.post(url, json=body, headers=headers)
        code = response.json().get("code") if response.status_code >= 400 else None
        statuses.append((url.rsplit("/", 1)[1], response.status_code, code))

    threads = [threading.Thread(target=press, args=p) for p in presses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [s for s in statuses if s[1] < 400]
    assert len(winners) == 1, statuses
    assert all(s[1:] == (409, "suggestion_settled") for s in statuses if s not in winners)
    with engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(t.merge_suggestions).where(t.merge_suggestions.c.id == suggestion["id"])
            )
            .mappings()
            .one()
        )
        merges = conn.execute(sa.select(sa.func.count()).select_from(t.merges)).scalar_one()
    action = winners[0][0]
    assert row["status"] == ("approved" if action == "approve" else "rejected")
    assert merges == (1 if action == "approve" else 0)
