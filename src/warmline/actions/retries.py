"""Which failed write transactions are worth trying again whole, and how many times."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from warmline.storage.engine import writing

#: Attempts at one write transaction before its error is raised.
RETRIES = 5

_T = TypeVar("_T")


def retryable(exc: Exception) -> bool:
    """Whether a failed write transaction is worth trying again whole: a concurrent one
    stored the same thing first, or a deadlock or serialisation failure (PostgreSQL)."""
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in {"40001", "40P01"}


def in_write_transaction(engine: Engine, attempt: Callable[[Connection], _T]) -> _T:
    """``attempt`` in a writing transaction, run again whole (up to :data:`RETRIES` times)
    when it fails in a way :func:`retryable` says is worth it: on PostgreSQL, a transaction
    that changes rows and then recomputes rollups can deadlock with the pass that brings
    them up to date, which takes the rollups' locks first and the rows' after; the database
    then rolls one of them back, and that one simply goes again."""
    for tries in range(RETRIES):
        try:
            with writing(engine) as conn, conn.begin():
                return attempt(conn)
        except (IntegrityError, OperationalError) as exc:
            if tries == RETRIES - 1 or not retryable(exc):
                raise
    raise AssertionError("unreachable")  # the last try returns or raises
