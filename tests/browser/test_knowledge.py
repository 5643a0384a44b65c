"""Knowledge on the desk in Chromium: articles suggested on the card and read beside it,
feedback from the card, the search page, and the supervisors' gaps with a draft."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_desk import ago, call, feed, seed_miles, sign_in
from tests.factories import customer, make_event
from warmline.actions.keys import create_key

ARTICLES = [
    {
        "title": "A card is declined at a till",
        "body": "A **fraud check** may hold the card.\n\n<script>window.__xss = 1</script>\n\n"
        "[more](javascript:window.__xss=2)",
        "products": ["debit card"],
    },
    {
        "title": "Change of address",
        "body": "Customers who moved house update their address in the app.",
        "audience": "public",
    },
]


def publish(server: LiveServer) -> None:
    _, supervisor = create_key(server.engine, role="supervisor", name="sue")
    with server.api(supervisor) as api:
        for article in ARTICLES:
            assert api.post("/v1/articles", json=article).status_code == 201


def test_the_card_suggests_articles_to_read_and_rate(page: Page, live_server: LiveServer) -> None:
    publish(live_server)
    seed_miles(live_server)
    sign_in(page, live_server)
    call(live_server)
    suggested = page.locator("#card-panel section.articles .suggested-article")
    expect(suggested.first).to_contain_text("A card is declined at a till")
    expect(suggested.first).to_contain_text("for card declined")
    suggested.first.locator(".open-article").click()
    view = page.locator("#conversation-panel .article-view")
    expect(view.locator("strong")).to_have_text("fraud check")  # Markdown rendered
    expect(view).to_contain_text("<script>")  # raw HTML shown as text, never run
    assert page.evaluate("window.__xss") is None
    assert view.locator("a[href^='javascript']").count() == 0
    suggested.first.locator("button", has_text="Helped").click()
    expect(suggested.first.locator(".article-said")).to_contain_text("Noted: it helped")


def test_articles_follow_the_words_of_the_contact_happening_now(
    page: Page, live_server: LiveServer
) -> None:
    publish(live_server)
    seed_miles(live_server)
    sign_in(page, live_server)
    contact = call(live_server, channel="email")
    feed(
        live_server,
        [
            make_event(
                "message.posted",
                interaction_id=contact["contact_id"],
                speaker="customer",
                text="I have moved house and need to change my address",
                time=ago(0),
            )
        ],
    )
    first = page.locator("#card-panel section.articles .suggested-article").first
    expect(first).to_contain_text("Change of address")


def test_the_knowledge_page_searches_and_supervisors_see_gaps_and_draft(
    page: Page, live_server: LiveServer
) -> None:
    publish(live_server)
    events = []
    for n, text in enumerate(
        (
            "How do I get a statement for my tax return?",
            "Where can I download a yearly statement for my taxes?",
        )
    ):
        who = customer(("email", f"p{n}@example.org", True), name=f"Pat {n}")
        at = dt.datetime.now(dt.UTC) - dt.timedelta(days=n + 1)
        iid = f"chat-{n}"
        events += [
            make_event(
                "interaction.started",
                customer=who,
                interaction_id=iid,
                channel="chat",
                time=at.isoformat(),
            ),
            make_event(
                "message.posted",
                interaction_id=iid,
                speaker="customer",
                text=text,
                time=(at + dt.timedelta(seconds=5)).isoformat(),
            ),
            make_event(
                "message.posted",
                interaction_id=iid,
                speaker="agent",
                text="Statements for past years are in the app under Documents, as PDF files.",
                time=(at + dt.timedelta(seconds=20)).isoformat(),
            ),
            make_event(
                "interaction.ended",
                interaction_id=iid,
                outcome="resolved",
                time=(at + dt.timedelta(seconds=40)).isoformat(),
            ),
        ]
    feed(live_server, events)
    sign_in(page, live_server)
    page.get_by_role("link", name="Knowledge").click()
    page.fill("#article-search", "we live somewhere else now")
    page.press("#article-search", "Enter")
    expect(page.locator(".article-hit").first).to_contain_text("Change of address")
    expect(page.get_by_role("link", name="Questions without an answer")).to_have_count(0)

    _, supervisor = create_key(live_server.engine, role="supervisor", name="sam")
    page.context.clear_cookies()
    sign_in(page, live_server, supervisor)
    page.goto(live_server.url + "/desk/knowledge/gaps")
    gap = page.locator(".gap").first
    expect(gap).to_contain_text("2 questions")
    expect(gap).to_contain_text("statement")
    gap.locator(".draft-form button").first.click()
    expect(page.locator(".draft-made")).to_contain_text("not suggested to anyone")
    page.goto(live_server.url + "/desk/knowledge/gaps")
    expect(page.locator(".drafts")).to_contain_text("statement")
