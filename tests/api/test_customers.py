"""Reading the memory: find, profile (masked for agents), timeline (every channel, paged)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import MILES, Keys, at, conversation, customer, identified, make_event
from warmline.actions.ingest import ingest_events
from warmline.storage import schema as t


def miles_id(client: TestClient, keys: Keys) -> str:
    body = post(
        client,
        keys.integrator,
        [
            identified(
                customer(
                    ("email", "miles@example.org", True),
                    ("phone", "+44 20 7946 0958", True),
                    name="Miles Okafor",
                    preferred_name="Miles",
                    customer_since="2016-03-01",
                    date_of_birth="1980-04-02",
                )
            ),
        ],
    )
    return str(body["results"][0]["customer_id"])


def test_find_by_identifier_normalises_like_ingest(client: TestClient, keys: Keys) -> None:
    cid = miles_id(client, keys)
    for identifier in ("phone:020 7946 0958", "phone:+442079460958", "email:Miles@Example.org"):
        response = client.get(
            "/v1/customers", params={"identifier": identifier}, headers=keys.agent
        )
        assert response.status_code == 200, response.text
        assert [c["id"] for c in response.json()["customers"]] == [cid]
    nobody = client.get(
        "/v1/customers", params={"identifier": "email:nobody@example.org"}, headers=keys.agent
    )
    assert nobody.json()["customers"] == [] and nobody.json()["total"] == 0


def test_find_by_name_is_case_and_accent_insensitive(client: TestClient, keys: Keys) -> None:
    cid = miles_id(client, keys)
    post(
        client,
        keys.integrator,
        [
            identified(customer(("email", "jose@example.org"), name="José Álvarez")),
            identified(customer(("email", "mila@example.org"), name="Mila Okonkwo")),
        ],
    )

    def names(q: str) -> list[str]:
        response = client.get("/v1/customers", params={"q": q}, headers=keys.agent)
        assert response.status_code == 200, response.text
        return sorted(c["name"] for c in response.json()["customers"])

    assert names("miles") == ["Miles Okafor"]
    assert names("OKA") == ["Miles Okafor"]
    assert names("ok mil") == ["Mila Okonkwo", "Miles Okafor"]
    assert names("jose alv") == ["José Álvarez"]
    assert names("zebedee") == []
    assert (
        client.get("/v1/customers", params={"q": "miles okafor"}, headers=keys.agent).json()[
            "customers"
        ][0]["id"]
        == cid
    )


def test_injection_shaped_queries_match_literally(client: TestClient, keys: Keys) -> None:
    miles_id(client, keys)
    for q in ("' OR 1=1 --", "%", "_", "miles%'; DROP TABLE customers; --"):
        response = client.get("/v1/customers", params={"q": q}, headers=keys.agent)
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert all(
                "Okafor" not in c["name"] or "miles" in q for c in response.json()["customers"]
            )
    weird = client.get(
        "/v1/customers", params={"identifier": "device:' OR '1'='1"}, headers=keys.agent
    )
    assert weird.json()["customers"] == []
    assert client.get("/v1/customers", params={"q": "miles"}, headers=keys.agent).json()[
        "customers"
    ]


def test_search_needs_exactly_one_query(client: TestClient, keys: Keys) -> None:
    for params in ({}, {"q": "a", "identifier": "email:a@b.org"}):
        response = client.get("/v1/customers", params=params, headers=keys.agent)
        assert response.status_code == 400
        assert response.json()["code"] == "missing_query"
    bad = client.get("/v1/customers", params={"identifier": "phone: "}, headers=keys.agent)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_identifier")
    no_kind = client.get(
        "/v1/customers", params={"identifier": "miles@example.org"}, headers=keys.agent
    )
    assert no_kind.json()["code"] == "invalid_identifier"
    punct = client.get("/v1/customers", params={"q": "!!!"}, headers=keys.agent)
    assert punct.json()["code"] == "empty_query"


def test_profile_masks_identifiers_for_agents(client: TestClient, keys: Keys) -> None:
    cid = miles_id(client, keys)
    agent = client.get(f"/v1/customers/{cid}", headers=keys.agent).json()
    assert agent["name"] == "Miles Okafor" and agent["preferred_name"] == "Miles"
    assert agent["customer_since"] == "2016-03-01"
    assert agent["traits"]["name"]["source"] == "crm"
    values = {i["kind"]: i["value"] for i in agent["identifiers"]}
    assert values == {"email": "m•••@example.org", "phone": "+44•••••0958"}
    assert all(i["verified"] and i["masked"] for i in agent["identifiers"])
    admin = client.get(f"/v1/customers/{cid}", headers=keys.admin).json()
    assert {i["value"] for i in admin["identifiers"]} == {"miles@example.org", "+442079460958"}


def test_unknown_customer_is_404_problem(client: TestClient, keys: Keys) -> None:
    for path in ("/v1/customers/cus_nobody", "/v1/customers/cus_nobody/timeline"):
        response = client.get(path, headers=keys.agent)
        assert response.status_code == 404
        assert response.json()["code"] == "customer_not_found"


def test_timeline_lists_every_channel_newest_first(client: TestClient, keys: Keys) -> None:
    cid = miles_id(client, keys)
    post(
        client,
        keys.integrator,
        [
            *conversation("chat-1", "chat", 0),
            *conversation("call-1", "voice", 30),
            make_event("activity", customer=MILES, name="payment.failed", time=at(-60 * 24)),
            make_event(
                "case.opened", customer=MILES, case_id="case-1", title="Declined card", time=at(20)
            ),
        ],
    )
    body = client.get(f"/v1/customers/{cid}/timeline", headers=keys.agent).json()
    assert [(i["kind"], i.get("channel")) for i in body["items"]] == [
        ("interaction", "voice"),
        ("case", None),
        ("interaction", "chat"),
        ("activity", None),
    ]
    assert body["next_cursor"] is None
    assert body["items"][0]["reason"] == "card_declined"


def test_timeline_pages_through_ten_thousand_interactions(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    cid = miles_id(client, keys)
    events = [
        make_event(
            "interaction.started",
            customer=MILES,
            interaction_id=f"i-{n}",
            channel=("chat", "voice", "email", "app")[n % 4],
            time=at(n // 3),
        )
        for n in range(10_000)
    ]
    for start in range(0, len(events), 5000):
        assert ingest_events(engine, events[start : start + 5000]).count("accepted") == 5000
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        response = client.get(f"/v1/customers/{cid}/timeline", params=params, headers=keys.agent)
        assert response.status_code == 200, response.text
        body = response.json()
        seen.extend(item["external_id"] for item in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 50
    assert len(seen) == len(set(seen)) == 10_000
    with engine.connect() as conn:
        expected = [
            r.external_id
            for r in conn.execute(
                sa.select(t.interactions.c.external_id).order_by(
                    t.interactions.c.started_at.desc(), t.interactions.c.id.desc()
                )
            )
        ]
    assert seen == expected


def test_a_tampered_cursor_is_a_clear_error(client: TestClient, keys: Keys) -> None:
    cid = miles_id(client, keys)
    response = client.get(
        f"/v1/customers/{cid}/timeline", params={"cursor": "bm9wZQ"}, headers=keys.agent
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")
    bad_limit = client.get(f"/v1/customers/{cid}/timeline", params={"limit": 0}, headers=keys.agent)
    assert (bad_limit.status_code, bad_limit.json()["code"]) == (400, "invalid_parameter")


def test_reads_are_audited(client: TestClient, keys: Keys, engine: Engine) -> None:
    cid = miles_id(client, keys)
    client.get(f"/v1/customers/{cid}", headers=keys.agent)
    client.get(f"/v1/customers/{cid}/timeline", headers=keys.agent)
    client.get("/v1/customers", params={"q": "miles"}, headers=keys.agent)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.audit_log.c.action, t.audit_log.c.customer_id, t.audit_log.c.role)
            .where(t.audit_log.c.role == "agent")
            .order_by(t.audit_log.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("customer.viewed", cid, "agent"),
        ("timeline.viewed", cid, "agent"),
        ("customers.search", None, "agent"),
    ]


def test_concurrent_reads_are_each_audited(client: TestClient, keys: Keys, engine: Engine) -> None:
    import threading

    cid = miles_id(client, keys)
    statuses: list[int] = []

    def read() -> None:
        for _ in range(5):
            statuses.append(client.get(f"/v1/customers/{cid}/card", headers=keys.agent).status_code)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 40
    with engine.connect() as conn:
        audited = conn.execute(
            sa.select(sa.func.count())
            .select_from(t.audit_log)
            .where(t.audit_log.c.action == "card.viewed")
        ).scalar_one()
    assert audited == 40


def test_sensitive_traits_are_masked_until_revealed_with_a_reason(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    cid = miles_id(client, keys)
    profile = client.get(f"/v1/customers/{cid}", headers=keys.agent).json()
    assert profile["traits"]["date_of_birth"] == {
        **profile["traits"]["date_of_birth"],
        "value": "•••",
        "masked": True,
    }
    card = client.get(f"/v1/customers/{cid}/card", headers=keys.agent).json()
    assert card["customer"]["traits"]["date_of_birth"]["value"] == "•••"
    assert "1980-04-02" not in str(card) and "1980-04-02" not in str(profile)
    admin = client.get(f"/v1/customers/{cid}", headers=keys.admin).json()
    assert admin["traits"]["date_of_birth"]["value"] == "1980-04-02"

    revealed = client.post(
        f"/v1/customers/{cid}/reveal",
        json={"fields": ["date_of_birth", "identifiers"], "reason": "caller asked to confirm DOB"},
        headers=keys.agent,
    )
    assert revealed.status_code == 200, revealed.text
    body = revealed.json()
    assert body["date_of_birth"] == "1980-04-02"
    assert {"kind": "email", "value": "miles@example.org"} in body["identifiers"]
    with engine.connect() as conn:
        entry = conn.execute(
            sa.select(t.audit_log.c.detail).where(t.audit_log.c.action == "customer.revealed")
        ).scalar_one()
    assert entry == {
        "fields": ["date_of_birth", "identifiers"],
        "reason": "caller asked to confirm DOB",
    }


def test_a_reveal_needs_a_reason_and_known_fields(client: TestClient, keys: Keys) -> None:
    cid = miles_id(client, keys)
    no_reason = client.post(
        f"/v1/customers/{cid}/reveal", json={"fields": ["date_of_birth"]}, headers=keys.agent
    )
    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "invalid_parameter")
    unknown = client.post(
        f"/v1/customers/{cid}/reveal",
        json={"fields": ["password"], "reason": "just curious"},
        headers=keys.agent,
    )
    assert (unknown.status_code, unknown.json()["code"]) == (400, "unknown_field")


def test_a_trait_the_source_marks_sensitive_is_masked_too(client: TestClient, keys: Keys) -> None:
    ref = customer(
        ("email", "ann@example.org", True), name="Ann Lee", health_note="uses a hearing aid"
    )
    ref["sensitive"] = ["health_note"]
    cid = post(client, keys.integrator, [make_event("customer.identified", customer=ref)])[
        "results"
    ][0]["customer_id"]
    profile = client.get(f"/v1/customers/{cid}", headers=keys.agent).json()
    assert (
        profile["traits"]["health_note"]["value"] == "•••"
        and profile["traits"]["health_note"]["masked"]
    )
    assert profile["traits"]["name"]["value"] == "Ann Lee"
    # A later update without the mark keeps the trait sensitive.
    later = customer(("email", "ann@example.org"), health_note="hearing aid, prefers chat")
    post(client, keys.integrator, [make_event("customer.identified", customer=later, time=at(5))])
    assert (
        client.get(f"/v1/customers/{cid}", headers=keys.agent).json()["traits"]["health_note"][
            "value"
        ]
        == "•••"
    )
    revealed = client.post(
        f"/v1/customers/{cid}/reveal",
        json={"fields": ["health_note"], "reason": "to choose the channel"},
        headers=keys.agent,
    ).json()
    assert revealed["health_note"] == "hearing aid, prefers chat"
    name = client.post(
        f"/v1/customers/{cid}/reveal",
        json={"fields": ["name"], "reason": "not masked"},
        headers=keys.agent,
    )
    assert (name.status_code, name.json()["code"]) == (400, "unknown_field")
