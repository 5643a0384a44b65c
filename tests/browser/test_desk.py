"""The agent desk in headless Chromium: sign in, live pops, continuity, timeline, safety."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx2 as httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.factories import customer, make_event, miles_story
from warmline.actions.keys import authenticate, revoke_key

MILES = customer(("email", "miles@example.org", True), ("phone", "+44 20 7946 0958", True))


def now() -> dt.datetime:
    # Read when a test seeds its story, not when the module is imported: the desk says
    # "4 minutes ago", and a slow run of the tests before must not make it 5.
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def ago(minutes: float) -> str:
    return (now() - dt.timedelta(minutes=minutes)).isoformat()


def feed(server: LiveServer, events: list[dict[str, Any]]) -> None:
    with server.api(server.integrator_key) as api:
        response = api.post("/v1/events", json=events)
        assert response.status_code == 200, response.text


def call(
    server: LiveServer, channel: str = "voice", phone: str = "+442079460958"
) -> dict[str, Any]:
    with server.api(server.integrator_key) as api:
        response = api.post(
            "/v1/contacts",
            json={
                "channel": channel,
                "agent_id": "dave",
                "customer": {"identifiers": [{"kind": "phone", "value": phone}]},
            },
        )
        assert response.status_code == 201, response.text
        return dict(response.json())


def seed_miles(server: LiveServer, **story: str) -> None:
    feed(server, miles_story(now(), **story))


def sign_in(page: Page, server: LiveServer, key: str | None = None) -> None:
    page.goto(server.url + "/desk")
    expect(page).to_have_url(server.url + "/desk/sign-in")
    page.fill("#key", key or server.agent_key)
    page.click("button[type=submit]")
    expect(page).to_have_url(server.url + "/desk")
    expect(page.locator("#live")).to_have_class("live on", timeout=5000)


def test_sign_in_rejects_a_bad_key_and_accepts_a_good_one(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/desk/sign-in")
    page.fill("#key", "wl_wrong")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("unknown, revoked or expired")
    sign_in(page, live_server)
    expect(page.locator(".agent")).to_have_text("dave")


def test_a_contact_pops_live_with_continuity(page: Page, live_server: LiveServer) -> None:
    seed_miles(live_server)
    sign_in(page, live_server)
    call(live_server)  # no reload: the stream brings it
    expect(page.locator(".contact-item").first).to_contain_text("Miles Okafor")
    card = page.locator("#card-panel .card")
    expect(card.locator(".customer-name")).to_have_text("Miles Okafor")
    expect(card.locator(".continuity-text")).to_contain_text(
        "Miles was in chat 12 minutes ago about card declined"
    )
    expect(card.locator(".continuity .msg-customer")).to_contain_text(
        "declined at the fuel station"
    )
    expect(card).to_contain_text("customer for 10 years")
    page.click(".continuity .open-conversation")
    expect(page.locator("#conversation-panel .msg")).to_have_count(2)


def test_an_unknown_caller_gets_an_honest_card(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server)
    call(live_server, phone="+44 20 7946 0999")
    expect(page.locator(".contact-item").first).to_contain_text("Not recognised")
    expect(page.locator("#card-panel")).to_contain_text("Fastest way to identify them")


def test_the_timeline_pages(page: Page, live_server: LiveServer) -> None:
    seed_miles(live_server)
    feed(
        live_server,
        [
            make_event(
                "interaction.started",
                customer=MILES,
                interaction_id=f"old-{n}",
                channel=("email", "app", "branch")[n % 3],
                time=ago(60 * 24 * (n + 1)),
            )
            for n in range(60)
        ],
    )
    sign_in(page, live_server)
    page.fill("#search", "miles")
    page.press("#search", "Enter")
    page.click("#search-results .open-customer")
    page.click(".open-timeline")
    rows = page.locator(".timeline .tl")
    expect(rows).to_have_count(25)
    page.click(".load-more")
    expect(rows).to_have_count(50)
    page.click(".load-more")
    expect(rows).to_have_count(64)  # 60 old interactions, the chat, the case, promise, activity
    expect(page.locator(".end-of-timeline")).to_be_visible()


def test_xss_in_customer_text_renders_as_text(page: Page, live_server: LiveServer) -> None:
    payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    seed_miles(live_server, name=f"Miles {payload}", chat_text=f"hello {payload}")
    sign_in(page, live_server)
    call(live_server)
    card = page.locator("#card-panel .card")
    expect(card.locator(".customer-name")).to_have_text(f"Miles {payload}")
    expect(card.locator(".continuity .msg-customer .text")).to_have_text(f"hello {payload}")
    page.click(".continuity .open-conversation")
    expect(page.locator("#conversation-panel .msg-customer .text")).to_have_text(f"hello {payload}")
    assert page.evaluate("window.__xss") is None
    assert page.locator("#card-panel img").count() == 0


def test_a_revoked_key_signs_the_desk_out(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server)
    revoke_key(live_server.engine, _key_id(live_server))
    expect(page).to_have_url(live_server.url + "/desk/sign-in", timeout=8000)


def _key_id(server: LiveServer) -> str:
    import sqlalchemy as sa

    from warmline.storage import schema as t

    with server.engine.connect() as conn:
        return str(
            conn.execute(sa.select(t.api_keys.c.id).where(t.api_keys.c.name == "dave")).scalar_one()
        )


def test_no_card_is_lost_while_the_desk_is_away(page: Page, live_server: LiveServer) -> None:
    seed_miles(live_server)
    sign_in(page, live_server)
    page.goto("about:blank")  # the stream is gone
    call(live_server)
    call(live_server, phone="+44 20 7946 0999")
    page.goto(live_server.url + "/desk")
    expect(page.locator(".contact-item")).to_have_count(2)
    call(live_server)
    expect(page.locator(".contact-item")).to_have_count(3)


def test_a_reconnecting_stream_replays_what_it_missed(page: Page, live_server: LiveServer) -> None:
    """EventSource sends Last-Event-ID when it reconnects; the stream resumes after it."""
    seed_miles(live_server)
    sign_in(page, live_server)
    cookie = next(c for c in page.context.cookies() if c["name"] == "wl_desk")
    page.goto("about:blank")
    first, second, third = call(live_server), call(live_server), call(live_server)
    assert first["contact_id"] != second["contact_id"] != third["contact_id"]
    headers = {
        "Cookie": f"wl_desk={cookie['value']}",
        "Last-Event-ID": "1",
        "Accept": "text/event-stream",
    }
    ids: list[str] = []
    with (
        httpx.Client(base_url=live_server.url, timeout=5) as client,
        client.stream("GET", "/desk/stream", headers=headers) as response,
    ):
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("id: "):
                ids.append(line[4:])
            if len(ids) == 2:
                break
    assert ids == ["2", "3"]


def test_a_contact_just_pushed_brings_its_card_read_and_audited_for_the_desk(
    page: Page, live_server: LiveServer
) -> None:
    """The desk opens a new contact's card from the stream itself (no second request): the
    read is audited for the desk's holder. A push replayed long after brings no card (the
    agent opens it, audited then), and a desk signed out reads none."""
    import sqlalchemy as sa

    from warmline.storage import schema as t
    from warmline.web.desk import _pushed_card

    seed_miles(live_server)
    sign_in(page, live_server)
    token = next(c for c in page.context.cookies() if c["name"] == "wl_desk")["value"]
    page.goto("about:blank")
    call(live_server)
    call(live_server)
    p, audit = t.desk_pushes, t.audit_log
    with live_server.engine.begin() as conn:
        last = conn.execute(sa.select(sa.func.max(p.c.id))).scalar_one()
        conn.execute(
            p.update().values(at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
            .where(p.c.id < last)
        )  # fmt: skip
        read_before = conn.execute(
            sa.select(sa.func.count()).where(audit.c.action == "card.viewed")
        ).scalar_one()
    frames: dict[int, dict[str, Any]] = {}
    headers = {"Cookie": f"wl_desk={token}", "Accept": "text/event-stream"}
    with (
        httpx.Client(base_url=live_server.url, timeout=10) as client,
        client.stream("GET", "/desk/stream?after=0", headers=headers) as response,
    ):
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: ") and "push_id" in line:
                data = json.loads(line[6:])
                frames[data["push_id"]] = data
            if len(frames) == 2:
                break
    old, fresh = sorted(frames)
    assert "card" not in frames[old]
    assert "Miles Okafor" in frames[fresh]["card"] and 'class="card' in frames[fresh]["card"]
    with live_server.engine.connect() as conn:
        reads = conn.execute(
            sa.select(audit.c.actor, audit.c.customer_id)
            .where(audit.c.action == "card.viewed")
            .order_by(audit.c.id)
        ).all()
        push = dict(conn.execute(sa.select(p).where(p.c.id == fresh)).mappings().one())
    assert len(reads) == read_before + 1
    dave = authenticate(live_server.engine, live_server.agent_key)
    assert dave is not None and reads[-1] == (dave.key_id, push["customer_id"])
    # Signed out, the stream's next push brings no card (and reads nothing).
    page.goto(live_server.url + "/desk")
    page.click("text=Sign out")
    assert _pushed_card(live_server.engine, live_server.app.state.settings, token, push) is None


def test_usable_in_a_narrow_panel(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 380, "height": 760})
    page = context.new_page()
    try:
        seed_miles(live_server)
        sign_in(page, live_server)
        call(live_server)
        expect(page.locator("#card-panel .customer-name")).to_be_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
    finally:
        context.close()


XSS_CORPUS = [
    "<script>window.__xss='script'</script>",
    "<img src=x onerror=\"window.__xss='img'\">",
    "<svg onload=window.__xss='svg'>",
    '"><iframe src="javascript:window.top.__xss=\'iframe\'">',
    "<a href=\"javascript:window.__xss='href'\">click</a>",
    "{{7*7}} ${7*7} <% 7*7 %>",
    "</textarea><details open ontoggle=window.__xss='details'>",
    "\u202e<b>rtl</b>\x07\x1b[31m",
]


def test_an_xss_corpus_never_executes(page: Page, live_server: LiveServer) -> None:
    for n, payload in enumerate(XSS_CORPUS):
        feed(
            live_server,
            [
                make_event(
                    "customer.identified",
                    customer=customer(("email", f"x{n}@example.org", True), name=f"X{n} {payload}"),
                ),
                make_event(
                    "interaction.started",
                    customer=customer(("email", f"x{n}@example.org")),
                    interaction_id=f"xss-{n}",
                    channel="chat",
                    time=ago(3),
                ),
                make_event(
                    "message.posted",
                    interaction_id=f"xss-{n}",
                    speaker="customer",
                    text=payload,
                    time=ago(2),
                ),
            ],
        )
    sign_in(page, live_server)
    page.fill("#search", "x")
    for n, payload in enumerate(XSS_CORPUS):
        page.fill("#search", f"x{n}@example.org")
        page.press("#search", "Enter")
        page.click("#search-results .open-customer")
        expect(page.locator("#card-panel .customer-name")).to_have_text(f"X{n} {payload}")
        page.click("#card-panel .open-conversation")
        expect(page.locator("#conversation-panel .msg-customer .text")).to_have_text(payload)
    assert page.evaluate("window.__xss") is None
    assert page.locator("#desk script, #desk iframe, #desk svg, #desk img").count() == 0
