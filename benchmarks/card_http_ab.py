"""The card over HTTP, this checkout against another version of ``src/``, alternated.

On a shared, noisy machine one run of each says little; this starts the real server
from each source tree in turn (``--rounds`` times, each for ``--seconds``) on the same
SQLite memory and the same random customers, 16 clients reading audited cards, and
reports each round and the ratio of the medians. Make the memory with ``card.py``:

    (cd benchmarks && ../.venv/bin/python card.py --customers 5000 --http-seconds 0 \\
        --workdir /tmp/card)
    git archive main src | tar -x -C /tmp/main-tree
    (cd benchmarks && ../.venv/bin/python card_http_ab.py /tmp/card/card.db \\
        --baseline-src /tmp/main-tree/src --customers 5000)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from serving import free_port, httpx, percentile
from warmline.actions.keys import create_key
from warmline.storage.engine import make_engine

WARM_SECONDS = 10.0


def serve(db: Path, port: int, src: Path | None, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "WARMLINE_DATABASE_URL": f"sqlite:///{db}",
        "WARMLINE_SQLITE_SYNCHRONOUS": "FULL",
        "PYTHONPATH": str(src) if src else "",
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "warmline.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with log.open("ab") as handle:
        return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)


def ready(base: str, server: subprocess.Popen[bytes]) -> None:
    """Wait until the server answers, then as long again for its models to warm (the
    baseline may have no /readyz to say so): both are measured warm."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited early")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                time.sleep(WARM_SECONDS)
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not start")


def drive(base: str, key: str, customers: int, seconds: float, clients: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine, failed = [], 0
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            while time.monotonic() < deadline:
                path = f"/v1/customers/cus_{rng.randrange(customers):010d}/card?channel=voice"
                begin = time.perf_counter()
                failed += http.get(path).status_code != 200
                mine.append(time.perf_counter() - begin)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return {
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "errors": errors[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path, help="an SQLite memory made by card.py")
    parser.add_argument("--baseline-src", type=Path, required=True)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    engine = make_engine(f"sqlite:///{args.db}")
    _, key = create_key(engine, role="agent", name="bench-ab")
    engine.dispose()
    log = args.db.with_suffix(".ab.log")
    rounds: dict[str, list[dict[str, Any]]] = {"baseline": [], "this": []}
    for _ in range(args.rounds):
        for name, src in (("baseline", args.baseline_src), ("this", None)):
            port = free_port()
            server = serve(args.db, port, src, log)
            try:
                ready(f"http://127.0.0.1:{port}", server)
                rounds[name].append(
                    drive(
                        f"http://127.0.0.1:{port}", key, args.customers, args.seconds, args.clients
                    )
                )
            finally:
                server.terminate()
                server.wait(timeout=15)
    table = Table(
        "round", "version", "cards/s", "p50 ms", "p99 ms", "errors", title="card over HTTP"
    )
    for n in range(args.rounds):
        for name in ("baseline", "this"):
            r = rounds[name][n]
            table.add_row(
                str(n + 1), name, str(r["requests_per_s"]), str(r["p50_ms"]), str(r["p99_ms"]),
                str(r["errors"]),
            )  # fmt: skip
    Console(stderr=True).print(table)
    median = {name: statistics.median(r["requests_per_s"] for r in rounds[name]) for name in rounds}
    print(
        json.dumps(
            {
                "benchmark": "card_http_ab",
                "rounds": rounds,
                "median_requests_per_s": median,
                "ratio": round(median["this"] / median["baseline"], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
