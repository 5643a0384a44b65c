"""Ingest benchmark: Warmline's ingest path against a raw ``executemany`` floor.

Generates a deterministic synthetic memory (default 100,000 customers with 10
interactions each: 1M interactions, about 3.6M events) and loads it twice into
freshly migrated databases of the same backend, in the same run:

* **ours**: :func:`warmline.actions.ingest.ingest_events` on batches of 1,000
  envelopes (dicts, as ``POST /v1/events`` hands them over after JSON parsing):
  validation, idempotency check, projection and the raw log, one transaction a batch,
  with conversation insight off (the floor has no models to write its rows with;
  ``benchmarks/insight.py`` measures ingest with insight on against off) and, unless
  ``--metrics on``, the metric rollups and risk scores too (the floor writes neither;
  ``benchmarks/metrics.py`` measures what keeping them at ingest costs). On PostgreSQL
  each table's rows go by ``COPY`` (:mod:`warmline.storage.bulk`);
* **floor**: the same final rows the projection writes (raw log, customers,
  identifiers, name tokens, interactions, messages, activities, facts), built
  before the clock starts and written with the DB-API cursor's ``executemany``,
  one commit per 1,000 events, on a connection set up exactly as Warmline's.

On SQLite both databases are then compared table by table, so the floor is known
to have written the same memory. With ``--postgres-url`` the pair is repeated on
PostgreSQL (the database's ``public`` schema is dropped and recreated). Finally
the real HTTP server is started on 127.0.0.1 and fed, for a bounded time,
single-event requests and then 100-event requests, each acknowledged only once
durable (SQLite ``synchronous=FULL`` unless told otherwise).

Events are generated customer by customer (identified, then each interaction's
started, messages and ended, then a few activities), in chunks of batches, so
memory stays bounded at any size. Generating envelopes and building floor rows
is never timed. Progress goes to stderr; stdout gets a table and, last, one
JSON line with every figure.

    .venv/bin/python benchmarks/ingest.py --customers 10000
    .venv/bin/python benchmarks/ingest.py --customers 1000000      # the large run
    scripts/with-postgres bash -c \\
        '.venv/bin/python benchmarks/ingest.py --postgres-url "$WARMLINE_TEST_POSTGRES_URL"'
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import itertools
import json
import os
import platform
import pstats
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import phonenumbers
import sqlalchemy as sa
from psycopg.types.json import Jsonb
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine

from serving import free_port, httpx, percentile, start_server, stop_server, wait_ready
from warmline.actions.ingest import BatchResult, ingest_events
from warmline.actions.keys import create_key
from warmline.domain.conversation.summary import summarise
from warmline.domain.conversation.turns import Turn
from warmline.domain.identity.matching import blocking_keys, record_from
from warmline.domain.identity.names import name_tokens
from warmline.domain.ids import stable_id
from warmline.storage import schema as t
from warmline.storage.engine import make_engine, normalise_url
from warmline.storage.migrate import upgrade

GOAL_RATIO = 0.30
CHUNK_BATCHES = 20  # batches generated (untimed), then timed, at a time: bounds memory
PROGRESS_EVERY_S = 5.0
BASE_TIME = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite

err = Console(stderr=True, soft_wrap=True)
out = Console(width=120)

# -- synthetic data ------------------------------------------------------------------------

FIRST_NAMES = (
    "Ada", "José", "Priya", "Oluwaseun", "Zoë", "Liam", "Mei", "Fatima", "Søren", "Chloé",
    "Miles", "Aisha", "Tomasz", "Niamh", "Kwame", "Ingrid", "Rafael", "Yuki", "Siobhán", "Omar",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "García", "Patel", "Adeyemi", "Müller", "O'Brien", "Chen", "Haddad", "Nørgaard",
    "Dubois", "Okafor", "Kowalski", "Ní Bhriain", "Mensah", "Johansson", "Ferreira", "Tanaka",
    "Smith", "Jones", "Williams-Brown",
)  # fmt: skip
SEGMENTS = ("retail", "premier", "business", "student")
CHANNELS = ("chat", "voice", "email", "sms", "app", "web")
QUEUES = ("cards", "payments", "mortgages", "fraud", "general", "complaints")
SUBJECTS = (None, "Card declined", "Change of address", "Missing payment", "Fee refund", "Login")
CUSTOMER_TEXT = (
    "My card got declined at the fuel station this morning.",
    "I'd like to change the address on my account, we moved last week.",
    "A payment I made on Friday still hasn't arrived.",
    "Why was I charged an overdraft fee? I was only over for a day.",
    "I cannot log in to the app, it says my details are wrong.",
    "Can you tell me when my new card will arrive?",
    "I think someone has used my card without permission.",
    "I want to increase my credit limit, what do I need to send?",
    "The direct debit to my energy supplier bounced again.",
    "Could you send me last year's statements by email please?",
    "I was promised a call back yesterday and nobody rang.",
    "How do I add my partner to the account?",
)
AGENT_TEXT = (
    "Sorry to hear it, let me take a look for you.",
    "Thanks for waiting, I can see what happened there.",
    "I've raised that with the team and you'll hear back within two days.",
    "That's done now; you'll get a confirmation by email.",
    "For security, can you confirm the last four digits of your card?",
)
ENDINGS = (
    ("resolved", "card_declined"),
    ("resolved", "address_changed"),
    ("resolved", "information_given"),
    ("unresolved", "awaiting_documents"),
    ("escalated", "suspected_fraud"),
    ("follow_up", "callback_booked"),
    ("abandoned", None),
)
ACTIVITIES: tuple[tuple[str, str, Callable[[random.Random], dict[str, Any]]], ...] = (
    (
        "payment.failed",
        "Direct debit returned unpaid",
        lambda r: {"amount_pence": r.randrange(500, 50_000), "currency": "GBP", "retry": True},
    ),
    ("card.replaced", "Replacement card sent", lambda r: {"reason": r.choice(["lost", "stolen"])}),
    ("address.changed", "Address updated online", lambda r: {"verified": r.random() < 0.5}),
    ("app.login_failed", "Three failed log-ins", lambda r: {"attempts": r.randrange(3, 6)}),
    ("statement.issued", "Monthly statement", lambda r: {"pages": r.randrange(1, 5)}),
)


@dataclass(frozen=True, slots=True)
class Synthetic:
    """One generated event: its envelope, the customer it lands on, and the rows it creates.

    ``rows`` holds the final projected rows (by table name) this event is the first to
    create; events that only change a row (messages, endings) contribute their changes to
    the row carried by the event that creates it. Empty unless rows were asked for.
    """

    envelope: dict[str, Any]
    customer_id: str
    time: dt.datetime
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def phone_e164(n: int) -> str:
    """Customer ``n``'s mobile number in E.164 (UK 074xx range: every number in it is valid)."""
    return f"+4474{n % 100_000_000:08d}"


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(
    source: str, event_id: str, type_: str, moment: dt.datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": type_,
        "time": _stamp(moment),
        "data": data,
    }


def customer_events(seed: int, n: int, interactions: int, with_rows: bool) -> list[Synthetic]:
    """Every event of customer ``n``, in order; deterministic for ``(seed, n)``."""
    rng = random.Random(seed * 1_000_003 + n)
    email, phone = f"c{n}@example.org", phone_e164(n)
    # Channels write identifiers their own way; normalisation must make them agree.
    email_as_sent = email if n % 2 else f"C{n}@Example.org"
    phone_national = "0" + phone[3:]
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    since = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(7_000))
    segment = rng.choice(SEGMENTS)
    seen = BASE_TIME + dt.timedelta(seconds=rng.randrange(365 * 86_400))

    source, event_id = "crm", f"cus-{n}"
    customer_id = stable_id("cus", source, event_id)
    traits = {"name": name, "customer_since": since.isoformat(), "segment": segment}
    identified = _envelope(
        source,
        event_id,
        "customer.identified",
        seen,
        {
            "customer": {
                "identifiers": [
                    {"kind": "email", "value": email_as_sent, "verified": True},
                    {"kind": "phone", "value": phone, "verified": True},
                ],
                "traits": traits,
            }
        },
    )
    rows = (
        _customer_rows(customer_id, source, event_id, seen, email, phone, traits)
        if with_rows
        else {}
    )
    events = [Synthetic(identified, customer_id, seen, rows)]

    moment = seen
    for j in range(interactions):
        moment += dt.timedelta(seconds=rng.randrange(3_600, 30 * 86_400))
        events.extend(
            _interaction(rng, n, j, customer_id, moment, email_as_sent, phone_national, with_rows)
        )
    for k in range((rng.random() < 0.35) + (rng.random() < 0.10)):
        name_, summary, attributes = rng.choice(ACTIVITIES)
        at = seen + dt.timedelta(seconds=rng.randrange(int((moment - seen).total_seconds()) + 1))
        source, event_id = "billing", f"act-{n}-{k}"
        activity = _envelope(
            source,
            event_id,
            "activity",
            at,
            {
                "customer": {"identifiers": [{"kind": "email", "value": email, "verified": True}]},
                "name": name_,
                "summary": summary,
                "attributes": attributes(rng),
            },
        )
        rows = {}
        if with_rows:
            rows["activities"] = [
                {
                    "id": stable_id("act", source, event_id),
                    "customer_id": customer_id,
                    "origin_id": customer_id,
                    "name": name_,
                    "summary": summary,
                    "attributes": activity["data"]["attributes"],
                    "source": source,
                    "occurred_at": at,
                }
            ]
        events.append(Synthetic(activity, customer_id, at, rows))
    return events


def _customer_rows(
    customer_id: str,
    source: str,
    event_id: str,
    seen: dt.datetime,
    email: str,
    phone: str,
    traits: dict[str, str],
) -> dict[str, list[dict[str, Any]]]:
    """What the projection writes for a first ``customer.identified``: customer, ids, facts,
    and the record's match profile and blocking keys."""
    at = seen.isoformat()
    idents = (("email", email), ("phone", phone))
    record = record_from({"name": traits["name"]}, [(k, v, True) for k, v in idents])
    return {
        "customers": [
            {
                "id": customer_id,
                "status": "active",
                "merged_into": None,
                "name": traits["name"],
                "preferred_name": None,
                "customer_since": dt.date.fromisoformat(traits["customer_since"]),
                "traits": {k: {"value": v, "source": source, "at": at} for k, v in traits.items()},
                "created_at": seen,
                "updated_at": seen,
            }
        ],
        "identifiers": [
            {
                "id": stable_id("idn", customer_id, kind, value),
                "customer_id": customer_id,
                "origin_id": customer_id,
                "kind": kind,
                "value": value,
                "verified": True,
                "source": source,
                "first_seen_at": seen,
            }
            for kind, value in idents
        ],
        "name_tokens": [
            {"token": token, "customer_id": customer_id} for token in name_tokens(traits["name"])
        ],
        "match_profiles": [
            {
                "origin_id": customer_id,
                "inputs": {
                    "traits": {"name": {"value": traits["name"], "source": source, "at": at}},
                    "identifiers": [[kind, value, True] for kind, value in idents],
                },
                "record": record.to_json(),
            }
        ],
        "match_keys": [
            {"key": key, "origin_id": customer_id} for key in dict.fromkeys(blocking_keys(record))
        ],
        "facts": [
            {
                "id": stable_id("fct", source, event_id, key),
                "customer_id": customer_id,
                "origin_id": customer_id,
                "key": key,
                "value": value,
                "source": source,
                "sensitive": False,
                "observed_at": seen,
            }
            for key, value in traits.items()
        ],
    }


def _interaction(
    rng: random.Random,
    n: int,
    j: int,
    customer_id: str,
    start: dt.datetime,
    email: str,
    phone_national: str,
    with_rows: bool,
) -> list[Synthetic]:
    """One contact: started (naming the customer by email or phone), 1-2 messages, ended."""
    source, external_id = "contact-centre", f"c{n}-i{j}"
    interaction_id = stable_id("int", external_id)
    channel, queue, subject = rng.choice(CHANNELS), rng.choice(QUEUES), rng.choice(SUBJECTS)
    agent = f"agent-{rng.randrange(400):03d}"
    ident = (
        {"kind": "email", "value": email, "verified": True}
        if rng.random() < 0.5
        else {"kind": "phone", "value": phone_national}
    )
    started: dict[str, Any] = {
        "customer": {"identifiers": [ident]},
        "interaction_id": external_id,
        "channel": channel,
        "agent_id": agent,
        "queue": queue,
    }
    if subject:
        started["subject"] = subject
    events = [
        Synthetic(
            _envelope(source, f"{external_id}-start", "interaction.started", start, started),
            customer_id,
            start,
        )
    ]
    moment = start + dt.timedelta(seconds=rng.randrange(5, 60))
    lines = [("customer", rng.choice(CUSTOMER_TEXT))]
    if rng.random() < 0.5:
        lines.append(("agent", rng.choice(AGENT_TEXT)))
    messages = []
    for k, (speaker, text) in enumerate(lines):
        if k:
            moment += dt.timedelta(seconds=rng.randrange(20, 300))
        event_id = f"{external_id}-m{k}"
        data = {"interaction_id": external_id, "speaker": speaker, "text": text}
        if speaker == "agent":
            data["agent_id"] = agent
        events.append(
            Synthetic(
                _envelope(source, event_id, "message.posted", moment, data), customer_id, moment
            )
        )
        messages.append(
            {
                "id": stable_id("msg", source, event_id),
                "customer_id": customer_id,
                "interaction_id": interaction_id,
                "speaker": speaker,
                "text": text,
                "agent_id": data.get("agent_id"),
                "sent_at": moment,
            }
        )
    last_message = moment
    moment += dt.timedelta(seconds=rng.randrange(30, 600))
    outcome, reason = rng.choice(ENDINGS)
    summary = "Customer advised; notes added to the account." if rng.random() < 0.2 else None
    ended: dict[str, Any] = {"interaction_id": external_id, "outcome": outcome}
    if reason:
        ended["reason"] = reason
    if summary:
        ended["summary"] = summary
    events.append(
        Synthetic(
            _envelope(source, f"{external_id}-end", "interaction.ended", moment, ended),
            customer_id,
            moment,
        )
    )
    if with_rows:
        # Ingest summarises an ended interaction the source sent no summary for; the floor
        # writes the same line, worked out here before the clock starts.
        by = "source" if summary else None
        if summary is None:
            turns = [Turn(m["speaker"], m["text"], m["sent_at"], m["agent_id"]) for m in messages]
            summary = summarise(turns) or None
            by = "warmline" if summary else None
        events[0].rows["interactions"] = [
            {
                "id": interaction_id,
                "external_id": external_id,
                "customer_id": customer_id,
                "origin_id": customer_id,
                "source": source,
                "channel": channel,
                "status": "ended",
                "started_at": start,
                "ended_at": moment,
                "agent_id": agent,
                "queue": queue,
                "subject": subject,
                "outcome": outcome,
                "reason": reason,
                "summary": summary,
                "case_id": None,
                "transfers": 0,
                "message_count": len(messages),
                "last_message_at": last_message,
                "summary_by": by,
                "restatements": None,
                "verified_by": None,
            }
        ]
        for event, message in zip(events[1 : 1 + len(messages)], messages, strict=True):
            event.rows["messages"] = [message]
    return events


def synthetic_stream(
    seed: int, customers: Iterable[int], interactions: int, *, with_rows: bool
) -> Iterator[Synthetic]:
    """The events of ``customers``, one customer after another."""
    for n in customers:
        yield from customer_events(seed, n, interactions, with_rows)


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of ``size`` items (the last may be shorter)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def estimated_events(customers: int, interactions: int) -> int:
    """Expected event count: 1 identified + 3.5 per interaction + 0.45 activities a customer."""
    return int(customers * (1 + 3.5 * interactions + 0.45))


def check_phone_range(sample: int = 2_000) -> None:
    """Fail early if the installed phonenumbers no longer accepts the numbers we generate."""
    rng = random.Random(0)
    for n in (0, 99_999_999, *(rng.randrange(100_000_000) for _ in range(sample))):
        if not phonenumbers.is_valid_number(phonenumbers.parse(phone_e164(n), "GB")):
            raise SystemExit(f"generated phone {phone_e164(n)} is not valid; change phone_e164")


# -- measuring ---------------------------------------------------------------------------


@dataclass
class Run:
    """Events written and the seconds spent writing them (generation excluded)."""

    events: int = 0
    seconds: float = 0.0
    chunk_rates: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def add(self, events: int, seconds: float) -> None:
        self.events += events
        self.seconds += seconds
        self.chunk_rates.append(events / seconds if seconds else 0.0)

    def merge(self, other: Run) -> None:
        """Another run of the same work added to this one (rounds of one benchmark)."""
        self.events += other.events
        self.seconds += other.seconds
        self.chunk_rates.extend(other.chunk_rates)


class Reporter:
    """Progress lines on stderr, at most one every few seconds."""

    def __init__(self, label: str, expected: int) -> None:
        self.label, self.expected = label, expected
        self.last, self.shown = time.monotonic(), -1

    def update(self, run: Run, final: bool = False) -> None:
        now = time.monotonic()
        if (final or now - self.last >= PROGRESS_EVERY_S) and run.events != self.shown:
            self.last, self.shown = now, run.events
            recent = f", last chunk {run.chunk_rates[-1]:,.0f} ev/s" if run.chunk_rates else ""
            err.print(
                f"[dim]{self.label}:[/] {run.events:,} / ~{self.expected:,} events, "
                f"{run.seconds:,.1f} s, {run.rate:,.0f} ev/s{recent}",
                highlight=False,
            )


def _stream(args: argparse.Namespace, *, with_rows: bool) -> Iterator[Synthetic]:
    return synthetic_stream(
        args.seed, range(args.customers), args.interactions_per_customer, with_rows=with_rows
    )


def run_ours(
    engine: Engine, args: argparse.Namespace, label: str, profile: cProfile.Profile | None = None
) -> Run:
    """Load the memory through ``ingest_events``, the code path of ``POST /v1/events``.

    With ``profile``, only the timed calls are profiled (not the data generation).
    """
    run = Run()
    reporter = Reporter(label, estimated_events(args.customers, args.interactions_per_customer))
    batches = batched((s.envelope for s in _stream(args, with_rows=False)), args.batch)
    for chunk in batched(batches, CHUNK_BATCHES):
        results: list[BatchResult] = []
        if profile:
            profile.enable()
        start = time.perf_counter()
        for batch in chunk:
            results.append(
                ingest_events(
                    engine,
                    batch,
                    max_batch=max(args.batch, 10_000),
                    insight=False,
                    metrics=args.metrics == "on",
                )
            )
        run.add(sum(map(len, chunk)), time.perf_counter() - start)
        if profile:
            profile.disable()
        for batch, result in zip(chunk, results, strict=True):
            _check_accepted(batch, result)
        reporter.update(run)
    reporter.update(run, final=True)
    return run


def _check_accepted(batch: list[dict[str, Any]], result: BatchResult) -> None:
    if result.count("accepted") != len(batch):
        bad = next(item for item in result.items if item.status != "accepted")
        raise RuntimeError(f"synthetic event not accepted: {bad.to_json()}")


FLOOR_TABLES = (
    t.raw_events,
    t.customers,
    t.identifiers,
    t.name_tokens,
    t.interactions,
    t.messages,
    t.activities,
    t.facts,
    t.match_profiles,
    t.match_keys,
)

Converter = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).strftime(SQLITE_DATETIME)


def _sqlite_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _converter(column: sa.Column[Any], dialect: str) -> Converter:
    """How the DB-API driver must receive ``column``'s values to store what SQLAlchemy would."""
    kind = column.type
    if dialect == "postgresql":
        return Jsonb if isinstance(kind, sa.JSON) else _identity
    if isinstance(kind, t.UTCDateTime):
        return _sqlite_datetime
    if isinstance(kind, sa.JSON):
        return json.dumps  # SQLAlchemy's default JSON serialiser
    if isinstance(kind, sa.Date):
        return _sqlite_date
    if isinstance(kind, sa.Boolean):
        return _sqlite_bool
    return _identity


class FloorWriter:
    """Writes precomputed projection rows with plain DB-API ``executemany``: the floor."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        mark = "?" if dialect == "sqlite" else "%s"
        self.statements: dict[str, str] = {}
        self.columns: dict[str, list[tuple[str, Converter]]] = {}
        self.defaults: dict[str, dict[str, Any]] = {}
        self.mark = mark
        self.server_only: dict[str, set[str]] = {}
        for table in FLOOR_TABLES:
            columns = [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]
            self.columns[table.name] = [(c.name, _converter(c, dialect)) for c in columns]
            # A column the synthetic rows leave out takes its default, as a projected row
            # does (a new NOT NULL column with a default needs no change here): a Python
            # default is written, a column with only a server default is left to the server.
            self.defaults[table.name] = {
                c.name: c.default.arg
                for c in columns
                if isinstance(c.default, sa.ColumnDefault) and c.default.is_scalar
            }
            self.server_only[table.name] = {
                c.name
                for c in columns
                if c.server_default is not None and c.name not in self.defaults[table.name]
            }

    def _statement(self, table: str, names: tuple[str, ...]) -> str:
        key = f"{table}:{','.join(names)}"
        if key not in self.statements:
            columns = ", ".join(f'"{name}"' for name in names)
            marks = ", ".join(self.mark for _ in names)
            self.statements[key] = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        return self.statements[key]

    def prepare(
        self, batch: list[Synthetic], received_at: dt.datetime
    ) -> list[tuple[str, list[tuple[Any, ...]]]]:
        """``(statement, parameter rows)`` per table for one batch, ready for ``executemany``."""
        rows: dict[str, list[dict[str, Any]]] = {table.name: [] for table in FLOOR_TABLES}
        for item in batch:
            envelope = item.envelope
            rows["raw_events"].append(
                {
                    "source": envelope["source"],
                    "event_id": envelope["id"],
                    "type": envelope["type"],
                    "time": item.time,
                    "received_at": received_at,
                    "customer_id": item.customer_id,
                    "awaiting": None,
                    "envelope": orjson.dumps(envelope).decode(),
                }
            )
            for name, created in item.rows.items():
                rows[name].extend(created)
        prepared = []
        for name, table_rows in rows.items():
            if table_rows:
                # Columns the synthetic rows leave out take their default, else NULL.
                defaults, server_only = self.defaults[name], self.server_only[name]
                present = set().union(*(row.keys() for row in table_rows))
                columns = [
                    (c, convert)
                    for c, convert in self.columns[name]
                    if c in present or c not in server_only
                ]
                params = [
                    tuple(convert(row.get(c, defaults.get(c))) for c, convert in columns)
                    for row in table_rows
                ]
                statement = self._statement(name, tuple(c for c, _ in columns))
                prepared.append((statement, params))
        return prepared

    def write(self, dbapi_conn: Any, prepared: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        """One transaction: every table's rows for one batch, then commit."""
        cursor = dbapi_conn.cursor()
        if self.dialect == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")  # as Warmline's writing connections do
        for statement, params in prepared:
            cursor.executemany(statement, params)
        dbapi_conn.commit()
        cursor.close()


def run_floor(engine: Engine, args: argparse.Namespace, label: str) -> Run:
    """Write the same memory with raw ``executemany``, rows built before the clock starts."""
    run = Run()
    reporter = Reporter(label, estimated_events(args.customers, args.interactions_per_customer))
    writer = FloorWriter(engine.dialect.name)
    raw = engine.raw_connection()  # set up by Warmline's engine: same pragmas, same driver
    try:
        dbapi_conn = raw.driver_connection
        for chunk in batched(batched(_stream(args, with_rows=True), args.batch), CHUNK_BATCHES):
            received_at = dt.datetime.now(dt.UTC)
            prepared = [writer.prepare(batch, received_at) for batch in chunk]
            start = time.perf_counter()
            for statements in prepared:
                writer.write(dbapi_conn, statements)
            run.add(sum(map(len, chunk)), time.perf_counter() - start)
            reporter.update(run)
    finally:
        raw.close()
    reporter.update(run, final=True)
    return run


def print_profile(profile: cProfile.Profile, label: str, lines: int = 25) -> None:
    """The top ``lines`` functions of ``profile`` by cumulative time, on stderr."""
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(lines)
    err.print(f"[bold]profile of {label} (timed calls only)[/]", highlight=False)
    err.print(text.getvalue(), markup=False, highlight=False)


# -- SQLite --------------------------------------------------------------------------------


def fresh_sqlite(path: Path, synchronous: str) -> Engine:
    """A new, migrated SQLite file behind Warmline's own engine set-up."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}", sqlite_synchronous=synchronous)
    upgrade(engine)
    return engine


def compare_sqlite(ours: Path, floor: Path) -> dict[str, Any]:
    """Row counts of both memories, and rows of each that the other lacks, table by table."""
    tables: dict[str, Any] = {}
    conn = sqlite3.connect(ours)
    try:
        conn.execute("ATTACH DATABASE ? AS floor", (str(floor),))
        for table in FLOOR_TABLES:
            names = ", ".join(f'"{c.name}"' for c in table.columns if c.name != "received_at")
            ours_only, floor_only = (
                conn.execute(
                    f"SELECT count(*) FROM (SELECT {names} FROM {a}.{table.name} "
                    f"EXCEPT SELECT {names} FROM {b}.{table.name})"
                ).fetchone()[0]
                for a, b in (("main", "floor"), ("floor", "main"))
            )
            tables[table.name] = {
                "ours": conn.execute(f"SELECT count(*) FROM main.{table.name}").fetchone()[0],
                "floor": conn.execute(f"SELECT count(*) FROM floor.{table.name}").fetchone()[0],
                "ours_only": ours_only,
                "floor_only": floor_only,
            }
    finally:
        conn.close()
    match = all(v["ours_only"] == 0 and v["floor_only"] == 0 for v in tables.values())
    return {"rows_match": match, "tables": tables}


def bench_sqlite(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Ours and the floor on two fresh SQLite files in ``workdir``, then compare them."""
    sync = args.sqlite_synchronous
    ours_path, floor_path = workdir / "ours.db", workdir / "floor.db"
    engine = fresh_sqlite(ours_path, sync)
    profile = cProfile.Profile() if args.profile else None
    try:
        ours = run_ours(engine, args, "sqlite ours", profile)
    finally:
        engine.dispose()
    if profile:
        print_profile(profile, "sqlite ours")
    engine = fresh_sqlite(floor_path, sync)
    try:
        floor = run_floor(engine, args, "sqlite floor")
    finally:
        engine.dispose()
    if ours.events != floor.events:
        raise RuntimeError(f"ours wrote {ours.events} events, the floor {floor.events}")
    err.print("[dim]comparing the two memories table by table[/]")
    comparison = compare_sqlite(ours_path, floor_path)
    if not comparison["rows_match"]:
        err.print(f"[bold red]the memories differ:[/] {comparison['tables']}", highlight=False)
    return {
        "synchronous": sync,
        "sqlite_version": sqlite3.sqlite_version,
        "filesystem": filesystem_of(workdir),
        **_pair(ours, floor),
        "bytes": {
            "ours": ours_path.stat().st_size,
            "floor": floor_path.stat().st_size,
        },
        **comparison,
    }


def _pair(ours: Run, floor: Run) -> dict[str, Any]:
    return {
        "events": ours.events,
        "ours_seconds": round(ours.seconds, 3),
        "ours_eps": round(ours.rate, 1),
        "ours_eps_first_chunk": round(ours.chunk_rates[0], 1) if ours.chunk_rates else None,
        "ours_eps_last_chunk": round(ours.chunk_rates[-1], 1) if ours.chunk_rates else None,
        "floor_seconds": round(floor.seconds, 3),
        "floor_eps": round(floor.rate, 1),
        "ratio": round(ours.rate / floor.rate, 4) if floor.rate else None,
    }


def filesystem_of(path: Path) -> str | None:
    """The file-system type holding ``path`` (fsync on tmpfs proves nothing), if known."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    best, kind = "", None
    resolved = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if (
            len(parts) >= 3
            and (resolved + "/").startswith(parts[1].rstrip("/") + "/")
            and len(parts[1]) >= len(best)
        ):
            best, kind = parts[1], parts[2]
    return kind


# -- PostgreSQL ----------------------------------------------------------------------------


def reset_postgres(engine: Engine) -> None:
    """Drop and recreate schema ``public`` and migrate; refuse if it holds foreign tables."""
    ours = set(t.metadata.tables) | {"alembic_version"}
    foreign = set(sa.inspect(engine).get_table_names(schema="public")) - ours
    if foreign:
        raise SystemExit(
            f"refusing to drop schema public: it holds tables Warmline does not own "
            f"({', '.join(sorted(foreign)[:5])}); point --postgres-url at a scratch database"
        )
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade(engine)


def truncate_postgres(engine: Engine) -> None:
    names = ", ".join(table.name for table in t.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY"))


def postgres_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in FLOOR_TABLES
        }


def bench_postgres(args: argparse.Namespace) -> dict[str, Any]:
    """Ours and the floor on the PostgreSQL at ``--postgres-url``, each on emptied tables,
    ``--pg-rounds`` times in turned order (ours first, then the floor first, ...): a
    shared machine's load drifts, and alternating puts the drift on both alike. The rates
    are over all rounds; each round's ratio is reported too."""
    url = normalise_url(args.postgres_url)
    engine = make_engine(url)
    try:
        reset_postgres(engine)
        with engine.connect() as conn:
            settings = {
                name: conn.execute(sa.text(f"SHOW {name}")).scalar_one()
                for name in ("server_version", "fsync", "synchronous_commit")
            }
    finally:
        engine.dispose()
    profile = cProfile.Profile() if args.profile else None
    ours, floor, per_round = Run(), Run(), []
    ours_counts: dict[str, int] = {}
    floor_counts: dict[str, int] = {}
    for r in range(args.pg_rounds):
        rates: dict[str, float] = {}
        for side in ("ours", "floor") if r % 2 == 0 else ("floor", "ours"):
            # A fresh engine each run: nothing cached in the process outlives the rows.
            engine = make_engine(url)
            try:
                truncate_postgres(engine)
                if side == "ours":
                    run = run_ours(engine, args, f"postgresql ours, round {r + 1}", profile)
                    ours_counts = postgres_counts(engine)
                else:
                    run = run_floor(engine, args, f"postgresql floor, round {r + 1}")
                    floor_counts = postgres_counts(engine)
            finally:
                engine.dispose()
            (ours if side == "ours" else floor).merge(run)
            rates[side] = run.rate
        per_round.append(round(rates["ours"] / rates["floor"], 4) if rates["floor"] else None)
    if profile:
        print_profile(profile, "postgresql ours")
    if ours_counts != floor_counts:
        err.print(f"[bold red]row counts differ:[/] {ours_counts} vs {floor_counts}")
    return {
        **settings,
        **_pair(ours, floor),
        "rounds": args.pg_rounds,
        "ratio_per_round": per_round,
        "rows_match": ours_counts == floor_counts,
        "rows": ours_counts,
    }


# -- HTTP ----------------------------------------------------------------------------------


def post_for(
    client: httpx.Client, events: Iterator[dict[str, Any]], per_request: int, seconds: float
) -> dict[str, Any]:
    """POST ``per_request`` events a request, one request at a time, for about ``seconds``.

    Rates use the time spent in requests only (building the next body is not counted).
    """
    latencies: list[float] = []
    sent = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch = list(itertools.islice(events, per_request))
        body = orjson.dumps(batch)
        start = time.perf_counter()
        response = client.post(
            "/v1/events", content=body, headers={"content-type": "application/json"}
        )
        latencies.append(time.perf_counter() - start)
        if response.status_code != 200 or response.json()["accepted"] != len(batch):
            raise RuntimeError(f"POST /v1/events answered {response.status_code}: {response.text}")
        sent += len(batch)
    busy = sum(latencies)
    return {
        "events_per_request": per_request,
        "requests": len(latencies),
        "events": sent,
        "seconds": round(busy, 3),
        "events_per_s": round(sent / busy, 1),
        "requests_per_s": round(len(latencies) / busy, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


def bench_http(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Durable rate of ``POST /v1/events``: 1 event a request, then ``--http-batch``.

    On a fresh SQLite file, or with ``--http-db loaded`` on the memory the SQLite run
    loaded through ``ingest_events`` (new customers are posted, after the loaded ones).
    """
    if args.http_db == "loaded":
        path, first = workdir / "ours.db", args.customers
        engine = make_engine(f"sqlite:///{path}", sqlite_synchronous=args.sqlite_synchronous)
    else:
        path, first = workdir / "http.db", 0
        engine = fresh_sqlite(path, args.sqlite_synchronous)
    try:
        _, key = create_key(engine, role="integrator", name="benchmark", may_verify=True)
    finally:
        engine.dispose()
    port, log = free_port(), workdir / "server.log"
    server = start_server(f"sqlite:///{path}", port, args.sqlite_synchronous, log)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"authorization": f"Bearer {key}"},
            timeout=60,
            trust_env=False,  # loopback only: never a proxy from the environment
        ) as client:
            wait_ready(client, server, log)
            events = (
                s.envelope
                for s in synthetic_stream(
                    args.seed,
                    itertools.count(first),
                    args.interactions_per_customer,
                    with_rows=False,
                )
            )
            results = {}
            for label, size in (("single", 1), (f"batch_{args.http_batch}", args.http_batch)):
                err.print(f"[dim]http: {size} event(s) a request for {args.http_seconds:g} s[/]")
                results[label] = post_for(client, events, size, args.http_seconds)
    finally:
        stop_server(server)
    return {
        "synchronous": args.sqlite_synchronous,
        "database": args.http_db,
        "server": "uvicorn, 1 worker",
        **results,
    }


# -- report --------------------------------------------------------------------------------


def render(figures: dict[str, Any]) -> Table:
    """The summary table: one row per backend and path."""
    table = Table(title=f"ingest: {figures['customers']:,} customers, {figures['events']:,} events")
    for name in ("backend", "path", "events", "seconds", "events/s", "ratio vs floor", "p50/p99"):
        table.add_column(name, justify="left" if name in ("backend", "path") else "right")
    for backend in ("sqlite", "postgresql"):
        result = figures.get(backend)
        if not result:
            continue
        if backend == "sqlite":
            label = f"sqlite {result['synchronous']}"
        else:
            label = f"postgresql fsync={result['fsync']}"
        events = f"{result['events']:,}"
        ours_ratio = f"{result['ratio']:.1%}"
        if len(result.get("ratio_per_round", [])) > 1:
            rounds = " / ".join(f"{r:.0%}" for r in result["ratio_per_round"])
            ours_ratio += f" (rounds {rounds})"
        for path, prefix, ratio in (
            ("ours: ingest_events, insight off", "ours", ours_ratio),
            ("floor: executemany", "floor", "100.0%"),
        ):
            seconds, rate = result[f"{prefix}_seconds"], result[f"{prefix}_eps"]
            table.add_row(label, path, events, f"{seconds:,.1f}", f"{rate:,.0f}", ratio, "")
    http: dict[str, Any] = figures.get("http") or {}
    for result in http.values():
        if isinstance(result, dict):
            size = result["events_per_request"]
            table.add_row(
                f"http sqlite {http['synchronous']}, {http['database']}",
                f"POST {size} event{'s' if size > 1 else ''}/request",
                f"{result['events']:,}",
                f"{result['seconds']:,.1f}",
                f"{result['events_per_s']:,.0f}",
                "",
                f"{result['p50_ms']:.1f}/{result['p99_ms']:.1f} ms",
            )
    return table


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Ingest throughput of Warmline against a raw executemany floor.",
        epilog="Progress goes to stderr; stdout ends with one JSON line of every figure.",
    )
    parser.add_argument("--customers", type=int, default=100_000, help="default: 100000")
    parser.add_argument(
        "--interactions-per-customer", type=int, default=10, help="default: 10 (1M interactions)"
    )
    parser.add_argument("--batch", type=int, default=1_000, help="events a batch (default 1000)")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument(
        "--sqlite-synchronous", choices=("FULL", "NORMAL", "OFF"), default="FULL",
        help="PRAGMA synchronous for every SQLite file (default FULL, the production default)",
    )  # fmt: skip
    parser.add_argument(
        "--postgres-url",
        help="also measure on this PostgreSQL; its public schema is DROPPED and recreated",
    )
    parser.add_argument("--workdir", type=Path, help="where the SQLite files go (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the workdir's databases")
    parser.add_argument(
        "--http-seconds", type=float, default=10.0,
        help="seconds for each HTTP measurement; 0 skips HTTP (default 10)",
    )  # fmt: skip
    parser.add_argument("--http-batch", type=int, default=100, help="events a batched request")
    parser.add_argument(
        "--http-db", choices=("fresh", "loaded"), default="fresh",
        help="HTTP on a fresh SQLite file (default) or on the memory the SQLite run loaded",
    )  # fmt: skip
    parser.add_argument("--skip-sqlite", action="store_true", help="skip ours/floor on SQLite")
    parser.add_argument(
        "--pg-rounds",
        type=int,
        default=1,
        help="PostgreSQL: rounds of ours and the floor, in turned order (default 1)",
    )
    parser.add_argument(
        "--metrics", choices=("off", "on"), default="off",
        help="ours keeps the metric rollups and risk scores at ingest too (default off: the "
        "floor writes neither; benchmarks/metrics.py measures what they cost)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", action="store_true", help="cProfile each ingest run, ours (to stderr)"
    )
    args = parser.parse_args(argv)
    if args.customers < 1 or args.interactions_per_customer < 0 or args.batch < 1:
        parser.error("--customers and --batch must be positive, interactions not negative")
    if args.http_db == "loaded" and args.skip_sqlite:
        parser.error("--http-db loaded needs the SQLite run (drop --skip-sqlite)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    check_phone_range()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="warmline-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {
        "benchmark": "ingest",
        "customers": args.customers,
        "interactions": args.customers * args.interactions_per_customer,
        "events": None,
        "batch": args.batch,
        "metrics": args.metrics,
        "seed": args.seed,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    try:
        if not args.skip_sqlite:
            figures["sqlite"] = bench_sqlite(args, workdir)
            figures["events"] = figures["sqlite"]["events"]
        if args.postgres_url:
            figures["postgresql"] = bench_postgres(args)
            figures["events"] = figures["postgresql"]["events"]
        if args.http_seconds > 0:
            figures["http"] = bench_http(args, workdir)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if "sqlite" in figures:
        ratio = figures["sqlite"]["ratio"]
        figures["goal"] = {
            "sqlite_ratio_min": GOAL_RATIO,
            "met": bool(ratio and ratio >= GOAL_RATIO),
        }
    if figures["events"] is not None:
        out.print(render(figures))
    print(json.dumps(figures, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
