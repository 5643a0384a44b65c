"""Feelings on the desk in Chromium: the word, the line that shows it and how sure; no
confident word from weak evidence; a mood that agrees with how the contact ended."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_desk import ago, call, feed, seed_miles, sign_in
from tests.factories import make_event

MILES = {"identifiers": [{"kind": "email", "value": "miles@example.org"}]}


def chat(interaction_id: str, start: float, lines: list[tuple[str, str]], **ended: str) -> list:
    events = [
        make_event(
            "interaction.started",
            customer=MILES,
            interaction_id=interaction_id,
            channel="chat",
            time=ago(start),
            source="chat-platform",
        )
    ]
    for n, (speaker, text) in enumerate(lines):
        events.append(
            make_event(
                "message.posted",
                interaction_id=interaction_id,
                speaker=speaker,
                text=text,
                time=ago(start - n - 1),
                source="chat-platform",
            )
        )
    if ended:
        events.append(
            make_event(
                "interaction.ended",
                interaction_id=interaction_id,
                time=ago(start - len(lines) - 1),
                source="chat-platform",
                **ended,
            )
        )
    return events


def test_the_desk_says_the_feeling_plainly_and_agrees_with_how_it_ended(
    page: Page, live_server: LiveServer
) -> None:
    seed_miles(live_server)
    feed(
        live_server,
        chat(
            "chat-pump",
            20,
            [
                ("customer", "My card was declined at the fuel station, second time this week."),
                ("agent", "I'm sorry, I can't lift the fraud block from here."),
                ("customer", "Can you just remove it? I'm stuck at the pump."),
                ("customer", "Fine, I'll call. Please make sure they know about this."),
            ],
            outcome="escalated",
            reason="fuel_pump_block",
        ),
    )
    sign_in(page, live_server)
    call(live_server)
    card = page.locator("#card-panel article.card")
    expect(card).to_be_visible(timeout=5000)
    feeling = card.locator(".mood")
    expect(feeling).to_contain_text("How they feel")
    expect(feeling.locator("strong")).to_have_text(re.compile(r"^(possibly )?frustrated"))
    expect(feeling).not_to_contain_text("pleased")
    expect(feeling).not_to_contain_text("happier")
    expect(feeling.locator(".sure")).to_have_text(re.compile(r"^\((sure|fairly sure|not sure)\)$"))
    expect(feeling.locator(".quote")).not_to_be_empty()
    # The contact in the list: its feeling, never "happier by the end", and its outcome.
    # The contact carried over says how it ended once, beside its feeling.
    carried = card.locator(".continuity-text").first.inner_text()
    assert "frustrated" in carried and carried.count("escalated") == 1, carried
    row = card.locator(".interactions li").filter(has_text="fuel pump block")
    expect(row).to_contain_text("escalated")
    expect(row).not_to_contain_text("by the end")

    row.locator(".open-conversation").click()
    messages = page.locator("#conversation-panel ol.messages li.msg-customer")
    expect(messages).to_have_count(3)
    # A question is not surprise: the pump line carries no "surprised" or "puzzled".
    pump = messages.nth(1)
    expect(pump).to_contain_text("stuck at the pump")
    expect(pump).not_to_contain_text("surprised")
    expect(pump).not_to_contain_text("puzzled")
    # Every customer line says its label, and how sure in its tooltip.
    expect(messages.locator(".polarity")).to_have_count(3)
    expect(messages.nth(0).locator(".polarity")).to_have_text(
        re.compile(r"^(negative|neutral|positive)$")
    )
    expect(messages.nth(0).locator(".polarity")).to_have_attribute(
        "title", re.compile(r"confidence 0\.\d\d")
    )
    resigned = messages.nth(2).locator(".feeling")
    expect(resigned).to_have_text(re.compile(r"^(possibly )?frustrated$"))
    expect(resigned).not_to_have_class(re.compile("feeling-ok"))
    expect(resigned).to_have_attribute("title", re.compile(r"sure"))
    expect(page.locator("#conversation-mood")).to_contain_text("ended escalated")
