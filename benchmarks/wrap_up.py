"""Wrap-up cost at ingest: summaries, restatements and case effort, as a share of ingest.

The same synthetic events as ``benchmarks/ingest.py`` (customers with ten contacts of
one or two messages each; a few in cases when ``--cases`` is given, so restatements
and effort are computed too) are ingested into fresh SQLite files, alternately with
the wrap-up step (:func:`warmline.actions.projection.wrap_up.wrap_up_batch`) and with it
replaced by a no-op, in the same process. Reported: events/s both ways (best of
``--rounds``), and the time spent inside the step, measured around it, as a share of
the ingest time of the same runs, which is the figure the shared machine's noise
disturbs least.

    .venv/bin/python benchmarks/wrap_up.py --customers 4000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ingest import synthetic_stream
from warmline.actions.ingest import ingest_events
from warmline.actions.projection import projector
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

BATCH = 1000
out = Console(width=110)


def with_cases(events: list[dict[str, Any]], every: int) -> list[dict[str, Any]]:
    """Every ``every``-th contact opens a case for itself, so the step has cases to count."""
    if every <= 0:
        return events
    added: list[dict[str, Any]] = []
    for envelope in events:
        added.append(envelope)
        data = envelope["data"]
        started = envelope["type"] == "interaction.started"
        if started and zlib.crc32(data["interaction_id"].encode()) % every == 0:
            added.append(
                {
                    **envelope,
                    "id": f"{envelope['id']}-case",
                    "source": "crm",
                    "type": "case.opened",
                    "data": {
                        "customer": data["customer"],
                        "case_id": f"case-{data['interaction_id']}",
                        "title": "A case",
                        "interaction_id": data["interaction_id"],
                    },
                }
            )
    return added


def run(events: list[dict[str, Any]], step: Callable[[Any], None], workdir: Path) -> float:
    projector.wrap_up_batch = step  # type: ignore[attr-defined]
    engine = make_engine(f"sqlite:///{workdir / f'{time.monotonic_ns()}.db'}")
    upgrade(engine)
    started = time.perf_counter()
    for start in range(0, len(events), BATCH):
        ingest_events(engine, events[start : start + BATCH])
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", type=int, default=0, help="one contact in N opens a case")
    args = parser.parse_args()
    events = [
        s.envelope for s in synthetic_stream(20261124, range(args.customers), 10, with_rows=False)
    ]
    events = with_cases(events, args.cases)
    real = projector.wrap_up_batch
    inside = [0.0]

    def timed(p: Any) -> None:
        started = time.perf_counter()
        real(p)
        inside[0] += time.perf_counter() - started

    with_step: list[float] = []
    without: list[float] = []
    shares: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            without.append(run(events, lambda p: None, Path(folder)))
            inside[0] = 0.0
            seconds = run(events, timed, Path(folder))
            with_step.append(seconds)
            shares.append(inside[0] / seconds)
    projector.wrap_up_batch = real  # type: ignore[attr-defined]
    best_with, best_without = min(with_step), min(without)
    share = sorted(shares)[len(shares) // 2]
    table = Table(title=f"wrap-up at ingest: {len(events):,} events, best of {args.rounds}")
    for column in ("path", "events/s", "ratio vs without", "time inside the step"):
        table.add_column(column, justify="right")
    table.add_row("without the step (baseline)", f"{len(events) / best_without:,.0f}", "100.0%", "")
    table.add_row(
        "with summaries, restatements, effort",
        f"{len(events) / best_with:,.0f}",
        f"{100 * best_without / best_with:.1f}%",
        f"{100 * share:.1f}% (median)",
    )
    out.print(table)
    print(
        json.dumps(
            {
                "benchmark": "wrap_up",
                "events": len(events),
                "cases_every": args.cases,
                "eps_without": round(len(events) / best_without, 1),
                "eps_with": round(len(events) / best_with, 1),
                "ratio": round(best_without / best_with, 4),
                "share_inside_step": round(share, 4),
                "goal": {"share_max": 0.10, "met": share <= 0.10},
            }
        )
    )


if __name__ == "__main__":
    main()
