"""The branch floor in headless Chromium: the kiosk at phone and tablet width (the app's QR
code carries its verification to the counter; wrong, expired and reused SMS codes), the
staff desk popping the card on "call next", the waiting-room screen, and a queue that
survives the server's restart."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import httpx2 as httpx
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from tests.api.branch_calls import StubSender, soho
from tests.browser.conftest import LiveServer
from tests.browser.test_desk import ago, feed, seed_miles, sign_in
from tests.factories import app_session
from tests.server_process import ServerProcess
from warmline.actions.keys import create_key
from warmline.storage import schema as t
from warmline.storage.engine import make_engine

PHONE = (390, 844)
TABLET = (820, 1180)
MILES = {"identifiers": [{"kind": "email", "value": "miles@example.org"}]}


def open_branch(url: str, engine: sa.Engine) -> tuple[str, str]:
    """Soho, with dave on its staff; returns an admin key and a kiosk key."""
    _, admin = create_key(engine, role="admin", name="branch-admin")
    _, kiosk = create_key(engine, role="kiosk", name="soho-kiosk")
    # Generous: it bounds a hang on a loaded machine, it does not measure speed.
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {admin}"}, timeout=60
    ) as api:
        response = api.put("/v1/branches/soho", json=soho(staff=["dave"]))
        assert response.status_code == 201, response.text
    return admin, kiosk


def kiosk_page(browser: Browser, url: str, key: str, size: tuple[int, int]) -> Page:
    page = browser.new_context(viewport={"width": size[0], "height": size[1]}).new_page()
    page.goto(url + "/branch/soho/kiosk")
    expect(page).to_have_url(url + "/branch/sign-in")
    page.fill("#key", key)
    page.click("button[type=submit]")
    expect(page.locator(".branch-list")).to_contain_text("Soho")
    page.click("text=Kiosk")
    expect(page.locator(".step[data-step=start] h1")).to_be_visible()
    return page


def sit_at_counter(page: Page, where: str = "soho/counter-1") -> None:
    page.select_option("#sit-at", where)
    page.click(".sit-form button[type=submit]")
    counter = where.rsplit("-", 1)[1]
    expect(page.locator(".sitting")).to_contain_text(f"Soho · Counter {counter}")


def test_a_qr_check_in_carries_the_apps_verification_to_the_staff_desk(
    browser: Browser, page: Page, live_server: LiveServer
) -> None:
    seed_miles(live_server)
    feed(live_server, app_session(MILES, "app-9", started=ago(3), verified=ago(2)))
    admin, kiosk_key = open_branch(live_server.url, live_server.engine)
    with live_server.api(admin) as api:
        miles = api.get("/v1/customers", params={"identifier": "email:miles@example.org"})
        cid = miles.json()["customers"][0]["id"]
        issued = api.post(
            f"/v1/customers/{cid}/checkin-codes", json={"branch": "soho", "interaction_id": "app-9"}
        ).json()
    sign_in(page, live_server)
    sit_at_counter(page)
    screen = kiosk_page(browser, live_server.url, kiosk_key, (1280, 720))
    screen.goto(live_server.url + "/branch/soho/screen")
    expect(screen.locator(".called-where")).to_contain_text("We will call your ticket")

    kiosk = kiosk_page(browser, live_server.url, kiosk_key, PHONE)
    kiosk.click("text=Card declined")
    kiosk.click("text=Scan the code in my app")
    kiosk.fill("#code", issued["code"].lower())  # as a scanner types it, or a person
    kiosk.click(".step[data-step=code] button[type=submit]")
    expect(kiosk.locator(".ticket-number")).to_have_text("A001")
    expect(kiosk.locator(".ticket-done h1")).to_have_text("Thank you, Miles")
    expect(kiosk.locator(".ticket-done")).to_contain_text("not need to prove who you are again")
    assert "Okafor" not in kiosk.content()  # a first name, nothing more, on a shared screen

    page.reload()  # (the bar also refreshes itself every 10 seconds)
    expect(page.locator(".queued")).to_have_count(1)
    page.click(".call-next")
    card = page.locator("#card-panel .card")
    expect(card.locator(".customer-name")).to_have_text("Miles Okafor")
    expect(page.locator(".contact-item").first).to_contain_text("ticket A001")
    expect(card.locator(".visit-box")).to_contain_text("Came about Card declined")
    carried = card.locator(".items li.carried")
    expect(carried).to_contain_text("verified in the app")
    expect(carried).to_contain_text("by check-in code")
    expect(carried.locator(".tag-ok")).to_have_text("this contact")
    expect(screen.locator(".called-ticket")).to_have_text("A001")
    expect(screen.locator(".called-where")).to_contain_text("Counter 1")

    card.locator("textarea[name=summary]").fill("Fraud block lifted at the counter.")
    card.locator(".visit-finish-form button[type=submit]").click()
    expect(card.locator(".visit-done")).to_contain_text("A001 finished")


def test_the_kiosk_refuses_wrong_expired_and_reused_sms_codes(
    browser: Browser, live_server: LiveServer
) -> None:
    seed_miles(live_server)
    sender = StubSender()
    live_server.app.state.sms_sender = sender
    _, kiosk_key = open_branch(live_server.url, live_server.engine)
    kiosk = kiosk_page(browser, live_server.url, kiosk_key, TABLET)

    def ask_for_code() -> str:
        kiosk.click("text=Lost or stolen card")
        kiosk.click("text=Use my mobile number")
        kiosk.fill("#phone", "020 7946 0958")
        kiosk.click("text=Text me a code")
        expect(kiosk.locator("#phone-code")).to_be_visible()
        return sender.last_code()

    def type_code(code: str) -> None:
        kiosk.fill("#phone-code", code)
        kiosk.click(".step[data-step=otp] button[type=submit]")

    right = ask_for_code()
    type_code("000000" if right != "000000" else "111111")
    error = kiosk.locator(".kiosk-error")
    expect(error).to_contain_text("not the code we sent; 4 more tries")
    type_code(right)
    expect(kiosk.locator(".ticket-done h1")).to_have_text("Thank you, Miles")
    expect(error).to_be_hidden()
    # The same code again (the page left as it was by someone behind them): refused.
    kiosk.evaluate("document.querySelector('.step[data-step=otp]').hidden = false")
    type_code(right)
    expect(error).to_contain_text("used already")

    kiosk.click(".restart")
    right = ask_for_code()
    with live_server.engine.begin() as conn:  # ten minutes pass
        conn.execute(t.phone_codes.update().values(expires_at=dt.datetime.now(dt.UTC)))
    type_code(right)
    expect(error).to_contain_text("has expired")
    expect(error).to_contain_text("ask for a new code")
    with live_server.engine.connect() as conn:
        tickets = conn.execute(sa.select(t.visits.c.ticket)).scalars().all()
    assert tickets == ["A001"]


def test_a_restart_keeps_the_queue_and_the_desk_calls_on(
    browser: Browser, page: Page, tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "branch.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    _, dave = create_key(engine, role="agent", name="dave")
    server = ServerProcess(url, tmp_path / "server.log")
    server.start()
    try:
        _, kiosk_key = open_branch(server.url, engine)
        for n, reason in enumerate(("Paying in", "Card declined")):
            server.check_in_by_phone(
                kiosk_key, f"07911 1200{n:02d}", service="everyday", reason=reason
            )
        sign_in(page, server, dave)
        sit_at_counter(page)
        queue = page.locator(".queued")
        expect(queue).to_have_count(2)
        expect(queue.first).to_contain_text("A001")
        expect(queue.first).to_contain_text("Paying in")
        server.restart()
        page.reload()
        expect(queue).to_have_count(2)
        expect(queue.nth(0)).to_contain_text("A001")
        expect(queue.nth(1)).to_contain_text("A002")
        expect(page.locator("#live")).to_have_class("live on", timeout=10000)
        page.click(".call-next")
        expect(page.locator("#card-panel .card h2")).to_have_text("A guest at the branch")
        expect(page.locator("#card-panel .visit-box")).to_contain_text("ticket A001")
        expect(queue).to_have_count(1)
    finally:
        server.stop()
        engine.dispose()


def test_the_counter_links_a_guest_records_a_no_show_and_loses_a_race_politely(
    browser: Browser, page: Page, live_server: LiveServer
) -> None:
    seed_miles(live_server)
    sender = StubSender()
    live_server.app.state.sms_sender = sender
    _, erin_key = create_key(live_server.engine, role="agent", name="erin")
    admin, kiosk_key = open_branch(live_server.url, live_server.engine)
    with live_server.api(admin) as api:
        staffed = api.put("/v1/branches/soho", json=soho(staff=["dave", "erin"]))
        assert staffed.status_code == 200, staffed.text
    kiosk = kiosk_page(browser, live_server.url, kiosk_key, TABLET)
    for number in ("07911 123401", "07911 123402", "07911 123403"):  # nobody holds these
        kiosk.click("text=Paying in")
        kiosk.click("text=Use my mobile number")
        kiosk.fill("#phone", number)
        kiosk.click("text=Text me a code")
        expect(kiosk.locator("#phone-code")).to_be_visible()
        kiosk.fill("#phone-code", sender.last_code())
        kiosk.click(".step[data-step=otp] button[type=submit]")
        expect(kiosk.locator(".ticket-done h1")).to_have_text("You are checked in")
        expect(kiosk.locator(".guest-note")).to_contain_text("link this visit to your account")
        kiosk.click(".restart-now")

    sign_in(page, live_server)
    sit_at_counter(page)
    page.click(".call-next")
    card = page.locator("#card-panel .card")
    expect(card.locator("h2")).to_have_text("A guest at the branch")
    card.locator(".link-visit-form input[name=identifier]").fill("nobody@example.org")
    card.locator(".link-visit-form button[type=submit]").click()
    expect(card.locator(".link-visit-form .error")).to_contain_text("no customer holds that")
    card.locator(".link-visit-form input[name=identifier]").fill("miles@example.org")
    card.locator(".link-visit-form button[type=submit]").click()
    expect(card.locator(".visit-done")).to_contain_text("A001 linked to Miles Okafor")

    page.click(".call-next")
    expect(page.locator("#card-panel .visit-box")).to_contain_text("ticket A002")
    page.locator("#card-panel .visit-no-show").click()
    expect(page.locator("#card-panel .visit-done")).to_contain_text("A002 recorded as a no-show")

    # Erin, at the next counter, calls A002 (taken) and A003 while dave calls it too.
    erin = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(erin, live_server, erin_key)
    sit_at_counter(erin, "soho/counter-2")
    erin.fill(".call-ticket-form input[name=ticket]", "a2")
    erin.click(".call-ticket-form button[type=submit]")
    expect(erin.locator(".branch-error")).to_contain_text("A002 is no longer waiting")
    page.click(".call-next")
    expect(page.locator("#card-panel .visit-box")).to_contain_text("ticket A003")
    erin.fill(".call-ticket-form input[name=ticket]", "A003")
    erin.click(".call-ticket-form button[type=submit]")
    expect(erin.locator(".branch-error")).to_contain_text("A003 was called by dave at Counter 1")
    expect(erin.locator("#card-panel .visit-box")).to_have_count(0)
