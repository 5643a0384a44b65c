"""A throwaway PostgreSQL cluster a test can stop, start and starve of disk, from the same
installation ``scripts/with-postgres`` uses; a test that needs one fails, not skips, when
there is none."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


class Cluster:
    """A PostgreSQL cluster of the test's own on loopback, with a database ``wl``.

    ``disk_megabytes``: the database's tables live on a filesystem of that size (a tmpfs
    mounted for the test; root only), so the test can fill it as a full disk would, while
    the cluster's own files (its write-ahead log) stay on the real disk."""

    def __init__(self, *, disk_megabytes: int = 0) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not found:
            pytest.fail("PostgreSQL is not installed (apt-get install -y postgresql)")
        self.bin = Path(found[-1])
        # Under /tmp itself: the postgres user cannot enter pytest's root-only folders.
        self.dir = Path(tempfile.mkdtemp(prefix="warmline-pg-cluster."))
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if self.as_pg:
            shutil.chown(self.dir, "postgres")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.disk: Path | None = None
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")
        self.start()
        if disk_megabytes:
            self.disk = self._small_disk(disk_megabytes)
            self.psql(f"CREATE TABLESPACE small LOCATION '{self.disk}'")
            self._run("createdb", *self._at, "-U", "postgres", "-D", "small", "wl")
        else:
            self._run("createdb", *self._at, "-U", "postgres", "wl")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/wl"

    @property
    def _at(self) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.port)]

    def _run(self, tool: str, *args: str) -> str:
        done = subprocess.run([*self.as_pg, str(self.bin / tool), *args], capture_output=True)
        if done.returncode:
            raise RuntimeError(f"{tool} failed: {done.stderr.decode(errors='replace')}")
        return done.stdout.decode()

    def _small_disk(self, megabytes: int) -> Path:
        if os.getuid() != 0:
            pytest.fail("a full-disk test mounts a small tmpfs: run the tests as root (CI does)")
        disk = self.dir / "small-disk"
        disk.mkdir()
        subprocess.run(
            [
                shutil.which("mount") or "/bin/mount",
                "-t",
                "tmpfs",
                "-o",
                f"size={megabytes}m,mode=0700",
                "tmpfs",
                str(disk),
            ],
            check=True,
        )
        shutil.chown(disk, "postgres")
        return disk

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self._run("psql", *self._at, "-U", "postgres", "-d", database, "-qAtc", sql)

    def start(self) -> None:
        options = f"-k {self.dir} -c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.dir / "data"), "-w", "-l", str(self.dir / "log"),
            "-o", options, "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        if self.disk is not None:
            subprocess.run(
                [shutil.which("umount") or "/bin/umount", "-l", str(self.disk)], check=False
            )
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def cluster_of_its_own(**options: int) -> Iterator[Cluster]:
    made = Cluster(**options)
    try:
        yield made
    finally:
        made.remove()
