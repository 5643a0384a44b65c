"""Browser tests: a real server on loopback and Debian's Chromium driven by Playwright.

Chromium comes from the system (``/usr/bin/chromium``, installed by ``.ci/run``);
Playwright never downloads a browser. Missing Chromium fails loudly.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from warmline.actions.keys import create_key
from warmline.app import create_app
from warmline.config import Settings
from warmline.demo.world import FORMS_DIR
from warmline.models import warm_up
from warmline.storage.engine import make_engine

LINK_SECRET = "browser-tests-link-secret-0123456789abcdef"
PROMISES = Path(__file__).parents[2] / "docs" / "examples" / "promises.yaml"
CHROMIUM = os.environ.get("WARMLINE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    url: str
    agent_key: str
    integrator_key: str
    engine: Engine
    app: FastAPI

    def api(self, key: str) -> httpx.Client:
        # Generous: the first batch with messages loads the insight models, which takes
        # many seconds on a loaded machine (this bounds a hang, it does not measure speed).
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[str]:
    """``app`` served by uvicorn on a loopback port in a thread; yields its URL."""
    port = port or _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,  # open desk streams must not hold the test up
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def live_server_with(
    tmp_path: Path, sqlite_template: Path, port: int | None = None, **settings_: Any
) -> Iterator[LiveServer]:
    path = tmp_path / "desk.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    settings = Settings(
        **{
            "database_url": url,
            "sqlite_synchronous": "OFF",
            "refine_insight": False,
            "forms_dir": str(FORMS_DIR),
            "link_secret": SecretStr(LINK_SECRET),
            "promises_file": str(PROMISES),
            **settings_,
        }
    )
    engine = make_engine(url, sqlite_synchronous="OFF")
    _, agent_key = create_key(engine, role="agent", name="dave")
    _, integrator_key = create_key(engine, role="integrator", name="pbx", may_verify=True)
    app = create_app(settings, engine)
    with serving(app, port) as served:
        yield LiveServer(served, agent_key, integrator_key, engine, app)
    engine.dispose()


@pytest.fixture(scope="session")
def models_loaded() -> None:
    """The models, loaded before any server answers: a first request that loads them on a
    busy machine could outlast the test client's timeout."""
    warm_up()


@pytest.fixture
def live_server(tmp_path: Path, sqlite_template: Path, models_loaded: None) -> Iterator[LiveServer]:
    yield from live_server_with(tmp_path, sqlite_template)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium", pytrace=False
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()
