"""The optional LLM rewrite, against a local stub speaking the chat-completions protocol:
a good rewrite is used; a slow, garbled, failing or absent endpoint leaves the extractive
note, logged and recorded on the handover."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from tests.api.calls import say, seed_miles, start_call
from tests.factories import Keys
from warmline.app import create_app
from warmline.config import Settings

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TIMEOUT = 0.25


def rewrite_of(request: dict[str, Any]) -> dict[str, Any]:
    """What a well-behaved model answers: the same facts, shorter prose, quotes by id."""
    prompt = request["messages"][1]["content"]
    note = json.loads(prompt.split("The note:\n", 1)[1])
    ids = [q["id"] for q in note["customer_quotes"]]
    answer = {
        "summary": "Card blocked for fraud; chat could not lift it.",
        "issue_ids": [i for i in ids if i.startswith("q")],
        "wants_ids": [i for i in ids if i.startswith("w")],
        "tried": note["tried"],
        "found": ["A fraud block is on the card."],
        "commitments": [{"id": c["id"], "text": c["text"]} for c in note["commitments"]],
        "next_step": note["next_step"],
        "introduction": note["introduction"],
    }
    return {
        "model": "stub-model",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"content": json.dumps(answer)}}
        ],
    }


class Stub(BaseHTTPRequestHandler):
    mode = "good"
    seen: list[dict[str, Any]] = []  # noqa: RUF012  # shared by the server's threads on purpose

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Stub.seen.append({"body": body, "authorization": self.headers.get("Authorization")})
        if Stub.mode == "slow":
            time.sleep(TIMEOUT * 3)
        if Stub.mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        payload = (
            b"<html>oops</html>"
            if Stub.mode == "garbage"
            else json.dumps(rewrite_of(body)).encode()
        )
        if Stub.mode == "invented":
            answer = rewrite_of(body)
            content = json.loads(answer["choices"][0]["message"]["content"])
            content["summary"] = "Refund of 250 pounds promised."
            answer["choices"][0]["message"]["content"] = json.dumps(content)
            payload = json.dumps(answer).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the slow answer's reader gave up: that is the point of the test

    def log_message(self, *args: Any) -> None:
        """Quiet: the test output is for failures."""


@pytest.fixture
def stub_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Stub.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/chat/completions"
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1/chat/completions"


def handover_with(settings: Settings, engine: Engine, keys: Keys, url: str) -> dict[str, Any]:
    configured = settings.model_copy(
        update={
            "llm_url": url,
            "llm_model": "stub-model",
            "llm_timeout_seconds": TIMEOUT,
            "llm_api_key": SecretStr("sk-test-secret"),
        }
    )
    with TestClient(create_app(configured, engine)) as client:
        seed_miles(client, keys, NOW)
        call = start_call(client, keys.agent)
        say(client, keys, call["contact_id"], NOW)
        response = client.post(
            f"/v1/interactions/{call['contact_id']}/handover",
            json={"to_agent": "test-supervisor"},
            headers=keys.agent,
        )
        assert response.status_code == 201, response.text
        return dict(response.json())


def test_a_good_rewrite_is_used_and_quotes_stay_verbatim(
    settings: Settings, engine: Engine, keys: Keys, stub_url: str
) -> None:
    Stub.mode = "good"
    handover = handover_with(settings, engine, keys, stub_url)
    assert handover["rewritten_by"] == "stub-model" and handover["llm_failure"] is None
    assert handover["note"]["summary"] == "Card blocked for fraud; chat could not lift it."
    assert handover["note"]["issue"][0]["text"].startswith("My card got declined")
    [seen] = Stub.seen
    assert seen["body"]["model"] == "stub-model"
    assert seen["authorization"] == "Bearer sk-test-secret"


@pytest.mark.parametrize(
    ("mode", "failure"),
    [
        ("slow", "did not answer within 0.25 s"),
        ("garbage", "not JSON"),
        ("error", "HTTP 500"),
        ("invented", "brings in numbers the note did not hold"),
        ("down", "cannot reach the LLM endpoint"),
    ],
)
def test_a_failing_endpoint_leaves_the_extractive_note(
    settings: Settings,
    engine: Engine,
    keys: Keys,
    stub_url: str,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    failure: str,
) -> None:
    Stub.mode = mode
    url = closed_port_url() if mode == "down" else stub_url
    with caplog.at_level(logging.WARNING, logger="warmline.handover"):
        handover = handover_with(settings, engine, keys, url)
    assert handover["rewritten_by"] is None
    assert failure in handover["llm_failure"]
    assert handover["note"]["summary"] != "Card blocked for fraud; chat could not lift it."
    assert handover["note"]["issue"][0]["text"].startswith("My card got declined")
    logged = [r.getMessage() for r in caplog.records if r.name == "warmline.handover"]
    assert len(logged) == 1 and failure in logged[0]
    assert "sk-test-secret" not in logged[0]
