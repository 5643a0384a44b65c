"""The branch's pure rules: setup problems with the fix, codes that cannot be forged or
misread, tickets, the order of calls, estimated waits, a visit in words."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from warmline.domain.branch import appointments as booking
from warmline.domain.branch import checkin_code as codes
from warmline.domain.branch import phone_code
from warmline.domain.branch.setup import Service, ServicePoint, SetupError, parse_setup
from warmline.domain.branch.tickets import (
    call_order,
    first_name,
    normalise_ticket,
    visit_words,
)
from warmline.domain.branch.waits import Served, estimate_wait, typical_service, wait_words

NOW = dt.datetime(2026, 12, 10, 10, 0, tzinfo=dt.UTC)
LONDON = zoneinfo.ZoneInfo("Europe/London")
GOOD = """
branches:
  - code: soho
    name: Soho
    services:
      - {code: everyday, name: Everyday banking, letter: A, reasons: [Card declined]}
    service_points:
      - {code: counter-1, name: Counter 1, services: [everyday]}
    staff: [dave]
"""


def test_a_good_file_gives_its_branches() -> None:
    [branch] = parse_setup(GOOD)
    assert branch.code == "soho" and branch.timezone == "Europe/London"
    assert branch.service("everyday") == Service(
        "everyday", "Everyday banking", "A", 10, ("Card declined",)
    )
    assert branch.point("counter-1") == ServicePoint("counter-1", "Counter 1", ("everyday",))
    assert branch.staff == ("dave",)


def test_every_problem_says_where_it_is_and_the_fix() -> None:
    with pytest.raises(SetupError) as raised:
        parse_setup(GOOD.replace("letter: A", "letter: AA").replace("[everyday]}", "[loans]}"))
    where = dict(raised.value.problems)
    assert "one capital letter" in where["branches[0].services[0].letter"]
    assert "not one of this branch's services" in where["branches[0].service_points[0].services[0]"]
    assert "would wait forever" in where["branches[0].services[0]"]
    with pytest.raises(SetupError) as raised:
        parse_setup("branches:\n  - code: soho\n   name: bad indent")
    assert raised.value.problems[0][0] == "line 3"
    with pytest.raises(SetupError) as raised:
        parse_setup(GOOD + GOOD.replace("branches:", ""))
    assert "appears twice" in dict(raised.value.problems)["branches[1].code"]
    with pytest.raises(SetupError):
        parse_setup("just text")


def test_a_code_round_trips_and_any_changed_character_breaks_it() -> None:
    key, code_id = b"k" * 32, b"\x01\x02\x03\x04\x05"
    fields = {"customer_id": "cus_1", "branch": "soho", "expires_at": NOW}
    text = codes.format_code(code_id, codes.signature(key, code_id, **fields))
    assert len(text) == 19 and text.count("-") == 3
    parsed = codes.parse_code(text.lower().replace("-", " "))
    assert parsed is not None and parsed[0] == code_id
    assert codes.verifies(key, *parsed, **fields)
    assert not codes.verifies(b"x" * 32, *parsed, **fields)
    for other in (
        {"branch": "leeds"},
        {"customer_id": "cus_2"},
        {"expires_at": NOW + dt.timedelta(seconds=1)},
    ):
        assert not codes.verifies(key, *parsed, **{**fields, **other})
    for n in range(16):
        flipped = list(text.replace("-", ""))
        flipped[n] = "0" if flipped[n] != "0" else "1"
        changed = codes.parse_code("".join(flipped))
        assert changed is not None and changed != parsed
    assert codes.parse_code("I0L0" * 4) == codes.parse_code("1010" * 4)
    assert codes.parse_code("too short") is None and codes.parse_code("!" * 16) is None


def test_references_and_tickets_read_as_people_type_them() -> None:
    ref = booking.new_ref()
    assert booking.normalise_ref(ref.lower().replace("-", " ")) == ref
    assert booking.normalise_ref("<script>") is None
    assert normalise_ticket("a12") == "A012" and normalise_ticket("B-007") == "B007"
    assert normalise_ticket("A0") is None and normalise_ticket("12") is None


def test_an_appointment_is_for_today_and_not_too_early() -> None:
    assert booking.day_problem(NOW + dt.timedelta(minutes=30), NOW, LONDON) is None
    tomorrow = booking.day_problem(NOW + dt.timedelta(days=1), NOW, LONDON)
    assert tomorrow == "that appointment is on Friday 11 December at 10:00"
    early = booking.day_problem(NOW + dt.timedelta(hours=3), NOW, LONDON)
    assert early == "that appointment is at 13:00; check in from 11:00"


def test_phone_codes_are_six_digits_kept_only_as_a_salted_hash() -> None:
    code, salt = phone_code.new_phone_code(), phone_code.new_salt()
    digest = phone_code.code_hash(code, salt)
    assert len(code) == 6 and code not in digest
    assert phone_code.matches(code, salt, digest)
    assert not phone_code.matches(code, phone_code.new_salt(), digest)
    assert phone_code.normalise_phone_code("123 456") == "123456"
    assert phone_code.normalise_phone_code("12345") is None
    assert phone_code.phone_key(b"a", "+44") != phone_code.phone_key(b"b", "+44")


def test_appointments_whose_time_has_come_go_first() -> None:
    def ticket(n: int, minutes: float, appointment: float | None = None) -> dict[str, object]:
        at = NOW + dt.timedelta(minutes=appointment) if appointment is not None else None
        return {
            "id": f"v{n}",
            "checked_in_at": NOW + dt.timedelta(minutes=minutes),
            "appointment_at": at,
        }

    waiting = [ticket(1, 0), ticket(2, 1, appointment=30), ticket(3, 2, appointment=-5)]
    assert [w["id"] for w in call_order(waiting, NOW)] == ["v3", "v1", "v2"]


def test_waits_come_from_each_points_recent_service_times_at_that_hour() -> None:
    everyday = Service("everyday", "Everyday", "A", minutes=10)
    points = (
        ServicePoint("c1", "Counter 1", ("everyday",)),
        ServicePoint("c2", "Counter 2", ("everyday",)),
    )
    served = [
        Served("c1", NOW - dt.timedelta(days=d), NOW - dt.timedelta(days=d, minutes=-4))
        for d in range(1, 8)
    ]
    typical = typical_service(served, LONDON)
    assert typical[("c1", 10)] == 240.0 and ("c2", 10) not in typical
    # Only c1 staffed: 4-minute visits, two ahead -> 2.5 visits' time.
    alone = estimate_wait(
        ahead=2, service=everyday, points=points, staffed={"c1"}, typical=typical, hour=10
    )
    assert alone == dt.timedelta(minutes=10)
    # Both open: c2 has no history, so its configured 10 minutes count.
    both = estimate_wait(
        ahead=2, service=everyday, points=points, staffed={"c1", "c2"}, typical=typical, hour=10
    )
    assert both < alone
    assert wait_words(dt.timedelta(seconds=30)) == "you are next"
    assert wait_words(dt.timedelta(minutes=17)) == "about 20 minutes"
    # Silly durations (a ticket called by mistake) do not count.
    noise = [Served("c2", NOW, NOW + dt.timedelta(seconds=5))] * 10
    assert ("c2", 10) not in typical_service(noise, LONDON)


def test_the_kiosk_says_a_first_name_and_a_visit_reads_as_a_line() -> None:
    assert first_name("Miles Okafor", None) == "Miles"
    assert first_name("Miles Okafor", "Mo") == "Mo"
    assert first_name(None, None) is None
    visit = {
        "ticket": "A012",
        "branch": "soho",
        "branch_name": "Soho",
        "checked_in_at": NOW - dt.timedelta(minutes=20),
        "called_at": NOW - dt.timedelta(minutes=8),
        "ended_at": NOW,
        "called_by": "dave",
        "point_name": "Counter 1",
        "status": "done",
    }
    assert visit_words(visit, NOW) == (
        "ticket A012 at Soho, waited 12 minutes, served by dave at Counter 1 for 8 minutes"
    )
