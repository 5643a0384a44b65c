"""Confirm, don't ask, in Chromium: the card's moment cues and stale fields, a confirm link
made from the card, and the customer's page at a phone's width (confirmed and corrected,
then refused when used again, expired or changed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LINK_SECRET, LiveServer
from tests.browser.test_desk import ago, call, feed, sign_in
from tests.factories import customer, make_event
from warmline.actions.forms import make_form_link
from warmline.demo.world import FORMS_DIR
from warmline.domain.access.roles import LOCAL_ADMIN
from warmline.serving.profile_config import load_profile_config

PHONE = "+442079460777"
ELENA = customer(("email", "elena@example.org", True), ("phone", PHONE, True))
SHOTS = Path(__file__).parents[2] / "docs"


def seed_elena(server: LiveServer) -> None:
    feed(
        server,
        [
            make_event(
                "customer.identified",
                source="mobile-app",
                time=ago(60 * 24 * 760),
                customer={**ELENA, "traits": {"name": "Elena Marsh",
                                              "address": "14 Orchard Row, Leeds",
                                              "postcode": "LS6 2QT",
                                              "contact_preference": "app"}},
            ),
            make_event("activity", source="loans", time=ago(120), customer=ELENA,
                       name="loan.approved", summary="Car loan approved",
                       attributes={"purpose": "car"}),
            make_event("interaction.started", source="app-chat", time=ago(3), customer=ELENA,
                       interaction_id="app-chat-elena", channel="chat"),
            make_event("message.posted", source="app-chat", time=ago(2),
                       interaction_id="app-chat-elena", speaker="customer",
                       text="I moved house last week and need to change my address."),
        ],
    )  # fmt: skip


def made_link(page: Page, server: LiveServer) -> str:
    seed_elena(server)
    sign_in(page, server)
    contact = call(server, channel="voice", phone=PHONE)
    feed(
        server,
        [
            make_event("customer.authenticated", source="ivr", time=ago(0), channel="voice",
                       method="security questions", level="strong",
                       interaction_id=contact["contact_id"]),
        ],
    )  # fmt: skip
    card = page.locator("#card-panel")
    moment = card.locator(".moments .moment").first
    expect(moment).to_contain_text("Car loan approved 2 hours ago: wish them happy driving")
    expect(moment).to_contain_text("rule happy_driving")
    check = card.locator("section.form-check")
    expect(check.locator("h3")).to_contain_text("Change of address: 6 of 6 details to confirm")
    expect(check).to_contain_text("recorded 2 years ago; confirm every 365 days")
    check.locator("button", has_text="Make a confirm link").click()
    made = card.locator(".form-link-made")
    expect(made).to_contain_text("lets them change sensitive details")
    return str(made.locator("input.link-url").input_value())


def test_the_customer_confirms_and_corrects_from_a_link_made_on_the_card(
    page: Page, live_server: LiveServer, browser: Browser
) -> None:
    url = made_link(page, live_server)
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(url)
    expect(phone.locator("h1")).to_have_text("Is this still right?")
    home = phone.locator(".field", has=phone.locator("#label-address"))
    expect(home.locator(".value")).to_have_text("•• Orchard Row, Leeds")
    expect(home.locator(".where")).to_contain_text("From your app profile, 2 years ago")
    expect(phone.locator("body")).not_to_contain_text("14 Orchard Row")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    phone.screenshot(path=str(SHOTS / "confirm-page.png"), full_page=True)
    phone.get_by_label("New home address").fill("2 Canal Wharf, Leeds")
    phone.get_by_label("New postcode").fill("not a postcode")
    phone.locator("button.send").click()
    expect(phone.locator("#problem-postcode")).to_contain_text("not a UK postcode")
    expect(phone.locator("p.problem").first).to_contain_text("Nothing has been saved yet")
    expect(phone.get_by_label("New home address")).to_have_value("2 Canal Wharf, Leeds")
    phone.get_by_label("New postcode").fill("ls1 4ab")
    phone.keyboard.press("Enter")  # the keyboard alone sends it
    expect(phone.locator("h1")).to_have_text("Thank you")
    expect(phone.locator("main")).to_contain_text("Home address")
    phone.goto(url)
    expect(phone.locator("h1")).to_have_text("This link does not work")
    expect(phone.locator("main")).to_contain_text("already been used")
    phone.goto(url[:-4] + "AAAA")
    expect(phone.locator("main")).to_contain_text("has been changed or is not ours")


def test_an_expired_link_and_an_unverified_one_say_what_to_do(
    page: Page, live_server: LiveServer
) -> None:
    seed_elena(live_server)
    config = load_profile_config(str(FORMS_DIR), "", dt.datetime.now(dt.UTC).date())
    with live_server.api(live_server.agent_key) as api:
        found = api.get("/v1/customers", params={"identifier": f"phone:{PHONE}"}).json()
    cid = found["customers"][0]["id"]
    form = config.form("change_of_address")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    expired, _ = make_form_link(
        live_server.engine, LOCAL_ADMIN, cid, form, secret=LINK_SECRET, minutes=15, now=old
    )
    page.goto(f"{live_server.url}/confirm/{expired}")
    expect(page.locator("main")).to_contain_text("This link has expired: ask us for a new one")
    fresh, _ = make_form_link(
        live_server.engine, LOCAL_ADMIN, cid, form, secret=LINK_SECRET, minutes=15
    )
    page.goto(f"{live_server.url}/confirm/{fresh}")
    home = page.locator(".field", has=page.locator("#label-address"))
    expect(home.locator(".locked")).to_contain_text("we need to be sure it is you")
    assert home.locator("input").count() == 0
    page.get_by_label("New how you like us to contact you").select_option("email")
    page.locator("button.send").click()
    expect(page.locator("h1")).to_have_text("Thank you")
