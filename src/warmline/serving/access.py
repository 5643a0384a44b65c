"""The one funnel for reading a customer, and what each role sees of what it reads.

Both surfaces (the API and the desk) read customers through :func:`access_customer`,
which follows merges, refuses erased or unknown customers and audits the read, and show
what they read through :func:`as_seen_by` or :func:`seen_by`, which mask sensitive values
for roles that may not see them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import TIMED_OUT, WAIT_SECONDS, Receipt, start_read
from warmline.domain.access.masking import mask_card, mask_evidence, mask_side
from warmline.domain.access.roles import Actor, Permission, allows
from warmline.errors import Gone, NotFound
from warmline.storage import queries


def access_customer(
    conn: Connection, engine: Engine, actor: Actor, customer_id: str, action: str, **detail: Any
) -> str:
    """The one funnel for reading a customer: follow merges, 404 if absent, audit the read.

    Returns the live customer id (which differs from ``customer_id`` after a merge).
    """
    live, receipt = open_customer(conn, engine, actor, customer_id, action, **detail)
    receipt.wait()
    return live


async def committed(receipt: Receipt) -> None:
    """Return once ``receipt``'s audit row is committed, holding no thread meanwhile (the
    writer wakes the event loop); raise as :meth:`Receipt.wait` does if it could not be, or
    not in time: then the read must not be answered."""
    if not receipt.done.is_set():
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def wake() -> None:
            loop.call_soon_threadsafe(_resolve, done)

        receipt.when_done(wake)
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                await done
        except TimeoutError:
            raise TimeoutError(TIMED_OUT) from None
    if receipt.error is not None:
        raise receipt.error


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # not given up on (timed out, or the client went)
        future.set_result(None)


def open_customer(
    conn: Connection, engine: Engine, actor: Actor, customer_id: str, action: str, **detail: Any
) -> tuple[str, Receipt]:
    """The funnel for a read that overlaps its audit commit: follow merges, 404 if absent,
    queue the audit row. The caller reads, then calls ``receipt.wait()`` before it answers
    (an audit row that could not be committed raises there, and nothing is answered)."""
    live = live_customer(conn, customer_id)
    return live, start_read(engine, actor, action, live, detail)


def open_customer_row(
    conn: Connection,
    engine: Engine,
    actor: Actor,
    customer_id: str,
    action: str,
    read_row: Callable[[Connection, str], dict[str, Any] | None],
    **detail: Any,
) -> tuple[str, Receipt, dict[str, Any] | None]:
    """:func:`open_customer` for a read that starts with the customer's own row
    (``read_row``, a row with ``status`` and ``merged_into``): a live customer's row is
    its own merge check, one statement fewer. Returns the live id, the audit receipt, and
    the row when it is the live customer's (else None: read it for the live id)."""
    row = read_row(conn, customer_id)
    if row is not None and queries.is_live(row["status"], row["merged_into"]):
        return customer_id, start_read(engine, actor, action, customer_id, detail), row
    live, receipt = open_customer(conn, engine, actor, customer_id, action, **detail)
    return live, receipt, None


def live_customer(conn: Connection, customer_id: str) -> str:
    """The live customer ``customer_id`` is now (after merges); 404 if there is none, 410
    if they were erased."""
    live = queries.live_customer_id(conn, customer_id)
    if live is None and queries.is_erased(conn, customer_id):
        raise Gone("customer_erased", "this customer's data was erased at their request")
    if live is None:
        raise NotFound(
            "customer_not_found",
            f"no customer '{customer_id[:60]}'",
            hint="find customers with GET /v1/customers?identifier=kind:value or ?q=name",
        )
    return live


def as_seen_by(actor: Actor, card: dict[str, Any] | None) -> dict[str, Any] | None:
    """A card with sensitive traits masked unless the actor's role sees them unmasked."""
    if card is None or allows(actor.role, Permission.SEE_UNMASKED):
        return card
    return mask_card(card)


def seen_by(actor: Actor, item: dict[str, Any]) -> dict[str, Any]:
    """A merge, suggestion or preview with personal values masked unless the role sees them."""
    if allows(actor.role, Permission.SEE_UNMASKED):
        return item
    return masked_pair(item)


def masked_pair(item: dict[str, Any]) -> dict[str, Any]:
    """A merge, suggestion or preview with both sides' personal values masked."""
    out = {**item}
    if isinstance(out.get("evidence"), dict):
        out["evidence"] = mask_evidence(out["evidence"])
    for side in ("from", "into", "customer", "candidate"):
        if isinstance(out.get(side), dict):
            out[side] = mask_side(out[side])
    return out
