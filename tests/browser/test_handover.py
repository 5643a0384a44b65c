"""Warm handover between two desks in Chromium, and a continuation code typed on the desk."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_desk import MILES, ago, feed, seed_miles, sign_in
from tests.factories import app_session, make_event
from warmline.actions.keys import create_key

HOSTILE = '<img src=x onerror="window.__xss=1">'


def call_to(server: LiveServer, agent: str) -> dict[str, Any]:
    """Miles phones; the call is routed to ``agent``; he says what is wrong."""
    with server.api(server.integrator_key) as api:
        response = api.post(
            "/v1/contacts",
            json={
                "channel": "voice",
                "agent_id": agent,
                "customer": {"identifiers": [{"kind": "phone", "value": "+442079460958"}]},
            },
        )
        assert response.status_code == 201, response.text
        contact = dict(response.json())
    now = dt.datetime.now(dt.UTC)
    lines = [
        ("customer", f"This is ridiculous, I just need fuel to get to work {HOSTILE}"),
        ("agent", "I can see a fraud block on the card from this morning."),
    ]
    feed(
        server,
        [
            make_event(
                "message.posted",
                source="pbx",
                interaction_id=contact["contact_id"],
                speaker=speaker,
                text=text,
                time=(now + dt.timedelta(seconds=n)).isoformat(),
                **({"agent_id": agent} if speaker == "agent" else {}),
            )
            for n, (speaker, text) in enumerate(lines)
        ],
    )
    return contact


def second_desk(browser: Browser, server: LiveServer, name: str) -> Page:
    _, key = create_key(server.engine, role="agent", name=name)  # type: ignore[arg-type]
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, server, key)
    return page


def test_a_handover_reaches_the_other_desk_and_the_sender_sees_it_accepted(
    page: Page, browser: Browser, live_server: LiveServer
) -> None:
    seed_miles(live_server)
    amy = second_desk(browser, live_server, "amy")
    try:
        sign_in(page, live_server)  # dave, the receiver, is at his desk
        call_to(live_server, "amy")
        amy_card = amy.locator("#card-panel .card")
        expect(amy_card.locator(".customer-name")).to_have_text("Miles Okafor")
        expect(amy_card.locator(".effort")).to_have_text(
            "second contact about this, changed channel once"
        )
        amy.select_option(".handover-form select[name=to_kind]", "agent")
        amy.fill(".handover-form input[name=to]", "dave")
        amy.fill(".handover-form textarea[name=remark]", "Patient so far; wants it fixed today.")
        amy.click(".handover-form button[type=submit]")
        sent = amy.locator(".handover-note")
        expect(sent.locator(".handover-status")).to_have_text("waiting to be accepted")

        # Dave's desk pops the handover with its note: Miles's own words, quoted.
        item = page.locator(".contact-item").first
        expect(item).to_contain_text("handover from amy")
        note = page.locator("#card-panel .handover-note")
        expect(note.locator("h3")).to_have_text("Handover from amy to dave")
        expect(note.locator(".quotes").first).to_contain_text(
            "“My card got declined at the fuel station, second time this week.”"
        )
        expect(note.locator(".introduction")).to_contain_text(
            "Miles, I'd like to introduce you to Dave."
        )
        expect(note.locator(".feeling")).to_contain_text(
            f"I just need fuel to get to work {HOSTILE}"
        )
        expect(note.locator(".remark")).to_contain_text("Patient so far; wants it fixed today.")
        note.locator(".accept-handover").click()
        expect(note.locator(".handover-status")).to_contain_text("accepted by dave")

        # Amy sees it was accepted, live, without reloading.
        expect(amy.locator("#notices .notice")).to_contain_text(
            "dave accepted your handover of Miles Okafor"
        )
        expect(sent.locator(".handover-status")).to_have_text("accepted by dave")
        assert page.evaluate("window.__xss") is None and amy.evaluate("window.__xss") is None
        assert page.locator("#card-panel img").count() == 0
    finally:
        amy.context.close()


def test_a_code_the_customer_reads_out_verifies_the_call(
    page: Page, live_server: LiveServer
) -> None:
    seed_miles(live_server)
    feed(live_server, app_session(MILES, "app-1", started=ago(3), verified=ago(2)))
    customer_id = _miles_id(live_server)
    with live_server.api(live_server.integrator_key) as api:
        issued = api.post(
            f"/v1/customers/{customer_id}/continuations", json={"interaction_id": "app-1"}
        )
        assert issued.status_code == 201, issued.text
        code = issued.json()["code"]
    sign_in(page, live_server)
    call_to(live_server, "dave")
    form = page.locator(".continuation-form")
    form.locator("input[name=code]").fill("0000 0000")
    form.locator("button[type=submit]").click()
    expect(form.locator(".error")).to_contain_text("no such continuation code")
    form.locator("input[name=code]").fill(f"{code[:4]} {code[4:]}")
    form.locator("button[type=submit]").click()
    # The story's times are relative to when the test module was imported: minutes may pass.
    expect(page.locator(".carried")).to_contain_text(
        re.compile(
            r"verified in the app \d+ minutes ago \(strong\), "
            r"carried to this contact by continuation code"
        )
    )


def _miles_id(server: LiveServer) -> str:
    import sqlalchemy as sa

    from warmline.storage import schema as t

    with server.engine.connect() as conn:  # type: ignore[attr-defined]
        return str(
            conn.execute(
                sa.select(t.customers.c.id).where(t.customers.c.name == "Miles Okafor")
            ).scalar_one()
        )
