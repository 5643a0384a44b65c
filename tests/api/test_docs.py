"""The interactive API docs work offline: every script, style and icon comes from the app."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient


class AssetLinks(HTMLParser):
    """The URLs a page loads: scripts, stylesheets and icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(str(found["src"]))
        if tag == "link" and found.get("href"):
            self.urls.append(str(found["href"]))


def asset_urls(html: str) -> list[str]:
    parser = AssetLinks()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_what_the_app_serves(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    urls = asset_urls(response.text)
    assert any(url.endswith(".js") for url in urls), urls
    for url in urls:
        # Served by the app itself: a path on this host, never another host.
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 0, url
    assert "/openapi.json" in response.text


def test_the_docs_stylesheet_and_script_are_the_real_swagger_ui(client: TestClient) -> None:
    urls = asset_urls(client.get("/docs").text)
    script = client.get(next(u for u in urls if u.endswith(".js")))
    assert "SwaggerUIBundle" in script.text
    style = client.get(next(u for u in urls if u.endswith(".css")))
    assert style.headers["content-type"].startswith("text/css")
    assert ".swagger-ui" in style.text


def test_the_favicon_is_an_icon_served_by_the_app(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # the ICO header: an icon resource
    assert "/favicon.ico" in asset_urls(client.get("/docs").text)


def test_the_openapi_document_is_where_it_was(client: TestClient) -> None:
    document = client.get("/openapi.json")
    assert document.status_code == 200
    assert "/v1/events" in document.json()["paths"]
    # The docs' own pages are not operations of the API.
    assert not {"/docs", "/redoc", "/favicon.ico"} & set(document.json()["paths"])
