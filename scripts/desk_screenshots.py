"""Make the README's screenshots of the desk (docs/desk.png, docs/handover.png) again.

Seeds a small demo bank in a temporary SQLite file, serves it on loopback, and drives
Debian's Chromium (never a downloaded browser) through the demo's first story: Miles
phones four minutes after a chat about his declined card, tells the agent again, and is
handed over to Dave with a note.

    .venv/bin/python scripts/desk_screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import uvicorn
from playwright.sync_api import Page, sync_playwright

from warmline.actions.insight_admin import train_reasons
from warmline.actions.keys import create_key
from warmline.app import create_app
from warmline.config import Settings
from warmline.demo.world import seed_world
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sign_in(page: Page, url: str, key: str) -> None:
    page.goto(url + "/desk/sign-in")
    page.fill("#key", key)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/desk")
    page.wait_for_selector("#live.on")


def event(event_id: str, type_: str, **data: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "pbx",
        "type": type_,
        "time": dt.datetime.now(dt.UTC).isoformat(),
        "data": data,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="warmline-shots-"))
    url_db = f"sqlite:///{folder / 'demo.db'}"
    engine = make_engine(url_db, sqlite_synchronous="OFF")
    upgrade(engine)
    seed_world(engine, customers=200)
    train_reasons(engine)  # as `make demo` does: the bank's own reasons, from its history
    _, integrator = create_key(engine, role="integrator", name="pbx", may_verify=True)
    _, amy = create_key(engine, role="agent", name="amy")
    _, dave = create_key(engine, role="agent", name="dave")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(database_url=url_db, sqlite_synchronous="OFF")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {integrator}"})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        sign_in(page, url, amy)
        second = browser.new_page(viewport={"width": 1280, "height": 800})
        sign_in(second, url, dave)
        contact = api.post(
            "/v1/contacts",
            json={
                "channel": "voice",
                "agent_id": "amy",
                "customer": {"identifiers": [{"kind": "phone", "value": "+442079460958"}]},
            },
        ).json()
        cid = contact["contact_id"]
        api.post(
            "/v1/events",
            json=[
                event(
                    f"{cid}-1",
                    "message.posted",
                    interaction_id=cid,
                    speaker="customer",
                    text="My card keeps getting declined when I pay for fuel.",
                )
            ],
        )
        page.wait_for_selector("#card-panel section.now .msg-customer")
        page.wait_for_timeout(2000)  # past the new message's highlight
        page.screenshot(path=str(out / "desk.png"))

        page.fill(".handover-form input[name=to]", "dave")
        page.fill(".handover-form textarea", "Fraud block from this morning; he has been patient.")
        page.click(".handover-form button[type=submit]")
        page.wait_for_selector(".handover-note")
        second.wait_for_selector(".handover-note .accept-handover")
        second.click(".handover-note .accept-handover")
        second.wait_for_selector(".handover-note.accepted")
        second.wait_for_timeout(800)
        second.screenshot(path=str(out / "handover.png"))
        browser.close()
    server.should_exit = True
    serving.join(90)  # its shutdown waits for the models still loading: no native abort at exit
    print(f"wrote {out / 'desk.png'} and {out / 'handover.png'}")


if __name__ == "__main__":
    main()
