"""Load benchmark: open desks, an integration posting events, agents starting contacts and
reading cards, against ``warmline serve --workers 2`` on PostgreSQL, for a bounded time.

One asyncio client on loopback (httpx) plays, at the same time:

* ``--desks`` open desks (default 300), each signed in with its own agent key and holding
  its live stream (``/desk/stream``, Server-Sent Events);
* an integration posting ``--events-per-second`` (default 1,000) in batches of ``--batch``
  (each batch whole interactions: started, messages, ended, for seeded customers);
* ``--contacts-per-second`` (default 20) contacts started (``POST /v1/contacts``), each
  routed to a random desk; the agent then reads the customer's card over the API.

It measures the **pop latency** (contact posted → its push received on the desk's stream,
whichever worker holds that stream), the **card latency**, throughput, errors, and checks
that the events acknowledged equal the events stored. Baselines in the same run, under
the same load: a bare ``NOTIFY`` → ``LISTEN`` round trip on the same PostgreSQL (the floor
of any push through it) and ``GET /healthz`` (the floor of any request through the
workers). Offered rates are open-loop: a request that cannot start because
``--concurrency`` requests are already in flight is counted as *shed*, never queued.

    scripts/with-postgres bash -c \\
        '.venv/bin/python benchmarks/load.py --postgres-url "$WARMLINE_TEST_POSTGRES_URL"'
    ... --seconds 60 --desks 300            # a shorter run

The schema ``public`` of ``--postgres-url`` is DROPPED and recreated.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from serving import free_port, httpx, percentile
from warmline.actions.keys import create_key
from warmline.storage import schema as t
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

WARMLINE = Path(sys.executable).parent / "warmline"
SOURCE = "urn:load-benchmark"
GOAL_POP_P99_MS, GOAL_CONTACTS, GOAL_EVENTS = 1000.0, 20.0, 1000.0
err = Console(stderr=True)


@dataclass
class Figures:
    pops: list[float] = field(default_factory=list)
    cards: list[float] = field(default_factory=list)
    contact_requests: list[float] = field(default_factory=list)
    # From the contact's answer to its push on the desk (0 when the push came first).
    deliveries: list[float] = field(default_factory=list)
    floor_http: list[float] = field(default_factory=list)
    floor_notify: list[float] = field(default_factory=list)
    contacts: int = 0
    batches: int = 0
    events_acked: int = 0
    shed: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    # Per desk, when each contact routed to it was posted (pushes arrive in order).
    waiting: dict[str, collections.deque[list[float]]] = field(
        default_factory=lambda: collections.defaultdict(collections.deque)
    )
    frames: int = 0


def email(n: int) -> str:
    return f"load{n}@example.org"


def envelope(kind: str, event_id: str, **data: Any) -> dict[str, Any]:
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": SOURCE,
        "type": kind,
        "time": stamp,
        "data": data,
    }


def interaction(n: int, customer: int, messages: int) -> list[dict[str, Any]]:
    """One whole chat: started, ``messages`` lines, ended (``messages + 2`` events)."""
    ref = {"identifiers": [{"kind": "email", "value": email(customer), "verified": True}]}
    iid = f"load-{n}"
    events = [envelope("interaction.started", f"{iid}-s", customer=ref, interaction_id=iid,
                       channel="chat")]  # fmt: skip
    for k in range(messages):
        speaker = "customer" if k % 2 == 0 else "agent"
        events.append(
            envelope(
                "message.posted",
                f"{iid}-m{k}",
                interaction_id=iid,
                speaker=speaker,
                text=f"line {k} about my card payment {n}",
            )
        )
    events.append(envelope("interaction.ended", f"{iid}-e", interaction_id=iid,
                           outcome="resolved"))  # fmt: skip
    return events


def reset(url: str) -> Any:
    engine = make_engine(url)
    ours = set(t.metadata.tables) | {"alembic_version"}
    foreign = set(sa.inspect(engine).get_table_names(schema="public")) - ours
    if foreign:
        raise SystemExit(f"refusing to drop schema public: it holds {sorted(foreign)[:5]}")
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine


def start_workers(url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "WARMLINE_DATABASE_URL": url,
        "WARMLINE_PORT": str(port),
        "WARMLINE_INSIGHT": "false",
        "WARMLINE_LOG_LEVEL": "WARNING",
        "WARMLINE_LOG_FORMAT": "text",
        "WARMLINE_POOL_SIZE": "10",
        "WARMLINE_POOL_MAX_OVERFLOW": "20",
    }
    with log.open("wb") as handle:
        return subprocess.Popen(
            [str(WARMLINE), "serve", "--workers", str(workers)],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children (live ones, and those reaped)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15]) / tick
    return total


class Runner:
    def __init__(self, args: argparse.Namespace, base: str, keys: dict[str, Any]) -> None:
        self.args, self.base, self.keys = args, base, keys
        self.fig = Figures()
        self.rng = random.Random(args.seed)
        self.stop = asyncio.Event()
        # Each kind of work has its own requests in flight: slow ingest does not shed contacts.
        self.slots = collections.defaultdict(lambda: asyncio.Semaphore(args.concurrency))
        limits = httpx.Limits(
            max_connections=3 * args.concurrency + 8, max_keepalive_connections=64
        )
        self.api = httpx.AsyncClient(base_url=base, timeout=30, limits=limits)
        self.streams = httpx.AsyncClient(
            base_url=base,
            timeout=httpx.Timeout(30, read=None),
            limits=httpx.Limits(max_connections=args.desks + 8),
        )
        self.next_interaction = 0
        self.unanswered: list[list[dict[str, Any]]] = []

    # -- desks ----------------------------------------------------------------------------

    async def desk(self, agent: str, cookie: str, opened: asyncio.Event) -> None:
        while not self.stop.is_set():
            try:
                async with self.streams.stream(
                    "GET", "/desk/stream", cookies={"wl_desk": cookie}
                ) as response:
                    if response.status_code != 200:
                        self.fig.errors[f"stream {response.status_code}"] += 1
                        await asyncio.sleep(1)
                        continue
                    opened.set()
                    async for line in response.aiter_lines():
                        if line.startswith("event: contact"):
                            arrived = time.perf_counter()
                            self.fig.frames += 1
                            queue = self.fig.waiting[agent]
                            if queue:
                                posted, answered = queue.popleft()
                                self.fig.pops.append(arrived - posted)
                                if answered:
                                    self.fig.deliveries.append(max(0.0, arrived - answered))
                        if self.stop.is_set():
                            return
            except httpx.HTTPError as exc:
                if self.stop.is_set():
                    return
                self.fig.errors[f"stream {type(exc).__name__}"] += 1
                await asyncio.sleep(0.5)

    # -- what the integration and the agents do ---------------------------------------------

    async def contact(self) -> None:
        n = self.fig.contacts
        self.fig.contacts += 1
        agent = f"agent-{self.rng.randrange(self.args.desks)}"
        customer = self.rng.randrange(self.args.customers)
        body = {
            "channel": "voice",
            "customer": {"identifiers": [{"kind": "email", "value": email(customer)}]},
            "agent_id": agent,
            "contact_id": f"load-contact-{n}",
        }
        posted = time.perf_counter()
        entry = [posted, 0.0]
        self.fig.waiting[agent].append(entry)
        response = await self.api.post("/v1/contacts", json=body, headers=self.keys["integrator"])
        entry[1] = time.perf_counter()
        self.fig.contact_requests.append(entry[1] - posted)
        if response.status_code != 201:
            self.fig.waiting[agent].pop()
            self.fig.errors[f"contact {response.status_code}"] += 1
            return
        customer_id = response.json().get("customer_id")
        if not customer_id:
            return
        began = time.perf_counter()
        card = await self.api.get(f"/v1/customers/{customer_id}/card", headers=self.keys["agent"])
        if card.status_code == 200:
            self.fig.cards.append(time.perf_counter() - began)
        else:
            self.fig.errors[f"card {card.status_code}"] += 1

    async def ingest(self) -> None:
        per = self.args.messages + 2
        events: list[dict[str, Any]] = []
        while len(events) + per <= self.args.batch:
            self.next_interaction += 1
            customer = self.rng.randrange(self.args.customers)
            events += interaction(self.next_interaction, customer, self.args.messages)
        try:
            response = await self.api.post(
                "/v1/events", json=events, headers=self.keys["integrator"]
            )
        except httpx.HTTPError:
            self.unanswered.append(events)  # sent again after the run, as an integration would
            raise
        self.answered(events, response)

    def answered(self, events: list[dict[str, Any]], response: Any) -> None:
        if response.status_code in (200, 202, 207):
            self.fig.batches += 1
            said = response.json()
            # Duplicates count: a batch sent again after a lost answer was stored the first time.
            stored = int(said["accepted"]) + int(said["pending"]) + int(said["duplicates"])
            self.fig.events_acked += stored
            if said["rejected"]:
                self.fig.errors["events rejected"] += int(said["rejected"])
        elif response.status_code in (429, 503):
            self.unanswered.append(events)
            self.fig.errors[f"events {response.status_code}"] += 1
        else:
            self.fig.errors[f"events {response.status_code}"] += 1

    async def resend_unanswered(self) -> None:
        """Batches whose answer was lost (a timeout, a 503) are sent again, untimed."""
        pending, self.unanswered = self.unanswered, []
        async with httpx.AsyncClient(base_url=self.base, timeout=300) as client:
            for events in pending:
                response = await client.post(
                    "/v1/events", json=events, headers=self.keys["integrator"]
                )
                self.answered(events, response)

    async def floor_http(self) -> None:
        began = time.perf_counter()
        response = await self.api.get("/healthz")
        if response.status_code == 200:
            self.fig.floor_http.append(time.perf_counter() - began)

    async def paced(self, name: str, rate: float, work: Callable[[], Awaitable[None]]) -> None:
        """``work`` started ``rate`` times a second (open loop) until the run ends."""
        if rate <= 0:
            return
        interval, due = 1.0 / rate, time.perf_counter()
        tasks: set[asyncio.Task[None]] = set()
        while not self.stop.is_set():
            due += interval
            if self.slots[name].locked():
                self.fig.shed[name] += 1
            else:
                task = asyncio.create_task(self._slot(name, work))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if tasks:
            await asyncio.wait(tasks, timeout=30)

    async def _slot(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        async with self.slots[name]:
            try:
                await work()
            except httpx.HTTPError as exc:
                self.fig.errors[f"{name} {type(exc).__name__}"] += 1


def notify_floor(url: str, stop: threading.Event, out: list[float]) -> None:
    """A bare NOTIFY → LISTEN round trip, twice a second, on the same database."""
    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with (
        psycopg.connect(conninfo, autocommit=True) as listener,
        psycopg.connect(conninfo, autocommit=True) as sender,
    ):
        listener.execute("LISTEN load_floor")
        while not stop.is_set():
            began = time.perf_counter()
            sender.execute("SELECT pg_notify('load_floor', 'x')")
            for _ in listener.notifies(timeout=5, stop_after=1):
                out.append(time.perf_counter() - began)
            stop.wait(0.5)


async def run(
    args: argparse.Namespace, base: str, keys: dict[str, Any], cookies: list[str]
) -> Figures:
    runner = Runner(args, base, keys)
    opened = [asyncio.Event() for _ in cookies]
    desks = [
        asyncio.create_task(runner.desk(f"agent-{i}", cookie, opened[i]))
        for i, cookie in enumerate(cookies)
    ]
    await asyncio.wait_for(asyncio.gather(*(o.wait() for o in opened)), timeout=120)
    err.print(f"{len(cookies)} desks streaming; load for {args.seconds} s")
    work = [
        asyncio.create_task(runner.paced("contacts", args.contacts_per_second, runner.contact)),
        asyncio.create_task(
            runner.paced("events", args.events_per_second / args.batch, runner.ingest)
        ),
        asyncio.create_task(runner.paced("healthz", 4, runner.floor_http)),
    ]
    await asyncio.sleep(args.seconds)
    runner.stop.set()
    await asyncio.gather(*work)
    await asyncio.sleep(2)  # the last pushes in flight
    for task in desks:
        task.cancel()
    await runner.resend_unanswered()
    await asyncio.gather(*desks, return_exceptions=True)
    await runner.api.aclose()
    await runner.streams.aclose()
    return runner.fig


def seed(base: str, keys: dict[str, Any], customers: int) -> None:
    """Every customer once, through the API (untimed)."""
    with httpx.Client(base_url=base, timeout=120) as client:
        for start in range(0, customers, 500):
            batch = [
                envelope(
                    "customer.identified",
                    f"seed-{n}",
                    customer={
                        "identifiers": [{"kind": "email", "value": email(n), "verified": True}]
                    },
                )
                for n in range(start, min(start + 500, customers))
            ]
            response = client.post("/v1/events", json=batch, headers=keys["integrator"])
            response.raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", required=True, help="its public schema is DROPPED")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--desks", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--contacts-per-second", type=float, default=GOAL_CONTACTS)
    parser.add_argument("--events-per-second", type=float, default=GOAL_EVENTS)
    parser.add_argument("--batch", type=int, default=100, help="events per ingest request")
    parser.add_argument("--messages", type=int, default=8, help="messages per interaction")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument(
        "--concurrency", type=int, default=32, help="requests in flight, per kind of work"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    engine = reset(args.postgres_url)
    keys: dict[str, Any] = {}
    _, integrator = create_key(engine, role="integrator", name="load-pbx", may_verify=True)
    _, reader = create_key(engine, role="agent", name="load-reader")
    keys["integrator"] = {"Authorization": f"Bearer {integrator}"}
    keys["agent"] = {"Authorization": f"Bearer {reader}"}
    desk_keys = [create_key(engine, role="agent", name=f"agent-{i}")[1] for i in range(args.desks)]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="warmline-load-"))
    log = workdir / "serve.log"
    server = start_workers(args.postgres_url, port, args.workers, log)
    try:
        deadline = time.monotonic() + 300  # workers start slowly on a loaded machine
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the server exited:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the server was not ready within 300 s:\n{log.read_text()}")
            time.sleep(0.2)
        seed(base, keys, args.customers)
        with httpx.Client(base_url=base, timeout=60) as client:
            cookies = []
            for key in desk_keys:
                signed = client.post("/desk/sign-in", data={"key": key})
                cookies.append(signed.cookies["wl_desk"])
        with engine.connect() as conn:
            stored_before = conn.execute(
                sa.select(sa.func.count())
                .select_from(t.raw_events)
                .where(t.raw_events.c.source == SOURCE)
            ).scalar_one()

        floor_stop, floor_notify = threading.Event(), []  # type: ignore[var-annotated]
        floor = threading.Thread(
            target=notify_floor, args=(args.postgres_url, floor_stop, floor_notify), daemon=True
        )
        load_before, cpu_before, client_before = (
            os.getloadavg(),
            cpu_seconds(server.pid),
            time.process_time(),
        )
        wall = time.perf_counter()
        floor.start()
        fig = asyncio.run(run(args, base, keys, cookies))
        floor_stop.set()
        floor.join(timeout=10)
        wall = time.perf_counter() - wall
        server_cpu = cpu_seconds(server.pid) - cpu_before
        client_cpu = time.process_time() - client_before
        load_after = os.getloadavg()
        fig.floor_notify = floor_notify
        with engine.connect() as conn:
            stored = (
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(t.raw_events)
                    .where(t.raw_events.c.source == SOURCE)
                ).scalar_one()
                - stored_before
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    report(args, fig, stored, wall, server_cpu, client_cpu, load_before, load_after)


def ms(values: list[float], q: float) -> float | None:
    return round(percentile(values, q) * 1000, 1) if values else None


def report(
    args: argparse.Namespace,
    fig: Figures,
    stored: int,
    wall: float,
    server_cpu: float,
    client_cpu: float,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    seconds = args.seconds
    result = {
        "benchmark": "load",
        "workers": args.workers,
        "desks": args.desks,
        "seconds": seconds,
        "offered": {
            "contacts_per_second": args.contacts_per_second,
            "events_per_second": args.events_per_second,
        },
        "contacts_per_second": round(fig.contacts / seconds, 1),
        "events_per_second": round(fig.events_acked / seconds, 1),
        "cards": len(fig.cards),
        "pops": len(fig.pops),
        "pop_ms": {"p50": ms(fig.pops, 0.5), "p99": ms(fig.pops, 0.99)},
        "card_ms": {"p50": ms(fig.cards, 0.5), "p99": ms(fig.cards, 0.99)},
        "push_after_answer_ms": {"p50": ms(fig.deliveries, 0.5), "p99": ms(fig.deliveries, 0.99)},
        "contact_request_ms": {
            "p50": ms(fig.contact_requests, 0.5),
            "p99": ms(fig.contact_requests, 0.99),
        },
        "floor_notify_ms": {"p50": ms(fig.floor_notify, 0.5), "p99": ms(fig.floor_notify, 0.99)},
        "floor_healthz_ms": {"p50": ms(fig.floor_http, 0.5), "p99": ms(fig.floor_http, 0.99)},
        "events_acked": fig.events_acked,
        "events_stored": stored,
        "events_in_equal_stored": fig.events_acked == stored,
        "errors": dict(fig.errors),
        "shed": dict(fig.shed),
        "pushes_unmatched": sum(len(q) for q in fig.waiting.values()),
        "server_cpu_cores": round(server_cpu / wall, 2),
        "client_cpu_cores": round(client_cpu / wall, 2),
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in load_after],
    }
    pop_p99 = result["pop_ms"]["p99"]
    result["goal"] = {
        "pop_p99_ms": GOAL_POP_P99_MS,
        "met": bool(
            pop_p99 is not None
            and pop_p99 <= GOAL_POP_P99_MS
            and result["contacts_per_second"] >= 0.95 * GOAL_CONTACTS
            and result["events_per_second"] >= 0.95 * GOAL_EVENTS
            and result["events_in_equal_stored"]
        ),
    }

    table = Table(
        title=f"Load: {args.desks} desks, {args.workers} workers on PostgreSQL, {seconds:.0f} s"
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("contacts/s (offered)", f"{result['contacts_per_second']} ({args.contacts_per_second})"),
        ("events/s acknowledged (offered)",
         f"{result['events_per_second']} ({args.events_per_second})"),
        ("pop p50 / p99 ms", f"{result['pop_ms']['p50']} / {pop_p99}"),
        ("  floor: NOTIFY→LISTEN p50 / p99 ms",
         f"{result['floor_notify_ms']['p50']} / {result['floor_notify_ms']['p99']}"),
        ("  of which POST /v1/contacts p50 / p99 ms",
         f"{result['contact_request_ms']['p50']} / {result['contact_request_ms']['p99']}"),
        ("  push on the desk after the answer p50 / p99 ms",
         f"{result['push_after_answer_ms']['p50']} / {result['push_after_answer_ms']['p99']}"),
        ("card p50 / p99 ms", f"{result['card_ms']['p50']} / {result['card_ms']['p99']}"),
        ("  floor: /healthz p50 / p99 ms",
         f"{result['floor_healthz_ms']['p50']} / {result['floor_healthz_ms']['p99']}"),
        ("pops received / contacts", f"{len(fig.pops)} / {fig.contacts}"),
        ("events acknowledged (lost answers resent) = stored",
         f"{fig.events_acked} = {stored}: {result['events_in_equal_stored']}"),
        ("errors", json.dumps(dict(fig.errors)) or "0"),
        ("shed (client could not start)", json.dumps(dict(fig.shed))),
        ("server CPU (cores of 2)", str(result["server_cpu_cores"])),
        ("client CPU (cores)", str(result["client_cpu_cores"])),
        ("load average before → after", f"{load_before[0]:.1f} → {load_after[0]:.1f}"),
        ("goal (pop p99 ≤ 1 s at 20 contacts/s, 1,000 events/s)", str(result["goal"]["met"])),
    ]  # fmt: skip
    for name, value in rows:
        table.add_row(name, value)
    Console(stderr=True).print(table)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
