"""The supervisors' pages in Chromium: the metrics charts render with data, filters change
them, every table's CSV is the API's answer; the at-risk queue shows customers' words as
text and records outreach."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_desk import feed, sign_in
from tests.factories import customer, make_event
from warmline.actions.keys import create_key

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def ago(days: float) -> str:
    return (NOW - dt.timedelta(days=days)).isoformat()


def contacts() -> list[dict[str, Any]]:
    """Ten contacts over the last fortnight: cards by chat and phone, loans by email."""
    events: list[dict[str, Any]] = []
    plan = [
        ("chat", "cards", "card_declined"),
        ("voice", "cards", "card_declined"),
        ("email", "lending", "loan_enquiry"),
    ]
    for n in range(10):
        channel, queue, reason = plan[n % 3]
        who = customer(("email", f"p{n % 4}@example.org", True), name=f"Person {n % 4}")
        iid = f"c-{n}"
        events += [
            make_event(
                "interaction.started",
                customer=who,
                interaction_id=iid,
                channel=channel,
                queue=queue,
                agent_id="dave",
                time=ago(14 - n),
            ),
            make_event(
                "interaction.ended",
                interaction_id=iid,
                outcome="resolved" if n % 2 else "unresolved",
                reason=reason,
                time=ago(14 - n - 0.01),
            ),
        ]
    return events


def supervisor(page: Page, server: LiveServer) -> str:
    _, key = create_key(server.engine, role="supervisor", name="sue")
    sign_in(page, server, key)
    return key


def csp_violations(page: Page) -> list[str]:
    seen: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            seen.append(message.text)

    page.on("console", watch)
    return seen


def test_charts_render_filters_change_them_and_the_csv_is_the_apis(
    page: Page, live_server: LiveServer
) -> None:
    feed(live_server, contacts())
    key = supervisor(page, live_server)
    violations = csp_violations(page)
    page.goto(live_server.url + "/desk/metrics?measure=contacts")
    expect(page.locator("h1")).to_have_text("Contacts")
    trend = page.locator("#trend-chart")
    expect(trend).to_be_visible()
    values = page.evaluate("document.getElementById('trend-chart').chart.data.datasets[0].data")
    assert sum(v for v in values if v) == 10
    assert page.evaluate("document.getElementById('trend-chart').width") > 0
    bars = page.evaluate(
        "JSON.stringify(Array.from(document.querySelectorAll('canvas.breakdown-chart'))"
        ".map(c => [c.dataset.by, c.chart.data.labels]))"
    )
    by = dict(json.loads(bars))
    assert set(by["channel"]) == {"chat", "voice", "email"} and set(by["team"]) == {
        "cards",
        "lending",
    }
    # A filter changes the figures (the page reloads with it).
    page.select_option("#f-team", "lending")
    expect(page).to_have_url(re.compile(r"team=lending"))
    values = page.evaluate("document.getElementById('trend-chart').chart.data.datasets[0].data")
    assert sum(v for v in values if v) == 3
    assert page.locator("canvas.breakdown-chart[data-by=team]").count() == 0
    # Every table's CSV is the API's answer to the same question.
    link = page.locator("#by-channel a.csv")
    href = link.get_attribute("href")
    assert href is not None
    text = page.request.get(live_server.url + href).text()
    rows = list(csv.DictReader(io.StringIO(text)))
    query = dict(p.split("=", 1) for p in href.split("?", 1)[1].split("&"))
    with live_server.api(key) as api:
        body = api.get("/v1/metrics", params=query).json()
        api_csv = api.get("/v1/metrics", params={**query, "format": "csv"}).text
    assert text == api_csv
    totals = {r["channel"]: float(r["value"]) for r in rows if r["bucket"] == "total"}
    assert totals == {s["group"]: s["total"]["value"] for s in body["series"]} == {"email": 3.0}
    assert violations == []


def test_the_queue_shows_last_words_as_text_and_records_outreach(
    page: Page, live_server: LiveServer
) -> None:
    zoe = customer(
        ("email", "zoe@example.org", True), name="Zoë <img src=x onerror=window.__xss=1>"
    )
    feed(
        live_server,
        [
            make_event(
                "interaction.started",
                customer=zoe,
                interaction_id="z-1",
                channel="chat",
                agent_id="amir",
                time=ago(2),
            ),
            make_event(
                "message.posted",
                interaction_id="z-1",
                speaker="customer",
                text="<script>window.__xss=2</script> This is unacceptable, I am closing it",
                time=ago(1.9),
            ),
            make_event(
                "commitment.made",
                customer=zoe,
                commitment_id="z-c",
                text="Call back",
                due_at=ago(1),
                made_by="sofia",
                time=ago(2),
            ),
            make_event(
                "activity", customer=zoe, name="web.cancellation_page_viewed", time=ago(0.5)
            ),
        ],
    )
    supervisor(page, live_server)
    page.goto(live_server.url + "/desk/at-risk")
    item = page.locator(".risk-item").first
    expect(item.locator(".risk-name")).to_contain_text("<img src=x")
    expect(item.locator(".last-words")).to_contain_text("<script>window.__xss=2</script>")
    expect(item.locator(".owner")).to_have_text("sofia")
    for sign in ("broken promise", "warning activity", "complaint language"):
        expect(item.locator(".signals")).to_contain_text(sign)
    assert page.evaluate("window.__xss") is None
    # The name opens the card, which says the customer is at risk and why.
    item.locator("a.risk-name").click()
    expect(page).to_have_url(re.compile(r"/desk/card/"))
    risk = page.locator("p.risk")
    expect(risk).to_contain_text("At risk")
    expect(risk).to_contain_text("promise")
    page.go_back()
    item = page.locator(".risk-item").first
    item.locator("input[name=note]").fill("Called, apologised, refund chased")
    item.locator("button", has_text="Outreach done").click()
    expect(item.locator(".outreach-done")).to_contain_text("Outreach recorded")
    page.reload()
    expect(page.locator(".empty-queue")).to_be_visible()


def test_promises_show_the_worst_misses_linked_to_the_card_and_the_csv_is_the_apis(
    page: Page, live_server: LiveServer
) -> None:
    who = customer(("email", "late@example.org", True), name="Lena Late")
    feed(
        live_server,
        [
            make_event(
                "interaction.started",
                customer=who,
                interaction_id="mail-late",
                channel="email",
                time=ago(6),
            ),
            make_event(
                "message.posted",
                interaction_id="mail-late",
                speaker="customer",
                text="Where is my replacement card?",
                time=ago(6),
            ),
        ],
    )
    key = supervisor(page, live_server)
    violations = csp_violations(page)
    page.goto(live_server.url + "/desk/promises")
    block = page.locator("section.promise", has_text="Email answered within 4 business hours")
    expect(block).to_contain_text("1 missed")
    miss = block.locator(".misses a", has_text="Lena Late")
    expect(miss).to_be_visible()
    href = page.locator("a.csv").get_attribute("href")
    assert href is not None
    text = page.request.get(live_server.url + href).text()
    query = dict(p.split("=", 1) for p in href.split("?", 1)[1].split("&"))
    with live_server.api(key) as api:
        assert text == api.get("/v1/promises", params={**query, "format": "csv"}).text
    assert "Email answered within 4 business hours,total,0.0,0,1,0" in text
    miss.click()
    expect(page).to_have_url(re.compile(r"/desk/card/"))
    assert violations == []
