"""Possible duplicates in Chromium: the agent asks "is this also you?" from the card, the
supervisor reviews the pair side by side and merges them."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_desk import feed, sign_in
from tests.factories import customer, make_event
from warmline.actions.keys import create_key

PHONE = "+44 20 7946 0111"


def seed_pair(server: LiveServer) -> None:
    """Two records sharing a phone, names alike, postcodes not: a suggestion, no merge."""
    feed(
        server,
        [
            make_event(
                "customer.identified",
                customer=customer(("phone", PHONE), name="Robert Stone", postcode="M1 1AE"),
            ),
            make_event(
                "customer.identified",
                customer=customer(
                    ("phone", PHONE),
                    ("email", "bob@stone.example"),
                    name="Robert Stne",
                    postcode="LS1 4AP",
                ),
            ),
        ],
    )


def test_agent_asks_and_supervisor_merges(page: Page, live_server: LiveServer) -> None:
    seed_pair(live_server)
    sign_in(page, live_server)
    expect(page.locator(".nav", has_text="Possible duplicates")).to_have_count(0)  # agents
    page.fill("#search", "bob@stone.example")
    page.press("#search", "Enter")
    page.click("#search-results .open-customer")
    item = page.locator(".duplicates .suggestion")
    expect(item).to_contain_text("Robert Stone")
    item.locator("button", has_text="They say yes").click()
    expect(item.locator(".tag")).to_have_text("customer said yes")
    expect(item).to_contain_text("a supervisor decides the merge")

    _, supervisor = create_key(live_server.engine, role="supervisor", name="sue")  # type: ignore[arg-type]
    page.context.clear_cookies()
    sign_in(page, live_server, supervisor)
    page.get_by_role("link", name="Possible duplicates").click()
    expect(page).to_have_url(live_server.url + "/desk/identity")
    review = page.locator(".review-item")
    expect(review).to_have_count(1)
    expect(review.locator(".tag")).to_have_text("customer said yes")
    expect(review.locator(".side-name")).to_have_count(2)
    expect(review.locator(".evidence")).to_contain_text("phone")
    # Sensitive values stay masked for supervisors.
    expect(review.locator(".side").first).not_to_contain_text("bob@stone.example")
    review.locator("button", has_text="Same person: merge").click()
    expect(page.locator(".decided")).to_contain_text("Merged.")

    with live_server.api(supervisor) as api:
        found = api.get("/v1/customers", params={"q": "stone"}).json()["customers"]
        assert len(found) == 1
        queue = api.get("/v1/merge-suggestions").json()["suggestions"]
        assert queue == []


def test_agents_cannot_open_the_review_page(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server)
    response = page.request.get(live_server.url + "/desk/identity")
    assert response.status == 403
    forged = page.request.post(
        live_server.url + "/desk/suggestions/sug_x/answer", form={"answer": "yes"}
    )
    assert forged.status == 400 and forged.json()["code"] == "not_from_the_desk"
