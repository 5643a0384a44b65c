"""A served app freezes its long-lived objects once its models are loaded (so the garbage
collector's full passes no longer walk them); an app told not to leaves the heap alone."""

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
from warmline.serving.heap import settled
settings = Settings(database_url=sys.argv[1], sqlite_synchronous="OFF",
                    refine_insight=False, freeze_heap=sys.argv[2] == "on")
with TestClient(create_app(settings)) as client:
    assert client.get("/healthz").status_code == 200
    deadline = time.monotonic() + 120
    while not is_warm() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the warm-up thread settles just after the models are warm
    print(is_warm(), settled(), gc.get_freeze_count())
"""


def serve(tmp_path: Path, freeze: str) -> list[str]:
    url = f"sqlite:///{tmp_path / f'{freeze}.db'}"
    done = subprocess.run(
        [sys.executable, "-c", SERVE, url, freeze],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.split()


def test_a_served_app_freezes_what_it_keeps_once_its_models_are_warm(tmp_path: Path) -> None:
    warm, settled, frozen = serve(tmp_path, "on")
    assert (warm, settled) == ("True", "True")
    assert int(frozen) > 50_000  # the models' vocabularies, the routes, the templates


def test_an_app_told_not_to_leaves_the_heap_alone(tmp_path: Path) -> None:
    assert serve(tmp_path, "off") == ["True", "False", "0"]
