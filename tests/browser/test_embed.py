"""The embedded card in Chromium, inside a page served from another origin (a second local
server on another port, standing for Chatwoot or Zendesk): the card shows, the agent's
actions reach Warmline, and each is told to the host page by postMessage; a page on an
origin that is not configured cannot frame it."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.browser.conftest import LiveServer, live_server_with, serving
from tests.factories import miles_story

HOST_PAGE = """<!doctype html><html><head><title>Another desktop</title></head><body>
<h1>Another agent desktop</h1>
<iframe id="card" title="Warmline" src="{src}" width="640" height="720"></iframe>
<script>
window.received = [];
window.addEventListener("message", function (e) {{
  window.received.push({{origin: e.origin, data: e.data}});
}});
</script></body></html>"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def host_app() -> Starlette:
    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(HOST_PAGE.format(src=request.query_params["src"]))

    return Starlette(routes=[Route("/", page)])


@pytest.fixture
def host() -> Iterator[str]:
    with serving(host_app(), _port()) as url:
        yield url


@pytest.fixture
def warmline(tmp_path: Path, sqlite_template: Path, host: str) -> Iterator[LiveServer]:
    yield from live_server_with(tmp_path, sqlite_template, desk_embed_origins=host, insight=False)


def embed_link(server: LiveServer) -> tuple[str, str]:
    """Miles's memory, a call routed to dave now, and a link to its card read as dave."""
    with server.api(server.integrator_key) as api:
        assert api.post("/v1/events", json=miles_story(dt.datetime.now(dt.UTC))).status_code == 200
        contact = api.post(
            "/v1/contacts",
            json={
                "channel": "voice",
                "customer": {"identifiers": [{"kind": "phone", "value": "020 7946 0958"}]},
            },
        ).json()
        made = api.post(
            "/v1/embed-links", json={"interaction_id": contact["interaction_id"], "agent": "dave"}
        )
        assert made.status_code == 201, made.text
    return made.json()["url"], contact["interaction_id"]


def messages(page: Page, kind: str) -> list[Any]:
    found: list[Any] = page.evaluate(
        "kind => window.received.filter(m => m.data && m.data.type === kind)", kind
    )
    return found


def test_the_card_in_another_desktops_frame_tells_it_what_the_agent_did(
    page: Page, warmline: LiveServer, host: str
) -> None:
    url, interaction_id = embed_link(warmline)
    page.goto(f"{host}/?src={url}")
    card = page.frame_locator("#card")
    expect(card.locator(".customer-name")).to_have_text("Miles Okafor")
    page.wait_for_function("window.received.some(m => m.data.type === 'warmline:ready')")
    ready = messages(page, "warmline:ready")[0]
    with warmline.api(warmline.agent_key) as api:
        external = api.get(f"/v1/interactions/{interaction_id}").json()["external_id"]
    # The desktop hears of its own conversation, by its own id.
    assert ready["origin"] == warmline.url and ready["data"]["interaction_id"] == external

    card.locator(".reason-form input[name=reason]").fill("card_declined")
    card.get_by_role("button", name="Mark as the reason").click()
    expect(card.locator(".embed-status")).to_contain_text("Marked the reason")
    page.wait_for_function("window.received.some(m => m.data.type === 'warmline:reason')")
    assert messages(page, "warmline:reason")[0]["data"]["reason"] == "card_declined"

    card.locator(".embed-handover select").select_option("queue")
    card.locator(".embed-handover input[name=to]").fill("cards-tier2")
    card.get_by_role("button", name="Hand over with a note").click()
    page.wait_for_function("window.received.some(m => m.data.type === 'warmline:handover')")
    handover = messages(page, "warmline:handover")[0]["data"]
    assert handover["to"] == "cards-tier2" and handover["handover_id"].startswith("hnd_")
    with warmline.api(warmline.agent_key) as api:
        found = api.get(f"/v1/interactions/{interaction_id}").json()
    assert found["reason"] == "card_declined" and found["transfers"] == 1

    # The link worked once: the same URL again shows why not, in the frame.
    page.goto(f"{host}/?src={url}")
    expect(card.locator(".embed-error")).to_contain_text("opened already")


def test_a_page_on_an_origin_not_configured_cannot_frame_the_card(
    page: Page, warmline: LiveServer
) -> None:
    url, _ = embed_link(warmline)
    with serving(host_app(), _port()) as stranger:
        page.goto(f"{stranger}/?src={url}")
        page.wait_for_timeout(500)
        frame = page.frame_locator("#card")
        expect(frame.locator(".customer-name")).to_have_count(0)
        assert page.evaluate("window.received.length") == 0


FAKE_CHATWOOT = """<!doctype html><html><head><title>Chatwoot</title></head><body>
<h1>Conversation #12</h1>
<iframe id="app" title="Warmline" src="{src}" width="640" height="720"></iframe>
<script>
window.addEventListener("message", function (e) {{
  if (e.data !== "chatwoot-dashboard-app:fetch-info") return;
  var context = {{event: "appContext", data: {{
    conversation: {{id: 12, meta: {{sender: {{id: 41}}}}}}, contact: {{id: 41}},
    currentAgent: {{id: 2, name: "Dave"}}}}}};
  e.source.postMessage(JSON.stringify(context), e.origin);
}});
</script></body></html>"""


def test_chatwoots_dashboard_app_opens_the_conversations_card(
    page: Page, tmp_path: Path, sqlite_template: Path
) -> None:
    from tests.browser.test_desk import sign_in
    from tests.connector_payloads import chatwoot_conversation, chatwoot_event
    from warmline.actions.connectors import create_connector
    from warmline.domain.access.roles import LOCAL_ADMIN

    async def chatwoot(request: Request) -> HTMLResponse:
        return HTMLResponse(FAKE_CHATWOOT.format(src=request.query_params["src"]))

    port = _port()
    fake = Starlette(routes=[Route("/", chatwoot)])
    servers = live_server_with(
        tmp_path, sqlite_template, desk_embed_origins=f"http://127.0.0.1:{port}", insight=False
    )
    server = next(servers)
    try:
        _, secret = create_connector(server.engine, LOCAL_ADMIN, kind="chatwoot", account="7")
        with server.api(secret) as api:
            delivered = api.post(
                "/v1/connectors/chatwoot/7",
                json=chatwoot_event("conversation_created", chatwoot_conversation()),
            )
            assert delivered.status_code == 200, delivered.text
        sign_in(page, server)  # once, as the agent; the panel then uses the desk session
        with serving(fake, port) as chatwoot_url:
            page.goto(f"{chatwoot_url}/?src={server.url}/desk/apps/chatwoot/7")
            panel = page.frame_locator("#app")
            expect(panel.locator(".customer-name")).to_have_text("Ada Lovell")
            expect(panel.locator(".embed-actions")).to_be_visible()
    finally:
        next(servers, None)
