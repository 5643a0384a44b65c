"""What a database error means for the client: the database is down, read-only, full or
busy (503 with a stable code and ``Retry-After``), or something else (a bug: 500).

Both drivers say which in their own words: SQLite by its result code name
(``SQLITE_READONLY``, ``SQLITE_FULL``, ...), PostgreSQL by its SQLSTATE (``25006``,
``53100``, class ``08`` for a lost connection, ``57P0x`` while it shuts down or starts).
A connection that could not be made at all carries no SQLSTATE; SQLAlchemy marks a
connection it found dead as invalidated, and its pool reconnects on the next checkout.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from warmline.errors import Unavailable

#: (code, what happened, what to do, seconds to wait) for each kind of fault.
_FAULTS: dict[str, tuple[str, str, int]] = {
    "database_unavailable": (
        "the database cannot be reached (it is down, restarting or refusing connections)",
        "retry after the time in Retry-After; if it persists, check the database server",
        5,
    ),
    "database_read_only": (
        "the database is read-only, so nothing can be written now",
        "retry later; an operator must make the database writable (file permissions, a "
        "read-only mount, or a PostgreSQL standby or default_transaction_read_only)",
        30,
    ),
    "database_full": (
        "the database's disk is full, so nothing can be written now; nothing was stored",
        "retry later, after an operator frees disk space; acknowledged data is safe",
        30,
    ),
    "database_busy": (
        "the database is busy (a lock was held too long)",
        "retry after the time in Retry-After",
        2,
    ),
}

_SQLITE = {
    "SQLITE_READONLY": "database_read_only",
    "SQLITE_READONLY_DBMOVED": "database_read_only",
    "SQLITE_READONLY_DIRECTORY": "database_read_only",
    "SQLITE_READONLY_RECOVERY": "database_read_only",
    "SQLITE_READONLY_ROLLBACK": "database_read_only",
    "SQLITE_FULL": "database_full",
    "SQLITE_IOERR_WRITE": "database_full",
    "SQLITE_CANTOPEN": "database_unavailable",
    "SQLITE_BUSY": "database_busy",
    "SQLITE_LOCKED": "database_busy",
}

_POSTGRES = {
    "25006": "database_read_only",  # read_only_sql_transaction
    "53100": "database_full",  # disk_full
    "53200": "database_busy",  # out_of_memory
    "53300": "database_unavailable",  # too_many_connections
    "55P03": "database_busy",  # lock_not_available
    "57P01": "database_unavailable",  # admin_shutdown
    "57P02": "database_unavailable",  # crash_shutdown
    "57P03": "database_unavailable",  # cannot_connect_now (starting up)
}


def fault_code(exc: DBAPIError) -> str | None:
    """The stable code for ``exc`` if it says the database cannot serve now, else None."""
    orig = exc.orig
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        return _SQLITE.get(name) or ("database_full" if "disk is full" in str(orig) else None)
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        if sqlstate.startswith("08"):  # connection_exception and its kinds
            return "database_unavailable"
        return _POSTGRES.get(sqlstate)
    if exc.connection_invalidated or type(orig).__name__ in {"OperationalError", "InterfaceError"}:
        # psycopg: no SQLSTATE when the server could not be reached or the link broke.
        return "database_unavailable"
    return None


def unavailable(code: str) -> Unavailable:
    """The 503 error for a fault ``code`` from :func:`fault_code`."""
    message, hint, seconds = _FAULTS[code]
    return Unavailable(code, message, hint=hint, extra={"retry_after": seconds})


def as_unavailable(exc: DBAPIError) -> Unavailable | None:
    """``exc`` as a 503 if it is a fault of the database's state, else None."""
    code = fault_code(exc)
    return unavailable(code) if code else None
