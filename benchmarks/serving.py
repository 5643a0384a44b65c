"""Shared by the benchmarks: the real server in its own process on loopback, and percentiles."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

try:  # the dev extra installs httpx2 (Starlette's TestClient prefers it); httpx works the same
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    url: str,
    port: int,
    synchronous: str,
    log: Path,
    factory: str = "warmline.app:create_app",
    env: dict[str, str] | None = None,
    workers: int = 1,
) -> subprocess.Popen[bytes]:
    """The real app under uvicorn, in its own process (``workers`` of them, PostgreSQL only,
    under uvicorn's supervisor), on loopback only. ``factory`` may be a benchmark's own
    (``card_app:create_app``): the benchmarks folder is on its path."""
    env = {
        **os.environ,
        "WARMLINE_DATABASE_URL": url,
        "WARMLINE_SQLITE_SYNCHRONOUS": synchronous,
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", factory,
        "--app-dir", str(Path(__file__).parent),
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
        *(["--workers", str(workers)] if workers > 1 else []),
    ]  # fmt: skip
    with log.open("wb") as handle:
        return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)


def wait_ready(client: httpx.Client, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log.read_text()}")
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not start within 30 s:\n{log.read_text()}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Load:
    """What a bounded load run saw: each request's latency, errors, and the wall time."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: CPU seconds the server process used meanwhile (user + system), when its pid was given.
    server_cpu: float | None = None

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


async def _one_client(
    port: int, path: Callable[[random.Random], str], headers: bytes, seed: int, deadline: float,
    load: Load,
) -> None:  # fmt: skip
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < deadline:
            request = f"GET {path(rng)} HTTP/1.1\r\nHost: bench\r\n".encode() + headers
            begin = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            load.latencies.append(time.perf_counter() - begin)
            load.statuses[status] = load.statuses.get(status, 0) + 1
            load.errors += status != 200
    finally:
        writer.close()


def drive(
    port: int,
    path: Callable[[random.Random], str],
    *,
    seconds: float,
    clients: int,
    headers: dict[str, str] | None = None,
    seed: int = 0,
    server_pid: int | None = None,
) -> Load:
    """``clients`` keep-alive connections, each sending GET ``path(rng)`` and reading the
    answer in turn, for ``seconds``. A lean asyncio client (a few tens of microseconds a
    request), so on a small machine the server, not the client, sets the rate."""
    extra = b"".join(f"{k}: {v}\r\n".encode() for k, v in (headers or {}).items()) + b"\r\n"
    load = Load()

    async def run() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(_one_client(port, path, extra, seed + i, deadline, load) for i in range(clients))
        )

    cpu = process_cpu(server_pid) if server_pid else None
    began = time.monotonic()
    asyncio.run(run())
    load.seconds = time.monotonic() - began
    if server_pid and cpu is not None:
        load.server_cpu = process_cpu(server_pid) - cpu
    return load


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` and the processes under it (a server's
    workers) have used, all their threads, from /proc. On a machine shared with other
    work, CPU per request varies far less than the rate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = children.read_text().split() if children.exists() else []
    return own + sum(process_cpu(int(kid)) for kid in kids)
