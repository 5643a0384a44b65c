"""A real Warmline server in a process of its own, for the tests that stop and start it
again (the branch queue must survive a restart). Texted codes go to its log (the log
sender); :meth:`ServerProcess.texted_codes` reads them back."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

_CODE = re.compile(r"\(log sender\): (\d{6}) is your code")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``warmline.app:create_app`` under uvicorn on loopback, on the database ``url``."""

    def __init__(self, url: str, log: Path) -> None:
        self.database_url = url
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "WARMLINE_DATABASE_URL": self.database_url,
            "WARMLINE_INSIGHT": "false",
            "WARMLINE_SQLITE_SYNCHRONOUS": "NORMAL",
            "WARMLINE_SMS_SENDER": "log",
        }
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "warmline.app:create_app",
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
            "--timeout-graceful-shutdown", "1",
        ]  # fmt: skip
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen(command, env=env, stdout=handle, stderr=handle)
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=self.url, timeout=2) as probe:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, self.log.read_text()
                try:
                    if probe.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise AssertionError(f"the server did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        """Stop it the way a deploy or a crash-restart loop does (SIGTERM)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def texted_codes(self) -> list[str]:
        return _CODE.findall(self.log.read_text(errors="replace"))

    def check_in_by_phone(self, kiosk_key: str, phone: str, **body: str) -> dict[str, object]:
        """A kiosk checks someone in at Soho with their number and the code texted to it."""
        with self.client(kiosk_key) as api:
            sent = api.post("/v1/branches/soho/phone-codes", json={"phone": phone}).json()
            checked = api.post(
                "/v1/branches/soho/checkins",
                json={
                    "phone": phone,
                    "phone_code_id": sent["phone_code_id"],
                    "phone_code": self.texted_codes()[-1],
                    **body,
                },
            )
        assert checked.status_code == 201, checked.text
        return dict(checked.json())

    def client(self, key: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
