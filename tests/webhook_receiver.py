"""A local webhook receiver (a threaded http.server) that answers what it is told to, in
turn: a status, ``"slow"`` (1 s, then 204), ``"hang"`` (longer than any test's timeout),
or ``("redirect", url)``."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

Answer = int | str | tuple[str, str]


@dataclass
class Receiver:
    answers: list[Answer] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    def types(self) -> list[str]:
        import json

        return [json.loads(body)["type"] for _, body in self.received]

    def bodies(self) -> list[dict[str, Any]]:
        import json

        return [json.loads(body) for _, body in self.received]


@contextmanager
def receiving(path: str = "/hooks") -> Iterator[Receiver]:
    got = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            got.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            answer = got.answers.pop(0) if got.answers else 204
            if answer == "slow":
                time.sleep(1.0)
                answer = 204
            elif answer == "hang":
                time.sleep(3.0)
                answer = 204
            if isinstance(answer, tuple):
                self.send_response(302)
                self.send_header("location", answer[1])
                self.send_header("content-length", "0")
                self.end_headers()
                return
            self.send_response(int(answer))
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    got.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
