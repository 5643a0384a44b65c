"""Early warning: a risk score with its signals, the at-risk queue, outreach recorded as a
contact, the card's risk, and the outbox event when a customer crosses the threshold."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.api.helpers import post
from tests.factories import Keys, customer, make_event
from warmline.storage import schema as t

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
ZOE = customer(("email", "zoe@example.org", True), name="Zoë Hart")
CALM = customer(("email", "calm@example.org", True), name="Cal Moore")


def ago(**delta: float) -> str:
    return (NOW - dt.timedelta(**delta)).isoformat()


def unhappy_zoe() -> list[dict[str, Any]]:
    """Three contacts about one dispute in a week, one transferred, a promise to call back
    that was not kept, the cancellation page viewed, and words of leaving."""
    events = [make_event("customer.identified", customer=ZOE, time=ago(days=30))]
    for n, (channel, days) in enumerate([("chat", 8), ("voice", 5), ("email", 2)]):
        iid = f"zoe-{n}"
        events += [
            make_event(
                "interaction.started",
                customer=ZOE,
                interaction_id=iid,
                channel=channel,
                agent_id="agent-amir",
                queue="disputes",
                time=ago(days=days),
            ),
            make_event(
                "message.posted",
                interaction_id=iid,
                speaker="customer",
                text="The refund for the double charge still is not there.",
                time=ago(days=days, minutes=-1),
            ),
        ]
        if channel == "voice":
            events.append(
                make_event(
                    "interaction.transferred",
                    interaction_id=iid,
                    to_queue="disputes-tier2",
                    time=ago(days=days, minutes=-3),
                )
            )
        events.append(
            make_event(
                "interaction.ended",
                interaction_id=iid,
                outcome="unresolved",
                reason="dispute_transaction",
                time=ago(days=days, minutes=-5),
            )
        )
    events += [
        make_event(
            "commitment.made",
            customer=ZOE,
            commitment_id="zoe-callback",
            text="Call back about the refund",
            due_at=ago(days=4),
            made_by="agent-sofia",
            time=ago(days=5),
        ),
        make_event("activity", customer=ZOE, name="web.cancellation_page_viewed", time=ago(days=1)),
        make_event(
            "message.posted",
            interaction_id="zoe-2",
            speaker="customer",
            text="<b>Unacceptable</b>. I am closing my account and switching banks.",
            time=ago(days=2, minutes=-2),
        ),
    ]
    return events


def test_signals_with_weight_and_evidence_put_a_customer_in_the_queue(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    body = post(
        client, keys.integrator, [*unhappy_zoe(), make_event("customer.identified", customer=CALM)]
    )
    zoe = body["results"][0]["customer_id"]
    queue = client.get("/v1/at-risk", headers=keys.supervisor).json()
    assert [c["customer_id"] for c in queue["customers"]] == [zoe]
    item = queue["customers"][0]
    assert item["score"] >= queue["threshold"]
    signals = {s["signal"]: s for s in item["signals"]}
    assert {
        "broken_promise",
        "warning_activity",
        "complaint_language",
        "repeat_contacts",
        "transfers",
    } <= set(signals)
    assert "Call back about the refund" in signals["broken_promise"]["evidence"]
    assert "third contact about dispute transaction" in signals["repeat_contacts"]["evidence"]
    assert all(0 < s["weight"] <= 1 for s in item["signals"])
    assert item["last_words"].startswith("<b>Unacceptable</b>")  # stored as text; the desk escapes
    assert item["suggested_owner"] == "agent-sofia"  # who made the broken promise
    # The card says it too, without a statement of its own.
    card = client.get(f"/v1/customers/{zoe}/card", headers=keys.agent).json()
    assert card["risk"]["at_risk"] and card["risk"]["score"] == item["score"]
    assert len(card["risk"]["signals"]) == 3
    # Crossing the threshold put one signed-webhook event in the outbox, in the same write.
    with engine.connect() as conn:
        events = conn.execute(
            sa.select(t.outbox.c.event_type, t.outbox.c.payload, t.outbox.c.status)
        ).all()
    # (pending, or already routed to the subscriptions by the server's background loop)
    assert [(e.event_type, e.payload["customer_id"]) for e in events] == [("customer.at_risk", zoe)]
    assert events[0].status in ("pending", "routed")
    # Reading the queue is audited, listing whom it showed.
    audit = client.get(
        "/v1/audit", params={"action": "at_risk.viewed"}, headers=keys.auditor
    ).json()
    assert audit["entries"][0]["detail"]["customers"] == [zoe]


def test_outreach_is_a_contact_and_takes_the_customer_off_the_queue(
    client: TestClient, keys: Keys
) -> None:
    zoe = post(client, keys.integrator, unhappy_zoe())["results"][0]["customer_id"]
    done = client.post(
        f"/v1/customers/{zoe}/outreach",
        json={"channel": "voice", "note": "Called; refund chased."},
        headers=keys.supervisor,
    )
    assert done.status_code == 201, done.text
    assert client.get("/v1/at-risk", headers=keys.supervisor).json()["customers"] == []
    timeline = client.get(f"/v1/customers/{zoe}/timeline", headers=keys.agent).json()["items"]
    outreach = [
        i
        for i in timeline
        if i["kind"] == "interaction" and i["external_id"] == done.json()["interaction_id"]
    ]
    assert outreach and outreach[0]["reason"] == "outreach"
    # A new sign after the outreach puts them back.
    post(
        client,
        keys.integrator,
        [
            make_event(
                "activity",
                customer=ZOE,
                name="payments.direct_debit.cancelled",
                time=(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).isoformat(),
            )
        ],
    )
    assert [
        c["customer_id"]
        for c in client.get("/v1/at-risk", headers=keys.supervisor).json()["customers"]
    ] == [zoe]


def test_only_supervisors_and_admins_work_the_queue(client: TestClient, keys: Keys) -> None:
    assert client.get("/v1/at-risk", headers=keys.agent).status_code == 403
    assert (
        client.post("/v1/customers/nobody/outreach", json={}, headers=keys.supervisor).status_code
        == 404
    )
    bad = client.post(
        "/v1/customers/nobody/outreach", json={"channel": "fax"}, headers=keys.supervisor
    )
    assert bad.status_code == 400
