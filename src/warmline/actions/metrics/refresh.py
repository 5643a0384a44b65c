"""Keep the rollups true at every write: recompute the contributions a change can reach,
apply new minus old (in the write's transaction; for a contact's start, just after it
commits: :mod:`warmline.actions.derived`).

What a change reaches:

* a changed interaction, and every interaction of the same customer within the repeat
  window of where it is now and where it was (a later contact turns an earlier one from
  "resolved first time" into "reopened", and itself into a repeat);
* the cases it opened, the feedback that rates it and the promises made in it or in those
  cases (they are counted under its dimensions);
* changed cases, feedback and promises themselves;
* every row of a customer whose segment changed, whose rows moved (a merge or an undo),
  or who was erased.

Everything is read back from the memory as it stands inside the caller's transaction, so
the result does not depend on how events were split into batches or in which order they
came: ``warmline metrics rebuild`` gives the same rollups (tested). On PostgreSQL the
customers are locked first, so two batches about one customer take turns here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.actions.metrics import rollups
from warmline.actions.metrics.touched import Touched
from warmline.domain.metrics.contributions import (
    Contribution,
    case_contribution,
    commitment_contribution,
    feedback_contribution,
    interaction_contributions,
)
from warmline.domain.metrics.dimensions import DIMENSIONS, NONE
from warmline.storage import metrics_queries as mq
from warmline.storage import schema as t
from warmline.storage.bulk import insert_bound
from warmline.storage.chunking import chunks

Row = dict[str, Any]
_DAY = dt.timedelta(days=1)


def refresh_metrics(conn: Connection, touched: Touched) -> int:
    """Bring the contributions of everything ``touched`` reaches up to date and apply the
    difference to the rollups; return the number of contributions that changed."""
    if not (
        touched.interactions
        or touched.cases
        or touched.feedback
        or touched.commitments
        or touched.customers
    ):
        return 0
    window = mq.repeat_window(conn)
    new, old = compute(conn, touched, window)
    return write(conn, new, old)


def compute(
    conn: Connection, touched: Touched, window: dt.timedelta
) -> tuple[dict[str, Contribution], dict[str, Row]]:
    """The contributions ``touched`` reaches, as they are now (``new``, by source id) and
    as last applied (``old``); a source in ``old`` only is gone."""
    full = set(touched.customers)
    changed = mq.interactions_by_id(conn, touched.interactions)
    old = mq.contributions_by(conn, "source_id", touched.interactions)
    spans: defaultdict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for row in changed:
        spans[row["customer_id"]].append((row["started_at"] - window, row["started_at"] + window))
    for row in old.values():
        start = dt.datetime.combine(row["day"], dt.time(), dt.UTC)
        spans[row["customer_id"]].append((start - window, start + _DAY + window))
    for customer in full:
        spans.pop(customer, None)
    _lock(conn, {*spans, *full})

    interactions: dict[str, Row] = {}
    new: dict[str, Contribution] = {}
    by_customer = _interactions_around(conn, spans, window)
    for customer, rows in mq_group(mq.interactions_of(conn, full)).items():
        by_customer[customer] = rows
    segment = mq.segments(conn, {*by_customer, *full})
    for customer, rows in by_customer.items():
        interactions.update((r["id"], r) for r in rows)
        wanted = None if customer in full else _within(rows, spans[customer], touched.interactions)
        for c in interaction_contributions(rows, segment.get(customer, NONE), window, wanted):
            new[c.source_id] = c
    old.update(mq.contributions_by(conn, "source_id", [i for i in new if i not in old]))
    old.update(mq.contributions_by(conn, "customer_id", full))
    # Rows touched and since deleted (retention, erasure) are gone: only their old remains.
    old.update(
        mq.contributions_by(
            conn, "source_id", touched.cases | touched.feedback | touched.commitments
        )
    )

    owners = {r["customer_id"] for r in changed} | full
    _cases_feedback_promises(conn, touched, owners, interactions, new, old, segment)
    return new, old


def mq_group(rows: Iterable[Row]) -> dict[str, list[Row]]:
    grouped: defaultdict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["customer_id"]].append(row)
    return dict(grouped)


def _interactions_around(
    conn: Connection,
    spans: dict[str, list[tuple[dt.datetime, dt.datetime]]],
    window: dt.timedelta,
) -> dict[str, list[Row]]:
    """Each spanned customer's interactions within the window of their spans (the
    neighbours that decide whether a contact in a span is a repeat)."""
    if not spans:
        return {}
    low = min(lo for found in spans.values() for lo, _ in found) - window
    high = max(hi for found in spans.values() for _, hi in found) + window
    out: dict[str, list[Row]] = {c: [] for c in spans}
    for row in mq.interactions_of(conn, spans, low, high):
        if any(
            lo - window <= row["started_at"] <= hi + window for lo, hi in spans[row["customer_id"]]
        ):
            out[row["customer_id"]].append(row)
    return out


def _within(
    rows: list[Row], spans: list[tuple[dt.datetime, dt.datetime]], ids: set[str]
) -> set[str]:
    return {
        r["id"]
        for r in rows
        if r["id"] in ids or any(lo <= r["started_at"] <= hi for lo, hi in spans)
    }


def _cases_feedback_promises(
    conn: Connection,
    touched: Touched,
    owners: set[str],
    interactions: dict[str, Row],
    new: dict[str, Contribution],
    old: dict[str, Row],
    segment: dict[str, str],
) -> None:
    """Cases, feedback and promises the change reaches, counted under their contacts."""
    full = touched.customers
    changed_contacts = touched.interactions

    def pick(rows: list[Row], ids: set[str], linked: Any) -> dict[str, Row]:
        return {r["id"]: r for r in rows if r["id"] in ids or r["customer_id"] in full or linked(r)}

    cases = pick(
        mq.cases_by(conn, "customer_id", owners) + mq.cases_by(conn, "id", touched.cases),
        touched.cases,
        lambda r: r["interaction_id"] in changed_contacts,
    )
    case_contact = {c["id"]: c["interaction_id"] for c in cases.values()}
    reached_cases = set(cases)
    promises = pick(
        mq.commitments_by(conn, "customer_id", owners)
        + mq.commitments_by(conn, "id", touched.commitments),
        touched.commitments,
        lambda r: r["interaction_id"] in changed_contacts or r["case_id"] in reached_cases,
    )
    for r in promises.values():
        if r["interaction_id"] is None and r["case_id"] and r["case_id"] not in case_contact:
            case_contact[r["case_id"]] = None
    missing_cases = [c for c, i in case_contact.items() if i is None and c not in cases]
    for r in mq.cases_by(conn, "id", missing_cases):
        case_contact[r["id"]] = r["interaction_id"]
    feedback = pick(
        mq.feedback_by(conn, "customer_id", owners) + mq.feedback_by(conn, "id", touched.feedback),
        touched.feedback,
        lambda r: r["interaction_id"] in changed_contacts,
    )
    contact_ids = {case_contact.get(r["case_id"]) for r in promises.values()}
    contact_ids |= {
        r["interaction_id"] for r in (*cases.values(), *promises.values(), *feedback.values())
    }
    contact_ids.discard(None)
    missing = [str(i) for i in contact_ids if i not in interactions]
    interactions.update((r["id"], r) for r in mq.interactions_by_id(conn, missing))
    customers = {
        r["customer_id"] for r in (*cases.values(), *promises.values(), *feedback.values())
    }
    segment.update(mq.segments(conn, customers - set(segment)))

    def contact(interaction_id: str | None) -> Row | None:
        return interactions.get(interaction_id) if interaction_id else None

    for r in cases.values():
        new[r["id"]] = case_contribution(
            r, contact(r["interaction_id"]), segment.get(r["customer_id"], NONE)
        )
    for r in feedback.values():
        new[r["id"]] = feedback_contribution(
            r, contact(r["interaction_id"]), segment.get(r["customer_id"], NONE)
        )
    for r in promises.values():
        opened_by = r["interaction_id"] or case_contact.get(r["case_id"])
        new[r["id"]] = commitment_contribution(
            r, contact(opened_by), segment.get(r["customer_id"], NONE)
        )
    old.update(mq.contributions_by(conn, "source_id", [i for i in new if i not in old]))


def contribution_row(c: Contribution) -> Row:
    return {
        "source_id": c.source_id,
        "kind": c.kind,
        "customer_id": c.customer_id,
        "day": c.day,
        **c.dims,
        "counts": c.counts,
    }


def _same(old: Row, new: Row) -> bool:
    return all(old[k] == new[k] for k in ("kind", "customer_id", "day", *DIMENSIONS)) and (
        dict(old["counts"]) == new["counts"]
    )


def write(conn: Connection, new: dict[str, Contribution], old: dict[str, Row]) -> int:
    """Store the contributions that changed and apply the difference to the rollups."""
    pairs: list[tuple[Row | None, Contribution | None]] = []
    rows: list[Row] = []
    for source in sorted(set(new) | set(old)):
        before, after = old.get(source), new.get(source)
        after_row = contribution_row(after) if after is not None else None
        if before is not None and after_row is not None and _same(before, after_row):
            continue
        pairs.append((before, after))
        if after_row is not None:
            rows.append(after_row)
    if not pairs:
        return 0
    stale = [before["source_id"] for before, _ in pairs if before is not None]
    mc = t.metric_contributions
    for chunk in chunks(stale):
        conn.execute(mc.delete().where(mc.c.source_id.in_(chunk)))
    if rows:
        insert_bound(conn, mc, rows)
    rollups.apply(conn, rollups.deltas_of(pairs))
    return len(pairs)


def _lock(conn: Connection, customers: set[str]) -> None:
    """PostgreSQL: one batch at a time recomputes a customer's contributions."""
    if conn.dialect.name != "postgresql" or not customers:
        return
    keys = sorted(
        int.from_bytes(
            hashlib.blake2b(f"metrics:{c}".encode(), digest_size=8).digest(), "big", signed=True
        )
        for c in customers
    )
    for chunk in chunks(keys):
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"),
            {"keys": chunk},
        )
