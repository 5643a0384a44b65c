"""`warmline simulate` plays contacts through the public API; the desk pops them live."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_desk import seed_miles, sign_in
from warmline.demo.simulator import Api, pick_callers, simulate


def test_simulated_contacts_pop_on_the_desk(page: Page, live_server: LiveServer) -> None:
    import random

    seed_miles(live_server)
    sign_in(page, live_server)
    callers = pick_callers(live_server.engine, 3, random.Random(1))  # type: ignore[arg-type]
    assert callers, "the memory has Miles's verified phone and email"
    lines: list[str] = []
    played = simulate(
        Api(live_server.url, live_server.integrator_key),
        agent="dave",
        callers=callers,
        contacts=3,
        interval=0,
        say=lines.append,
        sleep=lambda _: None,
    )
    assert played == 3 and len(lines) == 3
    expect(page.locator(".contact-item")).to_have_count(3)
    expect(page.locator(".contact-item").first).to_contain_text("Miles Okafor")
