"""Engines for the two supported databases, set up the way Warmline relies on.

SQLite: WAL journal, a busy timeout, ``synchronous`` from the settings, and
``BEGIN IMMEDIATE`` for writing transactions so two writers queue instead of
failing on a lock upgrade. PostgreSQL: psycopg 3, JIT off for short queries, and
custom plans only: psycopg prepares repeated statements, and a generic plan made
while a table was nearly empty kept scanning it whole once it had grown (ingest
fell from 7,800 to 670 events/s within 90,000 events before this).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry

from warmline.errors import InvalidRequest
from warmline.storage.live import install_live_hooks


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and pick the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(
    url: str,
    *,
    sqlite_synchronous: str = "FULL",
    pool_size: int = 10,
    max_overflow: int = 10,
    pool_timeout: float = 10.0,
    connect_timeout: int = 5,
) -> Engine:
    """Create the engine for ``url`` (``sqlite:///...`` or ``postgresql+psycopg://...``).

    PostgreSQL connections come from SQLAlchemy's own pool (``QueuePool``): ``pool_size``
    kept open per process, ``max_overflow`` more at a peak, a request waits at most
    ``pool_timeout`` seconds for one. ``pool_pre_ping`` tests each connection as it is
    checked out, so after a database restart the pool drops the dead ones and reconnects
    without a manual step; ``connect_timeout`` makes a down database fail fast. (A second
    pool such as ``psycopg_pool`` under it would only add a layer: SQLAlchemy would still
    pool its wrappers.)
    """
    url = normalise_url(url)
    backend = sa.make_url(url).get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, sqlite_synchronous, pool_size + max_overflow)
    if backend == "postgresql":
        engine = sa.create_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            pool_pre_ping=True,
            # Servers, proxies and firewalls drop idle links; renew before they do.
            pool_recycle=1800,
            # Custom plans: a plan cached while a table was small (a fresh load) must not
            # stick as a sequential scan once it is large.
            connect_args={
                "options": "-c jit=off -c timezone=UTC -c plan_cache_mode=force_custom_plan",
                "connect_timeout": connect_timeout,
            },
        )
        install_live_hooks(engine)  # one NOTIFY a transaction, sent with its commit
        return engine
    raise InvalidRequest(
        "unsupported_database",
        f"WARMLINE_DATABASE_URL uses '{backend}', which Warmline does not support",
        hint="use sqlite:///path/to/warmline.db or postgresql+psycopg://user@host/db",
    )


def _sqlite_engine(url: str, synchronous: str, keep: int) -> Engine:
    # Keep as many connections as requests may run at once: SQLAlchemy's default for a file
    # (5, and 10 more opened and closed at a peak) made a busy server reopen the file and
    # rerun the PRAGMAs below for many requests. An idle SQLite connection costs little.
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=keep,
        max_overflow=keep,
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("write", False)
        # On the DB-API connection itself: every request begins at least one transaction,
        # and SQLAlchemy's statement machinery cost more than the BEGIN.
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    install_live_hooks(engine)  # live streams wake when a write they wait for commits
    return engine


def writing(engine: Engine) -> Connection:
    """A connection for writing: on SQLite its transactions take the write lock up front."""
    return engine.connect().execution_options(write=True)


#: SQLite page cache of a bulk writer (MiB): see :func:`bulk_writing`.
BULK_PAGE_CACHE_MIB = 64


@contextmanager
def bulk_writing(engine: Engine, page_cache_mib: int = BULK_PAGE_CACHE_MIB) -> Iterator[Connection]:
    """One writing connection for many transactions in a row (a bulk import: a transaction
    a batch), held until the end instead of taken from the pool for each.

    On SQLite it gets a page cache of ``page_cache_mib`` for as long as it is held (the
    default is about 2 MiB), put back when it is returned. Ids are hashes, so every row a
    batch writes lands on its own page of each index; once the memory is larger than
    a batch, a 2 MiB cache holds neither the indexes' upper levels nor the pages the batch
    dirtied, and SQLite reads them again from the file and spills them to the WAL
    mid-transaction. The cache stays bounded: memory does not grow with the file.
    """
    with writing(engine) as conn:
        driver = conn.connection.driver_connection if engine.dialect.name == "sqlite" else None
        before = None
        if driver is not None:  # on the DB-API connection: no transaction is begun for it
            before = driver.execute("PRAGMA cache_size").fetchone()[0]
            driver.execute(f"PRAGMA cache_size=-{int(page_cache_mib) * 1024}")
        try:
            yield conn
        finally:
            if driver is not None and before is not None:
                driver.execute(f"PRAGMA cache_size={int(before)}")
