"""Keeping every customer's risk score current: at ingest for the customers a batch touched,
after merges, and when a promise falls due (:func:`review_due`). Crossing the threshold
puts a ``customer.at_risk`` event in the outbox, in the same transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy.engine import Connection, Engine

from warmline.actions.outbox import enqueue
from warmline.config import Settings, get_settings
from warmline.domain.risk import Risk, RiskInputs, RiskPolicy, assess
from warmline.domain.risk.score import WINDOW, at_risk
from warmline.storage import risk_queries as rq
from warmline.storage import schema as t
from warmline.storage.bulk import insert_rows
from warmline.storage.chunking import chunks
from warmline.storage.engine import writing

AT_RISK = "customer.at_risk"


def risk_policy(settings: Settings | None = None) -> RiskPolicy:
    """The operator's policy from the settings (the process's own when none are given)."""
    settings = settings or get_settings()
    return RiskPolicy(settings.risk_threshold, tuple(settings.risk_warning_activities.split()))


def refresh_risk(
    conn: Connection,
    customers: Collection[str],
    policy: RiskPolicy,
    *,
    now: dt.datetime,
    notify: bool = True,
) -> list[str]:
    """Recompute the scores of ``customers`` (live ones; others lose theirs); return the
    customers who crossed the threshold (an outbox event each, unless ``notify`` is off)."""
    if not customers:
        return []
    live = rq.live_customers(conn, customers)
    before = rq.risk_rows(conn, customers)
    memory = rq.recent_memory(conn, live, now - WINDOW)
    crossed: list[str] = []
    gone = [c for c in before if c not in live]
    rows = []
    for cid in sorted(live):
        found = memory[cid]
        risk = assess(RiskInputs(**found), now, policy.warnings)
        old = before.get(cid)
        if risk.score == 0 and risk.outreach_at is None:
            if old is not None:
                gone.append(cid)
            continue
        above = at_risk(risk.score, policy.threshold)
        was_above = old is not None and old["above_since"] is not None
        rows.append(
            _row(
                cid,
                risk,
                now,
                above_since=(old["above_since"] if was_above and old else now) if above else None,
            )
        )
        if above and not was_above:
            crossed.append(cid)
            if notify:
                enqueue(
                    conn, AT_RISK, at_risk_payload(cid, risk, policy, now), now=now, customer_id=cid
                )
    r = t.customer_risk
    for chunk in chunks(sorted(set(gone) | {row["customer_id"] for row in rows})):
        conn.execute(r.delete().where(r.c.customer_id.in_(chunk)))
    if rows:
        insert_rows(conn, r, rows)
    return crossed


def _row(
    cid: str, risk: Risk, now: dt.datetime, *, above_since: dt.datetime | None
) -> dict[str, Any]:
    return {
        "customer_id": cid,
        "score": risk.score,
        "signals": risk.signals_json(),
        "computed_at": now,
        "above_since": above_since,
        "last_signal_at": risk.last_signal_at,
        "outreach_at": risk.outreach_at,
        "review_at": risk.review_at,
        "last_words": risk.last_words,
        "last_words_at": risk.last_words_at,
        "owner": risk.owner,
    }


def at_risk_payload(cid: str, risk: Risk, policy: RiskPolicy, now: dt.datetime) -> dict[str, Any]:
    """What a ``customer.at_risk`` webhook says: who, how much, and why (no message text
    beyond the evidence lines)."""
    return {
        "customer_id": cid,
        "score": risk.score,
        "threshold": policy.threshold,
        "signals": [{k: v for k, v in s.items() if k != "source_id"} for s in risk.signals_json()],
        "suggested_owner": risk.owner,
        "at": now.isoformat(),
    }


def review_due(engine: Engine, policy: RiskPolicy, *, now: dt.datetime | None = None) -> int:
    """Recompute the customers whose score time alone has changed since it was computed (a
    promise fell due unkept); return how many."""
    now = now or dt.datetime.now(dt.UTC)
    with writing(engine) as conn, conn.begin():
        customers = rq.due_for_review(conn, now)
        refresh_risk(conn, customers, policy, now=now)
    return len(customers)


def refresh_all(
    engine: Engine, policy: RiskPolicy, *, now: dt.datetime | None = None, notify: bool = False
) -> int:
    """Recompute every customer with anything in the window (after a change of policy);
    return how many were scored."""
    now = now or dt.datetime.now(dt.UTC)
    with writing(engine) as conn, conn.begin():
        return rescore_in(conn, policy, now=now, notify=notify)


def rescore_in(conn: Connection, policy: RiskPolicy, *, now: dt.datetime, notify: bool) -> int:
    """:func:`refresh_all` inside the caller's transaction (``warmline rebuild`` ends with it,
    without notifying: nothing new happened)."""
    customers = rq.recently_active(conn, now - WINDOW) | set(rq.risk_rows_all(conn))
    for chunk in chunks(sorted(customers)):
        refresh_risk(conn, chunk, policy, now=now, notify=notify)
    return len(customers)
