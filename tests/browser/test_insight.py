"""Feelings on the desk in Chromium: the card says how the customer feels, and an open
conversation follows new messages live, each with what it shows."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_desk import ago, call, feed, now, seed_miles, sign_in
from tests.factories import make_event


def test_the_live_conversation_updates_with_feelings(page: Page, live_server: LiveServer) -> None:
    seed_miles(live_server)
    feed(
        live_server,
        [
            make_event(
                "interaction.started",
                customer={"identifiers": [{"kind": "email", "value": "miles@example.org"}]},
                interaction_id="chat-live",
                channel="chat",
                time=ago(2),
                source="chat-platform",
            ),
            make_event(
                "message.posted",
                interaction_id="chat-live",
                speaker="customer",
                text="Hello, my card is still blocked.",
                time=ago(1),
                source="chat-platform",
            ),
        ],
    )
    sign_in(page, live_server)
    call(live_server)
    card = page.locator("#card-panel article.card")
    expect(card).to_be_visible(timeout=5000)
    card.locator(".interactions .open-conversation").first.click()
    messages = page.locator("#conversation-panel ol.messages")
    expect(messages.locator("li")).to_have_count(1)

    feed(
        live_server,
        [
            make_event(
                "message.posted",
                interaction_id="chat-live",
                speaker="customer",
                text="This is ridiculous, I am so angry, nobody ever calls me back!",
                time=now().isoformat(),
                source="chat-platform",
            )
        ],
    )
    newest = messages.locator("li").nth(1)
    expect(newest).to_contain_text("nobody ever calls me back", timeout=5000)
    expect(newest.locator(".feeling")).to_have_text("frustrated")
    expect(newest.locator(".feeling")).not_to_have_class(re.compile("feeling-ok"))
    expect(page.locator("#conversation-mood")).to_contain_text("frustrated")
    # Customer text stays text.
    expect(newest.locator(".text")).to_have_text(
        "This is ridiculous, I am so angry, nobody ever calls me back!"
    )
    # The card now says how he feels, with his words.
    page.locator(".contact-item .contact-open").first.click()
    feeling = page.locator("#card-panel .mood")
    expect(feeling).to_contain_text("How they feel", timeout=5000)
    expect(feeling).to_contain_text("frustrated")
    expect(feeling.locator(".quote")).to_contain_text("nobody ever calls me back")
    # Why he is probably calling, in words with the facts behind it, not a percentage.
    reasons = page.locator("#card-panel .likely-reasons li")
    expect(reasons.first).to_contain_text("card declined")
    expect(reasons.first.locator(".likelihood")).to_have_text(
        re.compile(r"^(most likely|likely|possible|outside chance)$")
    )
    expect(reasons.first.locator(".evidence")).not_to_be_empty()
