"""``warmline simulate`` against a real server: its own key kept between runs, a warning for
a desk nobody has, and the right hint when the server does not know the key."""

from __future__ import annotations

import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from typer.testing import CliRunner

from tests.cli.test_cli import env  # noqa: F401  (fixture)
from warmline.actions.keys import KeyInfo, list_keys
from warmline.app import create_app
from warmline.cli import app
from warmline.config import Settings
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

runner = CliRunner()


@contextmanager
def serving(database_url: str) -> Iterator[str]:
    """A Warmline server on loopback for ``database_url``; yields its URL."""
    engine = make_engine(database_url, sqlite_synchronous="OFF")
    settings = Settings(database_url=database_url, sqlite_synchronous="OFF", insight=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


def simulate(url: str, *args: str) -> str:
    result = runner.invoke(
        app, ["simulate", "--url", url, "--contacts", "1", "--interval", "0", *args]
    )
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # the console wraps long lines


def simulator_keys(database_url: str) -> list[KeyInfo]:
    """Every key named 'simulator', revoked ones included."""
    engine = make_engine(database_url)
    try:
        return [k for k in list_keys(engine) if k.name == "simulator"]
    finally:
        engine.dispose()


def counted(keys: list[KeyInfo]) -> tuple[int, int]:
    """(all, active)."""
    return len(keys), sum(1 for k in keys if k.revoked_at is None)


def test_simulate_keeps_its_own_key_between_runs(env: str, tmp_path: Path) -> None:  # noqa: F811
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert (
        runner.invoke(app, ["keys", "create", "--role", "agent", "--name", "dave"]).exit_code == 0
    )
    with serving(env) as url:
        first = simulate(url, "--agent", "dave")
        assert "made an integrator key named 'simulator'" in first
        assert "played 1 contact" in first and "warning" not in first
        kept = list((tmp_path / "state" / "warmline").glob("simulator-key-*"))
        assert len(kept) == 1 and kept[0].name in first, first
        assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600  # the owner's alone
        assert stat.S_IMODE(kept[0].parent.stat().st_mode) == 0o700

        again = simulate(url, "--agent", "dave")
        assert "using the simulator's integrator key kept in" in again
        assert counted(simulator_keys(env)) == (1, 1)  # not one more key a run

        # Revoked (or a fresh database): the key no longer works, so it is replaced.
        key_id = simulator_keys(env)[0].key_id
        assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
        replaced = simulate(url, "--agent", "dave")
        assert "made an integrator key named 'simulator'" in replaced
        assert counted(simulator_keys(env)) == (2, 1)


def test_simulate_warns_when_no_desk_has_the_agents_name(env: str) -> None:  # noqa: F811
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert (
        runner.invoke(app, ["keys", "create", "--role", "auditor", "--name", "nobody"]).exit_code
        == 0
    )
    with serving(env) as url:
        said = simulate(url, "--agent", "nobody")  # an auditor has no desk
    assert "warning: no desk is named 'nobody'" in said
    assert "warmline keys create --role agent --name nobody" in said
    assert "played 1 contact" in said  # a warning: the contact is still played


def test_simulate_says_the_server_does_not_know_the_key(env: str, tmp_path: Path) -> None:  # noqa: F811
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    elsewhere = f"sqlite:///{tmp_path / 'other.db'}"
    other = make_engine(elsewhere)
    upgrade(other)
    other.dispose()
    with serving(elsewhere) as url:  # a server on another database than this machine's
        own = runner.invoke(app, ["simulate", "--url", url, "--contacts", "1"])
        given = runner.invoke(app, ["simulate", "--url", url, "--key", "wl_unknown-here"])
    assert own.exit_code == 2, own.output
    said = " ".join(own.output.split())
    assert f"the server at {url} does not know the simulator's key (401 invalid_key)" in said
    assert "serves another one: pass --key" in said
    assert "is `warmline serve` running?" not in said
    assert given.exit_code == 2, given.output
    said = " ".join(given.output.split())
    assert "does not know this key (401 invalid_key)" in said and "--key or WARMLINE_KEY" in said
