from __future__ import annotations

import datetime as dt
import json

from tests.unit.miles import AT, MILES_CHAT
from warmline.domain.conversation.turns import Turn
from warmline.domain.handover.note import (
    Commitment,
    Feeling,
    HandoverNote,
    Quote,
    Receiver,
    build_handover_note,
    introduction,
    name_to_use,
    render_text,
    third_person,
)

DAVE = Receiver("Dave", role="card payments")
FEELING = Feeling("frustrated", "worsening", "Can you just remove it? I'm stuck at the pump.")


def miles_note(**overrides: object) -> HandoverNote:
    arguments: dict[str, object] = {
        "customer_name": "Miles Okafor",
        "preferred_name": "Miles",
        "case_title": "Card declined at Fuel & Go",
        "commitments": [
            Commitment("Send a replacement card", AT + dt.timedelta(days=3), "lena"),
            Commitment("Call Miles back if the payment fails again", AT + dt.timedelta(hours=2)),
        ],
        "feeling": FEELING,
        "sender": "Lena",
        "receiver": DAVE,
        "remark": "He is at the pump now.",
    }
    arguments.update(overrides)
    return build_handover_note(MILES_CHAT, **arguments)  # type: ignore[arg-type]


def test_miles_handover_to_dave_holds_what_dave_needs() -> None:
    note = miles_note()
    assert note.customer_name == "Miles"
    assert note.issue == (
        Quote("My card got declined at the fuel station, second time this week.", AT),
        Quote("I'm stuck at the pump.", AT + dt.timedelta(minutes=3)),
    )
    assert note.found == (
        "I can see a block from our fraud checks on card ending 4417.",
        "I can't lift this block from chat, I'm afraid.",
    )
    assert [q.text for q in note.wants] == [
        "Can you just remove it?",
        "Please make sure they know about this.",
    ]
    assert note.next_step == "The card team can do it on the phone straight away."
    assert [c.text for c in note.commitments] == [
        "Call Miles back if the payment fails again",
        "Send a replacement card",
    ]
    assert note.feeling == FEELING
    assert note.remark == "He is at the pump now."
    assert note.summary.startswith("My card got declined at the fuel station")


def test_introduction_uses_the_name_miles_likes_and_retells_his_issue() -> None:
    assert miles_note().introduction == (
        "Miles, I'd like to introduce you to Dave, who looks after card payments. "
        "Dave, Miles's card got declined at the fuel station, second time this week."
    )


def test_introduction_to_a_queue_and_without_a_stated_issue() -> None:
    queue = Receiver("cards", is_queue=True, role="card payments")
    assert introduction("Miles", queue, (), "Card declined at Fuel & Go") == (
        "Miles, I'm passing you to our cards team, who look after card payments. "
        "Miles has been in touch about card declined at Fuel & Go."
    )
    assert introduction("Miles", Receiver("Dave"), (), None) == (
        "Miles, I'd like to introduce you to Dave. "
        "Dave, Miles has been in touch and we'd like your help."
    )
    # A desk key named "dave" is still Dave to Miles; "McKenzie" is left as written.
    assert introduction("Miles", Receiver("dave"), (), None).startswith(
        "Miles, I'd like to introduce you to Dave. Dave, "
    )
    assert "to McKenzie." in introduction("Miles", Receiver("McKenzie"), (), None)


def test_issue_is_quoted_when_retelling_would_need_a_pronoun() -> None:
    line = introduction("Sam", Receiver("Dave"), (Quote("My transfer took my money twice."),), None)
    assert line.endswith(
        "Dave, Sam has been in touch about this, in their words: “My transfer took my money twice.”"
    )


def test_third_person_retelling() -> None:
    assert third_person("I can’t log in to the app.", "Priya") == "Priya can’t log in to the app."
    assert third_person("I'm locked out.", "Priya") == "Priya is locked out."
    assert third_person("I've been charged twice.", "Priya") == "Priya has been charged twice."
    assert third_person("I need my money back.", "Priya") is None
    assert third_person("The ATM kept the card.", "Priya") is None


def test_name_to_use() -> None:
    assert name_to_use("Miles Okafor", "Miles") == "Miles"
    assert name_to_use("Elena Marsh", None) == "Elena"
    assert name_to_use(None, "  ") == "the customer"


def test_an_empty_conversation_still_gives_a_usable_note() -> None:
    note = build_handover_note([], customer_name=None, sender="Lena", receiver=DAVE, remark="   ")
    assert note.summary == ""
    assert note.issue == note.wants == note.tried == note.found == note.commitments == ()
    assert note.next_step is None and note.remark is None and note.feeling is None
    assert note.introduction == (
        "I'd like to introduce you to Dave, who looks after card payments. "
        "Dave, the customer has been in touch and we'd like your help."
    )


def test_next_step_falls_back_to_the_soonest_commitment() -> None:
    note = build_handover_note(
        [Turn("customer", "My standing order went out twice.")],
        customer_name="Bob Fletcher",
        commitments=[Commitment("Refund the second payment", AT)],
        sender="Ann",
        receiver=DAVE,
    )
    assert note.next_step == "Refund the second payment"


def test_json_round_trip_and_plain_text() -> None:
    note = miles_note()
    data = json.loads(json.dumps(note.to_json()))
    assert data["issue"][0] == {
        "text": "My card got declined at the fuel station, second time this week.",
        "at": "2026-11-22T10:02:00+00:00",
    }
    assert HandoverNote.from_json(data) == note
    text = render_text(note)
    assert text.splitlines()[:3] == [
        "Handover from Lena to Dave (card payments)",
        "Customer: Miles",
        "Case: Card declined at Fuel & Go",
    ]
    assert "  - “I'm stuck at the pump.” (2026-11-22 10:05 UTC)" in text
    assert "  - Call Miles back if the payment fails again (due 2026-11-22 12:02 UTC)" in text
    assert "  - Send a replacement card (due 2026-11-25 10:02 UTC, made by lena)" in text
    assert (
        "Feeling: frustrated, worsening: “Can you just remove it? I'm stuck at the pump.”" in text
    )
    assert text.endswith(
        "Dave, Miles's card got declined at the fuel station, second time this week."
    )


def test_long_and_html_lines_are_kept_as_text_and_bounded() -> None:
    turns = [
        Turn("customer", "<img src=x onerror=alert(1)> my card got declined " + "again " * 200)
    ]
    note = build_handover_note(turns, customer_name="X", sender="A", receiver=DAVE)
    assert note.issue[0].text.startswith("<img src=x onerror=alert(1)> my card got declined")
    assert len(note.issue[0].text) <= 300


def test_a_line_said_twice_is_quoted_once_and_the_issue_is_not_something_tried() -> None:
    landlord = "I sent £250 to my landlord on Monday and he says it hasn't arrived."
    reset = "I've reset your online banking password."
    turns = [
        Turn("customer", landlord, AT),
        Turn("agent", reset, AT + dt.timedelta(minutes=1), "lena"),
        Turn("customer", landlord, AT + dt.timedelta(minutes=30)),  # the next contact
        Turn("agent", reset, AT + dt.timedelta(minutes=31), "dave"),
    ]
    note = build_handover_note(turns, customer_name="Miles Okafor", sender="Dave", receiver=DAVE)
    assert note.issue == (Quote(landlord, AT),)
    assert note.tried == (reset,)
