"""/docs in Chromium lists the API's operations with nothing fetched from outside the machine."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import LiveServer


def test_the_docs_list_the_operations_offline(page: Page, live_server: LiveServer) -> None:
    requested: list[str] = []
    left_the_machine: list[str] = []

    def only_this_server(route: Route) -> None:
        url = route.request.url
        requested.append(url)
        if urlsplit(url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:  # a CDN, a validator, fonts: none may be needed
            left_the_machine.append(url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(f"{live_server.url}/docs")

    # Swagger UI's bundle is large: on a busy machine its first render takes a while.
    expect(page.locator(".info .title")).to_contain_text("Warmline", timeout=30_000)
    events = page.locator(".opblock-post", has_text="/v1/events").first
    expect(events).to_be_visible()
    expect(events.locator(".opblock-summary-method")).to_have_text("POST")
    expect(page.locator(".opblock-get", has_text="/v1/customers/{customer_id}/card")).to_have_count(
        1
    )
    # Opening an operation shows its parameters, read from /openapi.json.
    events.locator(".opblock-summary").click()
    expect(events.locator(".opblock-body")).to_be_visible()

    assert left_the_machine == []
    assert any(url.endswith("/openapi.json") for url in requested), requested
    assert any(url.endswith(".js") for url in requested), requested
