"""Identity resolution through the API: recognising people, merges you can explain and undo."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, at, customer, make_event, message, started
from warmline.actions.keys import create_key
from warmline.storage import schema as t

ANN = {"name": "Ann Lee", "date_of_birth": "1980-02-01", "postcode": "SW1A 1AA"}


def identified(*idents: tuple[str, str] | tuple[str, str, bool], **traits: Any) -> dict[str, Any]:
    return make_event("customer.identified", customer=customer(*idents, **traits))


def seed(client: TestClient, keys: Keys, *events: dict[str, Any]) -> list[dict[str, Any]]:
    return list(post(client, keys.integrator, list(events))["results"])


def two_anns(client: TestClient, keys: Keys) -> tuple[str, str]:
    """Ann from the CRM and an unrelated record with another email and no shared traits."""
    first, second = seed(
        client,
        keys,
        identified(("email", "ann@example.org", True), **ANN),
        identified(("email", "a.lee@elsewhere.example"), name="A Lee"),
    )
    assert first["customer_id"] != second["customer_id"]
    return first["customer_id"], second["customer_id"]


def merge(client: TestClient, keys: Keys, from_id: str, into_id: str, status: int = 201) -> Any:
    body = {"from_id": from_id, "into_id": into_id, "reason": "the customer confirmed by phone"}
    response = client.post("/v1/merges", json=body, headers=keys.supervisor)
    assert response.status_code == status, response.text
    return response.json()


def undo(client: TestClient, keys: Keys, merge_id: str, status: int = 200) -> Any:
    response = client.post(
        f"/v1/merges/{merge_id}/undo", json={"reason": "wrong person"}, headers=keys.supervisor
    )
    assert response.status_code == status, response.text
    return response.json()


def test_the_same_person_on_another_channel_is_recognised_and_explained(
    client: TestClient, keys: Keys
) -> None:
    first, branch = seed(
        client,
        keys,
        identified(("email", "ann@example.org", True), **ANN, address="10 Downing Street"),
        identified(("phone", "+44 20 7946 0999"), **ANN, address="10 Downing St"),
    )
    assert branch["resolution"] == "linked" and branch["customer_id"] == first["customer_id"]
    merges = client.get(
        "/v1/merges", params={"customer_id": first["customer_id"]}, headers=keys.supervisor
    ).json()["merges"]
    (auto,) = merges
    assert (auto["rule"], auto["actor"], auto["status"]) == (
        "auto_link",
        "warmline.ingest",
        "active",
    )
    assert auto["score"] >= 0.999
    texts = " ".join(f["text"] for f in auto["evidence"]["fields"])
    assert "first name: exact match" in texts
    # Supervisors see how each field compared, not the sensitive values themselves.
    dob = next(f for f in auto["evidence"]["fields"] if f["field"] == "date_of_birth")
    assert dob["masked"] is True and dob["left"] == "•••"


def test_a_known_record_whose_traits_match_another_customer_joins_them(
    client: TestClient, keys: Keys
) -> None:
    """Ann was recorded twice apart (the branch had only her new email). When the branch
    later sends her details under that email, the record it names and Ann's first one are
    one person: joined as a bridge, explained, undoable. Her brother at the same address
    and birthday (a twin) sends his, and stays his own."""
    first, bare = seed(
        client,
        keys,
        identified(("email", "ann@example.org"), **ANN, address="10 Downing Street"),
        identified(("email", "ann.lee@branch.example")),
    )
    assert first["customer_id"] != bare["customer_id"]
    (known,) = seed(
        client,
        keys,
        identified(("email", "ann.lee@branch.example"), **ANN, address="10 Downing St"),
    )
    assert known["resolution"] == "known"

    def live(record: dict[str, Any]) -> str:
        card = client.get(f"/v1/customers/{record['customer_id']}/card", headers=keys.agent)
        return str(card.json()["customer"]["id"])

    assert live(first) == live(bare) == known["customer_id"], "one customer now"
    merges = client.get(
        "/v1/merges", params={"customer_id": known["customer_id"]}, headers=keys.supervisor
    ).json()["merges"]
    (bridge,) = merges
    assert (bridge["rule"], bridge["status"]) == ("auto_link", "active")
    assert "this record matches both: they are one person" in bridge["evidence"]["reasons"]
    undo(client, keys, bridge["id"])
    assert live(first) != live(bare), "undone: two customers again"

    ben = ANN | {"name": "Ben Lee", "address": "10 Downing Street"}
    (twin,) = seed(client, keys, identified(("email", "ben@example.org"), **ben))
    assert twin["customer_id"] != first["customer_id"]
    # His next update gives only the surname: it matches Ann's record as well as his own,
    # but his record and hers are two people, so nothing joins them.
    (twin_again,) = seed(
        client, keys, identified(("email", "ben@example.org"), **(ben | {"name": "Lee"}))
    )
    assert twin_again["customer_id"] == twin["customer_id"] != live(first)
    merges = client.get(
        "/v1/merges", params={"customer_id": twin["customer_id"]}, headers=keys.supervisor
    ).json()["merges"]
    assert merges == []


def test_a_shared_household_phone_alone_never_merges(client: TestClient, keys: Keys) -> None:
    bob, carol = seed(
        client,
        keys,
        identified(("phone", "+44 20 7946 0111"), name="Bob Stone"),
        identified(("phone", "+44 20 7946 0111"), name="Carol Stone"),
    )
    # Two people of one household: kept apart, and nobody is asked about them.
    assert carol["resolution"] == "new" and carol["customer_id"] != bob["customer_id"]
    assert carol["candidates"] == [bob["customer_id"]]
    queue = client.get("/v1/merge-suggestions", headers=keys.supervisor).json()
    assert queue["suggestions"] == [] and queue["open"] == 0
    # A call from the shared number alone names nobody: the desk asks who it is.
    contact = client.post(
        "/v1/contacts",
        json={
            "channel": "voice",
            "customer": {"identifiers": [{"kind": "phone", "value": "+44 20 7946 0111"}]},
        },
        headers=keys.agent,
    ).json()
    assert contact["recognised"] is False
    names = {c["name"] for c in contact["card"]["candidates"]}
    assert names == {"Bob Stone", "Carol Stone"}


def test_merge_moves_everything_and_undo_puts_it_back(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    ann, other = two_anns(client, keys)
    seed(
        client,
        keys,
        started("chat-1", ref=customer(("email", "a.lee@elsewhere.example"))),
        message("chat-1", "Has my replacement card been posted?"),
    )
    preview = client.post(
        "/v1/merges/preview", json={"from_id": other, "into_id": ann}, headers=keys.supervisor
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (
        body["from"]["counts"]["interactions"] == 1 and body["into"]["counts"]["interactions"] == 0
    )
    assert body["conflicts"] == [] and 0 <= body["probability"] <= 1
    assert body["traits_after"]["name"]["value"] in {"Ann Lee", "A Lee"}

    done = merge(client, keys, other, ann)
    assert (done["rule"], done["from_id"], done["into_id"]) == ("manual", other, ann)
    # The merged id follows to the customer it is part of, card and timeline alike.
    profile = client.get(f"/v1/customers/{other}", headers=keys.agent).json()
    assert (profile["id"], profile["merged_from"]) == (ann, other)
    timeline = client.get(f"/v1/customers/{other}/timeline", headers=keys.agent).json()
    assert timeline["customer_id"] == ann and timeline["items"][0]["external_id"] == "chat-1"
    # Later events naming the merged record's email land on the merged customer...
    later = seed(
        client,
        keys,
        started("chat-2", ref=customer(("email", "a.lee@elsewhere.example")), time=at(30)),
    )
    assert later[0]["customer_id"] == ann

    undone = undo(client, keys, done["id"])
    assert undone["status"] == "undone" and undone["records_moved"] == 1
    # ... and go back with everything else when the merge is undone.
    back = client.get(f"/v1/customers/{other}/timeline", headers=keys.agent).json()
    assert back["customer_id"] == other
    assert {i["external_id"] for i in back["items"]} == {"chat-1", "chat-2"}
    kept = client.get(f"/v1/customers/{ann}/timeline", headers=keys.agent).json()
    assert kept["items"] == []
    with engine.connect() as conn:
        owners = dict(
            conn.execute(sa.select(t.identifiers.c.value, t.identifiers.c.customer_id)).all()
        )
        messages = conn.execute(sa.select(t.messages.c.customer_id)).scalars().all()
    assert owners == {"ann@example.org": ann, "a.lee@elsewhere.example": other}
    assert set(messages) == {other}


def test_merge_mistakes_get_clear_errors(client: TestClient, keys: Keys) -> None:
    ann, other = two_anns(client, keys)
    same = merge(client, keys, ann, ann, status=400)
    assert same["code"] == "merge_same_customer"
    missing = merge(client, keys, "cus_nobody", ann, status=404)
    assert missing["code"] == "customer_not_found" and "from_id" in missing["detail"]
    done = merge(client, keys, other, ann)
    again = merge(client, keys, other, ann, status=409)
    assert again["code"] == "customer_merged" and again["live_id"] == ann
    assert merge(client, keys, ann, other, status=409)["code"] == "customer_merged"
    undo(client, keys, done["id"])
    twice = undo(client, keys, done["id"], status=409)
    assert twice["code"] == "merge_already_undone"
    assert undo(client, keys, "mrg_nothing", status=404)["code"] == "merge_not_found"
    wrong = client.post("/v1/merges", json={"from_id": other}, headers=keys.supervisor)
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_parameter"
    agent = client.post(
        "/v1/merges",
        json={"from_id": other, "into_id": ann, "reason": "looks the same"},
        headers=keys.agent,
    )
    assert agent.status_code == 403


def test_conflicting_verified_identifiers_need_a_deliberate_override(
    client: TestClient, keys: Keys
) -> None:
    first, second = seed(
        client,
        keys,
        identified(("customer_number", "C-100", True), name="Sam Reed"),
        identified(("customer_number", "C-200", True), name="Sam Reed"),
    )
    # Same name, but the sources vouch for two different customer numbers: never joined.
    assert first["customer_id"] != second["customer_id"]
    refused = merge(client, keys, second["customer_id"], first["customer_id"], status=409)
    assert refused["code"] == "verified_identifiers_conflict"
    assert refused["conflicts"] == ["customer_number"]
    body = {
        "from_id": second["customer_id"],
        "into_id": first["customer_id"],
        "reason": "one person, two numbers by mistake",
        "override_conflicts": True,
    }
    forced = client.post("/v1/merges", json=body, headers=keys.supervisor)
    assert forced.status_code == 201
    assert forced.json()["evidence"]["conflicts_overridden"] == ["customer_number"]


def test_undoing_the_middle_of_a_chain(client: TestClient, keys: Keys) -> None:
    a, b, c = (
        r["customer_id"]
        for r in seed(
            client,
            keys,
            identified(("email", "a@example.org"), name="Ana Alpha"),
            identified(("email", "b@example.org"), name="Ben Beta"),
            identified(("email", "c@example.org"), name="Cy Gamma"),
        )
    )
    a_into_b = merge(client, keys, a, b)
    merge(client, keys, b, c)
    assert client.get(f"/v1/customers/{a}", headers=keys.agent).json()["id"] == c
    undo(client, keys, a_into_b["id"])
    # A stands alone again; B stays merged into C, as if A had never been merged.
    assert client.get(f"/v1/customers/{a}", headers=keys.agent).json()["id"] == a
    assert client.get(f"/v1/customers/{b}", headers=keys.agent).json()["id"] == c


def test_an_erased_customer_cannot_be_merged(client: TestClient, keys: Keys) -> None:
    ann, other = two_anns(client, keys)
    erased = client.delete(
        f"/v1/customers/{other}", params={"reason": "customer's request"}, headers=keys.admin
    )
    assert erased.status_code == 200
    assert merge(client, keys, other, ann, status=410)["code"] == "customer_erased"


def test_suggestions_answered_by_the_customer_and_decided_by_a_supervisor(
    client: TestClient, keys: Keys
) -> None:
    seed(
        client,
        keys,
        # One phone, a surname spelt another way, another postcode: the same Stone moved,
        # or someone else at that number.
        identified(("phone", "+44 20 7946 0111"), name="Robert Stone", postcode="M1 1AE"),
        identified(("phone", "+44 20 7946 0111"), name="Robert Stne", postcode="LS1 4AP"),
        identified(("phone", "+44 20 7946 0222"), name="Dee Hart", postcode="M2 5BQ"),
        identified(("phone", "+44 20 7946 0222"), name="Dee Harte", postcode="BS1 6XY"),
    )
    queue = client.get("/v1/merge-suggestions", headers=keys.supervisor).json()["suggestions"]
    assert len(queue) == 2
    dee = next(s for s in queue if s["customer"]["name"].startswith("Dee"))
    stones = next(s for s in queue if s is not dee)
    assert client.get("/v1/merge-suggestions", headers=keys.agent).status_code == 403

    yes = client.post(
        f"/v1/merge-suggestions/{dee['id']}/answer", json={"answer": "yes"}, headers=keys.agent
    )
    assert yes.status_code == 200 and yes.json()["customer_answer"] == "yes"
    first = client.get("/v1/merge-suggestions", headers=keys.supervisor).json()["suggestions"][0]
    assert first["id"] == dee["id"]  # confirmed by the customer: reviewed first
    approved = client.post(
        f"/v1/merge-suggestions/{dee['id']}/approve",
        json={"note": "same person"},
        headers=keys.supervisor,
    )
    assert approved.status_code == 201, approved.text
    assert approved.json()["rule"] == "suggestion"
    assert approved.json()["evidence"]["customer_answer"] == "yes"

    no = client.post(
        f"/v1/merge-suggestions/{stones['id']}/answer", json={"answer": "no"}, headers=keys.agent
    )
    assert no.json()["status"] == "rejected"
    settled = client.post(
        f"/v1/merge-suggestions/{stones['id']}/reject", json={}, headers=keys.supervisor
    )
    assert settled.status_code == 409 and settled.json()["code"] == "suggestion_settled"
    assert client.get("/v1/merge-suggestions", headers=keys.supervisor).json()["suggestions"] == []
    bad = client.post(
        f"/v1/merge-suggestions/{stones['id']}/answer", json={"answer": "maybe"}, headers=keys.agent
    )
    assert bad.status_code == 400


def test_a_key_may_only_vouch_for_identifiers_if_allowed(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    _, web_form = create_key(engine, role="integrator", name="web-form")
    headers = {"Authorization": f"Bearer {web_form}"}
    body = post(
        client,
        headers,
        [identified(("email", "ann@example.org", True)), identified(("email", "bo@example.org"))],
        status=207,
    )
    refused = body["results"][0]
    assert refused["status"] == "rejected"
    error = refused["errors"][0]
    assert error["code"] == "verify_not_allowed"
    assert error["field"] == "/data/customer/identifiers/0/verified"
    assert body["results"][1]["status"] == "accepted"


def test_concurrent_merges_of_the_same_customer_happen_one_at_a_time(
    client: TestClient, keys: Keys
) -> None:
    a, b, c = (
        r["customer_id"]
        for r in seed(
            client,
            keys,
            identified(("email", "a@example.org"), name="Ana Alpha"),
            identified(("email", "b@example.org"), name="Ben Beta"),
            identified(("email", "c@example.org"), name="Cy Gamma"),
        )
    )
    statuses: list[int] = []
    start = threading.Barrier(2)

    def merge_b_into(target: str) -> None:
        start.wait()
        body = {"from_id": b, "into_id": target, "reason": "race between two supervisors"}
        statuses.append(client.post("/v1/merges", json=body, headers=keys.supervisor).status_code)

    threads = [threading.Thread(target=merge_b_into, args=(x,)) for x in (a, c)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    live = client.get(f"/v1/customers/{b}", headers=keys.agent).json()["id"]
    assert live in {a, c}


def test_a_phone_verified_for_one_person_does_not_make_another_them(
    client: TestClient, keys: Keys
) -> None:
    miles, grace = seed(
        client,
        keys,
        identified(("phone", "+44 20 7946 0958", True), name="Miles Okafor"),
        identified(("phone", "+44 20 7946 0958"), name="Grace Okafor"),
    )
    assert grace["resolution"] == "new" and grace["customer_id"] != miles["customer_id"]
    profile = client.get(f"/v1/customers/{miles['customer_id']}", headers=keys.admin).json()
    assert profile["name"] == "Miles Okafor"
