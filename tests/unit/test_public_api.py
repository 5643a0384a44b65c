from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

import warmline


def test_all_is_complete_and_importable() -> None:
    for name in warmline.__all__:
        assert getattr(warmline, name) is not None, name
    public = {
        name
        for name, value in vars(warmline).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public <= set(warmline.__all__)


def test_the_version_is_the_installed_distributions() -> None:
    from importlib import metadata

    assert warmline.__version__ == metadata.version("warmline")


def test_importing_warmline_leaves_the_web_framework_out_until_create_app_is_asked_for() -> None:
    probe = (
        "import sys, warmline; "
        "print('fastapi' in sys.modules); "
        "warmline.create_app; "
        "print('fastapi' in sys.modules)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown == ["False", "True"]


def test_create_app_serves_the_database_it_is_given(tmp_path: Path) -> None:
    settings = warmline.Settings(database_url=f"sqlite:///{tmp_path / 'app.db'}", insight=False)
    engine = warmline.make_engine(settings.database_url)
    warmline.upgrade(engine)
    with TestClient(warmline.create_app(settings, engine)) as client:
        health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["database"] == "sqlite"
    engine.dispose()
