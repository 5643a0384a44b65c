"""The desk's handover and continuation-code forms: desk header required, errors as problems,
the note rendered with customer text escaped."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from tests.api.calls import say, seed_miles, start_call
from tests.factories import Keys

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DESK = {**FORM, "X-Desk-Fragment": "1"}


def sign_in(client: TestClient, headers: dict[str, str]) -> None:
    key = headers["Authorization"].removeprefix("Bearer ")
    signed = client.post(
        "/desk/sign-in", content=f"key={key}", headers=FORM, follow_redirects=False
    )
    assert signed.status_code == 303


def test_desk_handover_needs_the_desk_header_and_renders_the_note(
    client: TestClient, keys: Keys
) -> None:
    seed_miles(client, keys, NOW)
    call = start_call(client, keys.agent)
    say(
        client,
        keys,
        call["contact_id"],
        NOW,
        (("customer", "<b>help</b> my card is blocked", None),),
    )
    sign_in(client, keys.agent)
    url = f"/desk/interactions/{call['interaction_id']}/handover"
    forged = client.post(url, content="to=test-supervisor", headers=FORM)
    assert (forged.status_code, forged.json()["code"]) == (400, "not_from_the_desk")
    unknown = client.post(url, content="to=nobody", headers=DESK)
    assert (unknown.status_code, unknown.json()["code"]) == (400, "unknown_agent")
    empty = client.post(url, content="to=", headers=DESK)
    assert empty.json()["code"] == "invalid_handover"
    sent = client.post(
        url, content="to=cards&to_kind=queue&remark=%3Ci%3Ex%3C%2Fi%3E", headers=DESK
    )
    assert sent.status_code == 200, sent.text
    assert "Handover from test-agent to the cards queue" in sent.text
    assert "&lt;b&gt;help&lt;/b&gt;" in sent.text and "<b>help</b>" not in sent.text
    assert "&lt;i&gt;x&lt;/i&gt;" in sent.text
    again = client.post(url, content="to=cards&to_kind=queue", headers=DESK)
    assert (again.status_code, again.json()["code"]) == (409, "handover_pending")


def test_desk_continuation_codes_are_checked_like_the_api(client: TestClient, keys: Keys) -> None:
    seed_miles(client, keys, NOW)
    call = start_call(client, keys.agent)
    sign_in(client, keys.agent)
    url = f"/desk/interactions/{call['interaction_id']}/continuation"
    wrong = client.post(url, content="code=1234+5678", headers=DESK)
    assert (wrong.status_code, wrong.json()["code"]) == (400, "continuation_code_invalid")
    ended = client.post("/desk/interactions/chat-77/continuation", content="code=1", headers=DESK)
    assert (ended.status_code, ended.json()["code"]) == (409, "interaction_ended")


def test_an_admin_desk_hands_over_and_an_auditor_has_no_desk(
    client: TestClient, keys: Keys
) -> None:
    seed_miles(client, keys, NOW)
    call = start_call(client, keys.agent)
    sign_in(client, keys.admin)  # admins may; an auditor's key cannot open the desk at all
    url = f"/desk/interactions/{call['interaction_id']}/handover"
    sent = client.post(url, content="to=test-agent", headers=DESK)
    assert sent.status_code == 200, sent.text
    auditor = client.post(
        "/desk/sign-in",
        content=f"key={keys.auditor['Authorization'][7:]}",
        headers=FORM,
        follow_redirects=False,
    )
    assert auditor.status_code == 401
