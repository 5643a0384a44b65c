"""Which failed write transactions are worth trying again whole, and how many times."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

#: Attempts at one write transaction before its error is raised.
RETRIES = 5


def retryable(exc: Exception) -> bool:
    """Whether a failed write transaction is worth trying again whole: a concurrent one
    stored the same thing first, or a deadlock or serialisation failure (PostgreSQL)."""
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in {"40001", "40P01"}
