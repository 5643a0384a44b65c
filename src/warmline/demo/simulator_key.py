"""The simulator's own integrator key, kept between runs instead of made anew each time.

Keys are stored hashed, so the simulator cannot read its key back from the database. It
keeps the secret in a file of its own, readable by the user alone (0600, in a 0700
folder), under the user's state directory (``$XDG_STATE_HOME/warmline``, by default
``~/.local/state/warmline``): one file per database, named by a hash of where the database
is, so a secret never lands in a project folder where it could be committed. Each run
checks the kept key against the local database; when it no longer works there (revoked,
expired, a fresh database, the file lost), the simulator's old keys are revoked and a new
one is made and kept. So one database holds one live simulator key, however often it runs.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from warmline.actions.keys import authenticate, create_key, revoke_keys_named
from warmline.domain.access.roles import Role

#: The name of the simulator's integrator key.
SIMULATOR = "simulator"


@dataclass(frozen=True)
class SimulatorKey:
    key: str
    #: Where the secret is kept for the next run (None: it could not be written).
    kept_in: Path | None
    #: Whether it was made on this run.
    created: bool
    #: Why it could not be kept, when it could not.
    problem: str = ""


def state_dir() -> Path:
    """Where Warmline keeps per-user state (XDG base directories)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "warmline"


def key_file(engine: Engine, directory: Path) -> Path:
    """The file for this database's simulator key (the same database, the same file)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        where = str(Path(str(url.database)).resolve())
    else:
        where = url.render_as_string(hide_password=True)
    digest = hashlib.sha256(where.encode()).hexdigest()[:16]
    return directory / f"simulator-key-{digest}"


def simulator_key(engine: Engine, directory: Path | None = None) -> SimulatorKey:
    """The kept key when the database still accepts it; otherwise a new one, kept."""
    path = key_file(engine, directory or state_dir())
    kept = _read(path)
    if kept:
        actor = authenticate(engine, kept)
        if actor is not None and actor.role is Role.INTEGRATOR and actor.name == SIMULATOR:
            return SimulatorKey(kept, path, created=False)
    # The secrets of the simulator's older keys are lost: none of them may linger usable.
    revoke_keys_named(engine, SIMULATOR, role=Role.INTEGRATOR)
    _, key = create_key(engine, role=Role.INTEGRATOR.value, name=SIMULATOR)
    try:
        _write_private(path, key)
    except OSError as exc:
        return SimulatorKey(key, None, created=True, problem=f"{path}: {exc.strerror or exc}")
    return SimulatorKey(key, path, created=True)


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:  # none kept yet, or unreadable: a new key is made and kept
        return ""


def _write_private(path: Path, secret: str) -> None:
    """Write ``secret`` readable by its owner alone, replacing the file in one step."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # even if a partial file was left with other permissions
        os.write(fd, (secret + "\n").encode())
    finally:
        os.close(fd)
    os.replace(partial, path)
