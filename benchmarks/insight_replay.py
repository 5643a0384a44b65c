"""The demo world's events replayed as customer histories (for reason-before-speaking)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from warmline.domain.insight.contact_context import (
    CustomerHistory,
    OpenCase,
    OpenCommitment,
    RecentActivity,
    RecentInteraction,
)


def _time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def histories(batches: Iterable[list[dict[str, Any]]]) -> dict[str, CustomerHistory]:
    """One history per customer (keyed by their first identifier) from demo envelopes."""
    who: dict[str, str] = {}  # interaction or case id -> customer
    activities: defaultdict[str, list[RecentActivity]] = defaultdict(list)
    started: dict[str, tuple[str, dt.datetime]] = {}
    interactions: defaultdict[str, list[RecentInteraction]] = defaultdict(list)
    reasons: dict[str, str] = {}  # interaction id -> reason
    cases: dict[str, OpenCase] = {}
    case_reason: dict[str, str] = {}  # case id -> interaction id
    promises: dict[str, tuple[str, OpenCommitment]] = {}
    for batch in batches:
        for e in batch:
            data: Mapping[str, Any] = e["data"]
            at = _time(e["time"])
            customer = data.get("customer", {}).get("identifiers", [{}])[0].get("value")
            kind = e["type"]
            if kind == "activity":
                activities[customer].append(
                    RecentActivity(data["name"], at, data.get("attributes", {}))
                )
            elif kind == "interaction.started":
                who[data["interaction_id"]] = customer
                started[data["interaction_id"]] = (data["channel"], at)
            elif kind == "interaction.ended":
                iid = data["interaction_id"]
                channel, began = started[iid]
                reasons[iid] = data.get("reason")
                interactions[who[iid]].append(
                    RecentInteraction(data.get("reason"), data.get("outcome"), at, channel, began)
                )
            elif kind == "case.opened":
                owner = customer or who.get(data.get("interaction_id", ""))
                who[data["case_id"]] = owner
                cases[data["case_id"]] = OpenCase(data["title"], "open", at)
                if data.get("interaction_id"):
                    case_reason[data["case_id"]] = data["interaction_id"]
            elif kind == "case.updated" and data["case_id"] in cases:
                case = cases[data["case_id"]]  # an update may only add a contact to it
                cases[data["case_id"]] = replace(case, status=data.get("status") or case.status)
            elif kind == "case.resolved" and data["case_id"] in cases:
                cases[data["case_id"]] = replace(cases[data["case_id"]], resolved_at=at)
            elif kind == "commitment.made":
                owner = customer or who.get(data.get("case_id", ""))
                case = cases.get(data.get("case_id", ""))
                promises[data["commitment_id"]] = (
                    owner,
                    OpenCommitment(
                        data["text"],
                        _time(data["due_at"]) if data.get("due_at") else None,
                        made_at=at,
                        case_title=case.title if case else None,
                    ),
                )
            elif kind == "commitment.fulfilled" and data["commitment_id"] in promises:
                owner, promise = promises[data["commitment_id"]]
                promises[data["commitment_id"]] = (owner, replace(promise, fulfilled_at=at))
    by_customer_cases: defaultdict[str, list[OpenCase]] = defaultdict(list)
    for case_id, case in cases.items():
        opener = case_reason.get(case_id)
        by_customer_cases[who[case_id]].append(replace(case, reason=reasons.get(opener or "")))
    by_customer_promises: defaultdict[str, list[OpenCommitment]] = defaultdict(list)
    for owner, promise in promises.values():
        by_customer_promises[owner].append(promise)
    customers = set(interactions) | set(activities)
    return {
        c: CustomerHistory(
            cases=by_customer_cases.get(c, []),
            commitments=by_customer_promises.get(c, []),
            activities=activities.get(c, []),
            interactions=interactions.get(c, []),
        )
        for c in customers
    }


def before(history: CustomerHistory, cutoff: dt.datetime) -> CustomerHistory:
    """The part of a history that was known at ``cutoff``."""
    return CustomerHistory(
        cases=[c for c in history.cases if c.opened_at < cutoff],
        commitments=[c for c in history.commitments if (c.made_at or cutoff) < cutoff],
        activities=[a for a in history.activities if a.occurred_at < cutoff],
        interactions=[i for i in history.interactions if i.ended_at < cutoff],
    )
