from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from tests.unit.miles import AT, MILES_CHAT
from warmline.domain.handover.llm_note import RewriteRejected, chat_request, parse_rewrite
from warmline.domain.handover.note import (
    Commitment,
    Feeling,
    HandoverNote,
    Receiver,
    build_handover_note,
)

NOTE = build_handover_note(
    MILES_CHAT,
    customer_name="Miles Okafor",
    preferred_name="Miles",
    case_title="Card declined at Fuel & Go",
    commitments=[
        Commitment("Call Miles back if the payment fails again", AT + dt.timedelta(hours=2), "lena")
    ],
    feeling=Feeling("frustrated", "worsening", "Can you just remove it? I'm stuck at the pump."),
    sender="Lena",
    receiver=Receiver("Dave", role="card payments"),
)

GOOD_ANSWER: dict[str, Any] = {
    "summary": "Card ending 4417 declined at a fuel station; a fraud block chat could not lift.",
    "issue_ids": ["q1", "q2"],
    "wants_ids": ["w1"],
    "tried": [],
    "found": ["A fraud-check block is on card ending 4417; chat cannot lift it."],
    "commitments": [{"id": "c1", "text": "Call Miles back if the payment fails again."}],
    "next_step": "The card team lifts the block by phone.",
    "introduction": "Miles, this is Dave from card payments. Dave, Miles's card got declined "
    "at the fuel station twice this week.",
}


def response(answer: Any, *, finish: str | None = "stop", fence: bool = False) -> dict[str, Any]:
    content = answer if isinstance(answer, str) else json.dumps(answer)
    if fence:
        content = f"```json\n{content}\n```"
    return {
        "id": "chatcmpl-1",
        "model": "local-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
            }
        ],
    }


def with_changes(**changes: Any) -> dict[str, Any]:
    answer = copy.deepcopy(GOOD_ANSWER)
    answer.update(changes)
    return answer


def test_request_body_is_an_openai_chat_completion_with_the_note_and_ids() -> None:
    body = chat_request(NOTE, "llama-3.1-8b")
    assert body["model"] == "llama-3.1-8b"
    assert body["temperature"] == 0
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    user = body["messages"][1]["content"]
    assert '"id": "q1"' in user and '"id": "w1"' in user and '"id": "c1"' in user
    assert "My card got declined at the fuel station, second time this week." in user
    assert "keep every fact" in body["messages"][0]["content"].lower()
    json.dumps(body)  # the body must be JSON-serialisable as it is
    assert "response_format" not in chat_request(NOTE, "m", json_mode=False)


def test_a_good_rewrite_replaces_the_prose_and_keeps_quotes_verbatim() -> None:
    note = parse_rewrite(response(GOOD_ANSWER), NOTE)
    assert note.summary == GOOD_ANSWER["summary"]
    assert note.issue == NOTE.issue[:2]
    assert note.wants == NOTE.wants[:1]
    assert note.commitments[0].text == "Call Miles back if the payment fails again."
    assert note.commitments[0].due == NOTE.commitments[0].due
    assert note.commitments[0].made_by == "lena"
    assert note.introduction.startswith("Miles, this is Dave")
    assert note.feeling == NOTE.feeling and note.receiver == NOTE.receiver
    assert note.rewritten_by == "local-model"
    assert HandoverNote.from_json(note.to_json()) == note


def test_a_fenced_json_answer_is_accepted() -> None:
    assert parse_rewrite(response(GOOD_ANSWER, fence=True), NOTE).summary == GOOD_ANSWER["summary"]


@pytest.mark.parametrize(
    ("bad_response", "reason"),
    [
        (None, "not a JSON object"),
        ({"choices": []}, "no choices"),
        (response(GOOD_ANSWER, finish="length"), "did not finish"),
        (response(""), "no text content"),
        (response("Sure! Here is the note: ..."), "not JSON"),
        (response("[1, 2]"), "not an object"),
        (response(with_changes(extra="x")), "wrong shape at extra"),
        (
            response({k: v for k, v in GOOD_ANSWER.items() if k != "summary"}),
            "wrong shape at summary",
        ),
        (response(with_changes(summary="x" * 301)), "wrong shape at summary"),
        (response(with_changes(tried="not a list")), "wrong shape at tried"),
        (response(with_changes(found=["a"] * 6)), "wrong shape at found"),
        (response(with_changes(issue_ids=["q9"])), "unknown quote ids ['q9']"),
        (response(with_changes(issue_ids=["q1", "q1"])), "repeated"),
        (response(with_changes(issue_ids=[])), "issue was dropped"),
        (response(with_changes(commitments=[])), "commitments dropped: ['c1']"),
        (
            response(
                with_changes(
                    commitments=[
                        {"id": "c1", "text": "Call back."},
                        {"id": "c2", "text": "Refund the fee."},
                    ]
                )
            ),
            "commitments invented: ['c2']",
        ),
        (
            response(with_changes(summary="Miles said “I will close my account today”.")),
            "quotes words the customer did not say",
        ),
        (response(with_changes(next_step="Refund £61.50 by Friday.")), "numbers the note did not"),
        (response(with_changes(introduction="Dave, meet our customer.")), "no longer names Miles"),
        (response(with_changes(summary="Declined.\nBlock on card.")), "line break"),
    ],
)
def test_garbage_is_rejected_with_a_clear_reason(bad_response: Any, reason: str) -> None:
    with pytest.raises(RewriteRejected, match=reason.replace("[", r"\[").replace("]", r"\]")):
        parse_rewrite(bad_response, NOTE)


def test_quoting_the_customer_exactly_is_allowed() -> None:
    answer = with_changes(summary="Miles: “stuck at the pump”; card ending 4417 blocked.")
    assert parse_rewrite(response(answer), NOTE).summary == answer["summary"]


def test_rejection_carries_its_reason() -> None:
    with pytest.raises(RewriteRejected) as caught:
        parse_rewrite(response("nope"), NOTE)
    assert caught.value.reason.startswith("the answer is not JSON")
