"""A served app keeps what it loaded out of the garbage collector's full passes once its
models are warm, and gives it back when it stops (so a process that starts and stops many
apps keeps nothing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SERVE = """
import gc, sys, time
from fastapi.testclient import TestClient
from warmline.app import create_app
from warmline.config import Settings
from warmline.models import is_warm
settings = Settings(database_url=sys.argv[1], sqlite_synchronous="OFF", refine_insight=False)
with TestClient(create_app(settings)) as client:
    assert client.get("/healthz").status_code == 200
    deadline = time.monotonic() + 120
    while not is_warm() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)  # the warm-up thread settles just after the models are warm
    warm, frozen = is_warm(), gc.get_freeze_count()
print(warm, frozen, gc.get_freeze_count())
"""


def test_a_served_app_freezes_what_it_keeps_once_warm_and_releases_it_when_it_stops(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SERVE, f"sqlite:///{tmp_path / 'w.db'}"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    warm, frozen, after_stop = done.stdout.split()
    assert warm == "True"
    assert int(frozen) > 50_000  # the models' vocabularies, the routes, the templates
    assert int(after_stop) == 0
