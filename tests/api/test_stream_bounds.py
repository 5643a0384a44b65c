"""Live streams are bounded: a worker holds at most ``max_streams`` (more get 503 with
Retry-After), and a client that never reads what it is sent loses its stream instead of
making the server buffer for it."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
import sqlalchemy as sa
import uvicorn

from warmline.actions.keys import create_key
from warmline.app import create_app
from warmline.config import Settings
from warmline.serving import http_protocol
from warmline.storage import schema as t
from warmline.storage.engine import make_engine
from warmline.web import sse

served_keys: dict[str, str] = {}


@pytest.fixture
def served(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str, object]]:
    monkeypatch.setattr(http_protocol, "HEAD_SECONDS", 1.0)
    path = tmp_path / "streams.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url, sqlite_synchronous="OFF")
    actor, key = create_key(engine, role="agent", name="dave")
    settings = Settings(
        database_url=url, sqlite_synchronous="OFF", refine_insight=False, max_streams=2
    )
    # A small send buffer on the listening socket (accepted connections inherit it): a
    # client that reads nothing fills it after a few frames, not after megabytes.
    listening = socket.socket()
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, engine),
            host="127.0.0.1",
            port=port,
            log_level="critical",
            http=http_protocol.GuardedHttpProtocol,  # as `warmline serve` runs it
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    signed = httpx.post(f"{base}/desk/sign-in", data={"key": key}, timeout=30)
    served_keys[url] = actor.key_id
    yield base, signed.cookies["wl_desk"], engine
    server.should_exit = True
    thread.join(timeout=10)
    listening.close()
    engine.dispose()  # type: ignore[attr-defined]


def _open(base: str, cookie: str) -> socket.socket:
    """A stream asked for on a raw socket that reads nothing."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(
        f"GET /desk/stream HTTP/1.1\r\nHost: {host}\r\nCookie: wl_desk={cookie}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    return sock


def _wait(condition: object, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_a_worker_refuses_streams_past_its_ceiling_and_frees_them(
    served: tuple[str, str, object],
) -> None:
    base, cookie, _ = served
    first, second = _open(base, cookie), _open(base, cookie)
    assert _wait(lambda: sse.OPEN.count == 2)
    refused = httpx.get(f"{base}/desk/stream", cookies={"wl_desk": cookie}, timeout=30)
    assert refused.status_code == 503
    assert refused.json()["code"] == "too_many_streams"
    assert refused.headers["Retry-After"] == "5"
    first.close()
    second.close()
    assert _wait(lambda: sse.OPEN.count == 0)  # the browser going frees its stream at once
    with httpx.stream(
        "GET", f"{base}/desk/stream", cookies={"wl_desk": cookie}, timeout=30
    ) as again:
        assert again.status_code == 200


def test_a_client_that_never_reads_loses_its_stream(
    served: tuple[str, str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, cookie, engine = served
    monkeypatch.setattr(sse, "SEND_TIMEOUT_SECONDS", 1.0)
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "agent": "dave",
            "kind": "contact",
            "customer_id": None,
            "interaction_id": None,
            "channel": "voice",
            "detail": {"contact_id": f"c-{n}-" + "x" * 150, "recognised": False, "candidates": []},
            "at": now,
        }
        for n in range(1500)
    ]
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(t.desk_pushes.insert(), rows)
        assert conn.execute(sa.select(sa.func.count()).select_from(t.desk_pushes)).scalar() == 1500
    reader = _open(base, cookie)  # asks for all 1,500 (a desk back after a long absence)
    assert _wait(lambda: sse.OPEN.count == 1)
    # It reads nothing: once the socket's buffers are full the server waits a second for it,
    # then drops the stream rather than hold what it could not send.
    assert _wait(lambda: sse.OPEN.count == 0, seconds=120)
    assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
    reader.close()


def test_idle_and_trickling_connections_are_closed_and_requests_still_served(
    served: tuple[str, str, object],
) -> None:
    base, _, _ = served
    host, port = base.removeprefix("http://").split(":")
    idle = [socket.create_connection((host, int(port))) for _ in range(300)]
    trickler = socket.create_connection((host, int(port)))
    trickler.sendall(b"GET /healthz HTTP/1.1\r\n")
    for sock in [*idle, trickler]:
        sock.settimeout(30)
    try:
        for _ in range(4):  # a header a byte at a time, for longer than a head may take
            trickler.sendall(b"X")
            time.sleep(0.4)
    except OSError:
        pass  # closed by the server already
    # The server closes every one of them, and still answers.
    assert all(_closed_by_server(sock) for sock in idle)
    assert _closed_by_server(trickler)
    assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
    for sock in [*idle, trickler]:
        sock.close()


def test_a_body_trickled_past_its_deadline_is_answered_408_and_cut_off(
    served: tuple[str, str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _, _ = served
    monkeypatch.setattr(http_protocol, "BODY_SECONDS", 1.5)
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(30)
    sock.sendall(
        f"POST /desk/sign-in HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\n"
        "key=wl_".encode()
    )
    answer = b""
    try:
        for _ in range(10):  # a byte every 0.4 s: never the 400 promised in time
            sock.sendall(b"x")
            time.sleep(0.4)
    except OSError:
        pass  # closed by the server already
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(4096):
            answer += chunk
    sock.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer
    assert b'"code":"request_body_too_slow"' in body
    assert b"application/problem+json" in head
    # A body sent whole is still read and answered (an unknown key: the form again, 401).
    again = httpx.post(f"{base}/desk/sign-in", data={"key": "wl_nope"}, timeout=30)
    assert again.status_code == 401
    assert "unknown, revoked or expired" in again.text


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1024) == b""  # an empty read is the server's close
    except ConnectionResetError:
        return True


def test_a_key_revoked_by_another_process_ends_its_desk_stream_on_sqlite(
    served: tuple[str, str, object],
) -> None:
    """``warmline keys revoke`` in another process cannot ring the server's streams; the
    server's one revocation watch (not a check per desk) ends them within seconds."""
    base, cookie, engine = served
    url = engine.url.render_as_string(hide_password=False)  # type: ignore[attr-defined]
    events: list[str] = []

    def read() -> None:
        with (
            contextlib.suppress(httpx.HTTPError),  # the server stopping at the end
            httpx.stream(
                "GET", f"{base}/desk/stream", cookies={"wl_desk": cookie}, timeout=60
            ) as response,
        ):
            for line in response.iter_lines():
                if line.startswith("event: "):
                    events.append(line[7:])

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert _wait(lambda: sse.OPEN.count == 1)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "warmline"), "keys", "revoke", served_keys[url]],
        env=os.environ | {"WARMLINE_DATABASE_URL": url},
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    reader.join(timeout=60)
    assert not reader.is_alive()
    assert events == ["signed_out"]
