"""A shift on the desk in Chromium: the contact happening now on its own card and live,
continuity that follows the latest contact, every timeline row, ended contacts that look
ended, search that ranks and tells namesakes apart, a frame that holds, and a review
queue that says why each pair is a question."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_desk import ago, call, feed, seed_miles, sign_in
from tests.factories import customer, make_event
from warmline.actions.keys import create_key
from warmline.storage import schema as t

MOVED = "I've moved house and need to update my address please."


def end(server: LiveServer, contact: dict[str, object], outcome: str = "resolved") -> None:
    feed(
        server,
        [
            make_event(
                "interaction.ended",
                interaction_id=contact["contact_id"],
                outcome=outcome,
                time=ago(0),
            )
        ],
    )


def test_the_contact_happening_now_is_live_on_its_own_card(
    page: Page, live_server: LiveServer
) -> None:
    seed_miles(live_server)
    sign_in(page, live_server)
    contact = call(live_server, channel="email")
    now = page.locator("#card-panel section.now")
    expect(now).to_contain_text("this contact, started just now")
    expect(now.locator(".no-messages")).to_be_visible()
    # An email cannot carry a code that lasts minutes: no code box; the handover is there.
    expect(page.locator(".continuation-form")).to_have_count(0)
    expect(page.locator(".handover-form")).to_have_count(1)

    feed(
        live_server,
        [
            make_event(
                "message.posted",
                interaction_id=contact["contact_id"],
                speaker="customer",
                text=MOVED,
                time=ago(0),
            )
        ],
    )
    # No reload: the words arrive on the card, and "probably about" follows them.
    expect(now.locator(".msg-customer .text")).to_have_text(MOVED)
    first_reason = page.locator(".likely-reasons li").first
    expect(first_reason).to_have_class("from-their-words")
    expect(first_reason).to_contain_text("their words in this email contact")
    reasons = [r.strip() for r in page.locator(".likely-reasons li strong").all_inner_texts()]
    assert len(reasons) == len(set(reasons))  # one reason, listed once

    end(live_server, contact)
    expect(now).to_have_class("now ended")
    expect(page.locator("#card-panel section.now")).to_contain_text("ended just now (resolved)")
    expect(page.locator(".handover-form")).to_have_count(0)  # an ended contact looks ended
    expect(page.locator("#card-panel section.now .msg-customer .text")).to_have_text(MOVED)

    # Opened again later, the contact is still what the card shows first.
    page.locator(".contact-item").first.locator(".contact-open").click()
    expect(page.locator("#card-panel .card > section").first).to_have_class("now ended")


def test_a_call_may_carry_a_code_and_continuity_follows_the_latest_contact(
    page: Page, live_server: LiveServer
) -> None:
    seed_miles(live_server)
    sign_in(page, live_server)
    first = call(live_server)
    card = page.locator("#card-panel .card")
    expect(page.locator(".continuation-form")).to_have_count(1)  # a caller can read a code
    text = card.locator(".continuity-text")
    expect(text).to_contain_text("Miles was in chat 12 minutes ago about card declined")
    expect(text).to_contain_text("ended 4 minutes ago, escalated")
    # The same chat has the same time in the list of contacts.
    chat = card.locator(".interactions li", has_text="card declined").first
    expect(chat.locator(".open-conversation")).to_have_text("12 minutes ago")

    end(live_server, first)
    second = call(live_server)
    expect(page.locator(".contact-item")).to_have_count(2)
    # A call came after the chat: the chat is history now, not what this call follows.
    expect(page.locator("#card-panel .continuity")).to_have_count(0)
    expect(page.locator("#card-panel .interactions li").first).to_contain_text("voice")
    end(live_server, second)


def test_every_timeline_row_renders_in_words(page: Page, live_server: LiveServer) -> None:
    miles = customer(("email", "miles@example.org", True), name="Miles Okafor")
    feed(
        live_server,
        [
            make_event("customer.identified", customer=miles, time=ago(600)),
            make_event(
                "interaction.started",
                customer=miles,
                interaction_id="chat-5",
                channel="chat",
                time=ago(500),
            ),
            make_event(
                "interaction.ended", interaction_id="chat-5", outcome="resolved", time=ago(490)
            ),
            make_event(
                "activity",
                customer=miles,
                name="card.declined",
                attributes={"merchant": "Fuel & Go", "amount": 61.5},
                source="core-banking",
                time=ago(400),
            ),
            make_event(
                "case.opened", customer=miles, case_id="case-5", title="Card blocked", time=ago(300)
            ),
            make_event(
                "commitment.made",
                case_id="case-5",
                commitment_id="cmt-5",
                text="Call back with the new PIN",
                due_at=ago(-60),
                time=ago(290),
            ),
            *(
                make_event(
                    "feedback.submitted",
                    customer=miles,
                    interaction_id="chat-5",
                    kind=kind,
                    score=score,
                    comment=f"{kind} comment",
                    time=ago(200 - n),
                )
                for n, (kind, score) in enumerate((("csat", 2), ("nps", 9), ("ces", 6)))
            ),
        ],
    )
    sign_in(page, live_server)
    page.fill("#search", "miles@example.org")
    page.press("#search", "Enter")
    page.click("#search-results .open-customer")
    page.click(".open-timeline")
    timeline = page.locator("#timeline-panel")
    expect(timeline.locator(".tl")).to_have_count(7)
    expect(timeline).to_be_in_viewport()  # it opens below the card and is brought into view
    feedback = timeline.locator(".tl-feedback")
    expect(feedback).to_have_count(3)
    expect(feedback.filter(has_text="CSAT")).to_contain_text("satisfaction (CSAT) 2 of 5")
    expect(feedback.filter(has_text="CSAT")).to_contain_text("“csat comment”")
    expect(feedback.filter(has_text="NPS")).to_contain_text("would recommend us (NPS) 9 of 10")
    expect(feedback.filter(has_text="CES")).to_contain_text("effort it took (CES) 6 of 7")
    activity = timeline.locator(".tl-activity")
    expect(activity).to_contain_text("card declined at Fuel & Go, £61.50")
    expect(activity).to_contain_text("from core banking")
    expect(timeline.locator(".tl-case")).to_contain_text("Card blocked")
    expect(timeline.locator(".tl-commitment")).to_contain_text("Call back with the new PIN")
    expect(timeline.locator(".tl-interaction")).to_contain_text("chat")


def test_search_ranks_namesakes_tells_them_apart_and_pages(
    page: Page, live_server: LiveServer
) -> None:
    namesakes = [
        make_event(
            "customer.identified",
            customer=customer(
                ("email", f"miles{n}@example.net"), name=f"Miles Mill{n:02d}", postcode="CF14 3AB"
            ),
            time=ago(60 * 24 * 30),
        )
        for n in range(24)
    ]
    twins = [
        make_event(
            "customer.identified",
            customer=customer(
                ("phone", phone), name="Elena Marsh", postcode=postcode, customer_since="2014-03-01"
            ),
        )
        for phone, postcode in (("+44 20 7946 0771", "SW12 5AB"), ("+44 161 496 0772", "M1 1AE"))
    ]
    feed(live_server, namesakes + twins)
    seed_miles(live_server)  # in touch minutes ago
    sign_in(page, live_server)
    page.fill("#search", "miles")
    page.press("#search", "Enter")
    results = page.locator("#search-results .result")
    expect(results).to_have_count(20)
    expect(results.first.locator(".open-customer")).to_have_text("Miles Okafor")
    expect(page.locator(".search-count")).to_contain_text("25 matches, 1–20 shown")
    page.click("#search-results .search-page")
    expect(results).to_have_count(5)
    expect(page.locator(".search-count")).to_contain_text("21–25 shown")

    page.fill("#search", "elena marsh")
    page.press("#search", "Enter")
    expect(results).to_have_count(2)
    hints = [h.strip() for h in results.locator(".tells-apart").all_inner_texts()]
    assert hints[0] != hints[1]
    assert any("postcode SW12" in h for h in hints) and any("postcode M1" in h for h in hints)
    assert all("since 2014" in h for h in hints)


def test_opening_a_customer_from_search_clears_the_last_ones_context(
    page: Page, live_server: LiveServer
) -> None:
    page.set_viewport_size({"width": 380, "height": 800})  # the panel opens below the card
    seed_miles(live_server)
    feed(
        live_server,
        [
            make_event(
                "customer.identified",
                customer=customer(("email", "ann@example.org"), name="Ann Lee"),
            )
        ],
    )
    sign_in(page, live_server)
    call(live_server)
    expect(page.locator(".contact-item.active")).to_have_count(1)
    page.click(".continuity .open-conversation")
    expect(page.locator("#conversation-panel")).to_be_in_viewport()  # brought into view
    page.fill("#search", "ann")
    page.press("#search", "Enter")
    page.click("#search-results .open-customer")
    expect(page.locator("#card-panel .customer-name")).to_have_text("Ann Lee")
    expect(page.locator("#conversation-panel")).to_be_hidden()
    expect(page.locator(".contact-item.active")).to_have_count(0)


def test_the_frame_holds_on_a_long_card_and_notices_can_be_dismissed(
    page: Page, live_server: LiveServer
) -> None:
    seed_miles(live_server)
    with live_server.engine.begin() as conn:
        conn.execute(
            t.desk_pushes.insert().values(
                agent="dave",
                kind="handover_accepted",
                customer_id=None,
                interaction_id=None,
                channel="voice",
                detail={"handover_id": "hnd_1", "accepted_by": "amy"},
                at=dt.datetime.now(dt.UTC),
            )
        )
    sign_in(page, live_server)
    notice = page.locator("#notices .notice")
    expect(notice).to_contain_text("amy accepted your handover")
    notice.locator(".dismiss-notice").click()
    expect(page.locator("#notices")).to_be_hidden()
    call(live_server)
    page.click(".open-timeline")
    page.mouse.wheel(0, 20_000)
    expect(page.locator(".topbar")).to_be_in_viewport()
    box = page.locator(".topbar").bounding_box()
    assert box is not None and box["y"] == 0  # the search and sign-out stay within reach


def test_a_narrow_panel_keeps_names_whole(page: Page, live_server: LiveServer) -> None:
    long_name = "Alexandrina Featherstonehaugh"
    feed(
        live_server,
        [
            make_event(
                "customer.identified",
                customer=customer(("phone", "+44 20 7946 0999", True), name=long_name),
            )
        ],
    )
    page.set_viewport_size({"width": 380, "height": 800})
    sign_in(page, live_server)
    call(live_server, phone="+44 20 7946 0999")
    name = page.locator(".contact-item .contact-name").first
    expect(name).to_have_text(long_name)
    clipped = name.evaluate(
        "e => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1"
    )
    assert clipped is False  # two whole lines, nothing cut


def _relatives_and_pairs(server: LiveServer, pairs: int) -> None:
    events = [
        # One name, birthday and postcode, two emails each verified by its source: perhaps
        # one person with two addresses, perhaps two; a rule holds it for a person.
        make_event(
            "customer.identified",
            customer=customer(
                ("phone", "+44 20 7946 0500"),
                ("email", email, True),
                name="Beth Okafor",
                date_of_birth="1990-05-05",
                postcode="E1 6AN",
            ),
        )
        for email in ("beth@okafor.example", "b.okafor@work.example")
    ]
    for n in range(pairs):
        phone = f"+44 20 7946 {n:04d}"
        events += [
            make_event(
                "customer.identified",
                customer=customer(("phone", phone), name=f"Robert Stone{n}", postcode="M1 1AE"),
            ),
            make_event(
                "customer.identified",
                customer=customer(
                    ("phone", phone),
                    ("email", f"rob{n}@stone.example"),
                    name=f"Robert Stne{n}",
                    postcode="LS1 4AP",
                ),
            ),
        ]
    feed(server, events)


def _page_with(page: Page, text: str) -> Locator:
    """The review item containing ``text``, paging on until it shows."""
    while True:
        found = page.locator(".review-item").filter(has_text=text)
        if found.count():
            return found
        page.click(".next-page")
        page.wait_for_load_state()


def test_the_review_queue_says_why_pages_and_masks(page: Page, live_server: LiveServer) -> None:
    _relatives_and_pairs(live_server, 32)
    with live_server.engine.connect() as conn:
        s = t.merge_suggestions
        total = conn.execute(
            sa.select(sa.func.count()).select_from(s).where(s.c.status == "open")
        ).scalar_one()
    assert total > 30
    _, supervisor = create_key(live_server.engine, role="supervisor", name="sue")
    sign_in(page, live_server, supervisor)
    page.goto(live_server.url + "/desk/identity")
    items = page.locator(".review-item")
    expect(items).to_have_count(30)
    expect(page.locator(".queue-count")).to_contain_text(f"{total} open")
    seen = set(items.evaluate_all("els => els.map(e => e.dataset.suggestionId)"))
    page.click(".next-page")
    expect(items).to_have_count(min(total - 30, 30))
    later = set(items.evaluate_all("els => els.map(e => e.dataset.suggestionId)"))
    assert not seen & later  # the next page goes on where the first ended
    page.goto(live_server.url + "/desk/identity")
    held = _page_with(page, "Beth Okafor")
    # The question leads; the score is the model's, the hold is the rule's.
    expect(held.locator(".why")).to_contain_text("conflicting verified email addresses")
    expect(held.locator(".scores")).to_contain_text("the model's score")
    expect(held.locator(".scores")).to_contain_text("held for a person by the rule above")
    expect(held).not_to_contain_text("+44 20 7946 0500")  # masked for a supervisor
    expect(held.locator(".reveal-form")).to_have_count(0)
    merge, apart = (held.locator(f"button.{c}").bounding_box() for c in ("approve", "reject"))
    assert merge is not None and apart is not None and apart["height"] == merge["height"]

    _, admin = create_key(live_server.engine, role="admin", name="ada")
    page.context.clear_cookies()
    sign_in(page, live_server, admin)
    page.goto(live_server.url + "/desk/identity")
    held = _page_with(page, "Beth Okafor")
    expect(held).not_to_contain_text("+44 20 7946 0500")  # masked for an admin too, at first
    held.locator(".reveal-form input").fill("checking a customer's complaint")
    held.locator(".reveal-form button").click()
    revealed = page.locator(".review-item").filter(has_text="Beth Okafor")
    expect(revealed).to_contain_text("+442079460500")
    expect(revealed.locator(".revealed")).to_contain_text("your reason is in the audit log")
    with live_server.engine.connect() as conn:
        reasons = [
            row.detail["reason"]
            for row in conn.execute(
                sa.select(t.audit_log.c.detail).where(t.audit_log.c.action == "suggestion.revealed")
            )
        ]
    assert reasons == ["checking a customer's complaint"] * 2  # both sides' reads
