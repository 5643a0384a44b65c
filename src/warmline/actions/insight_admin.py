"""``warmline reasons train``: learn contact reasons from the organisation's own history.

From every ended interaction that carries a reason (``interaction.ended``'s ``reason``):
the reason model (its first customer messages -> the reason), the associations of
business activities, open cases, promises and recent contacts with the reason of the
next contact (for "why they are probably calling" before they speak), and what is
usual in customers' writing (for the style cues). Stored together and put in force.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.domain.access.roles import LOCAL_ADMIN, Actor
from warmline.domain.insight import (
    Associations,
    CustomerHistory,
    OpenCase,
    OpenCommitment,
    PopulationStats,
    RecentActivity,
    RecentInteraction,
    StyleMessage,
    learn_associations,
    population_stats,
)
from warmline.errors import InvalidRequest
from warmline.storage import insight_config
from warmline.storage import schema as t
from warmline.storage.engine import writing
from warmline.training.reasons import TrainReport, train_reason_model

#: Customers whose writing the style population is measured on (a sample is enough).
STYLE_SAMPLE = 5_000
#: The first customer messages of a contact that say why they got in touch.
FIRST_MESSAGES = 2
MIN_EXAMPLES = 20


@dataclass(frozen=True)
class Trained:
    model_id: str
    report: TrainReport
    associations: Associations
    population: PopulationStats | None


def labelled_openings(conn: Connection) -> tuple[list[str], list[str]]:
    """The first customer messages of every contact with a reason, and the reasons."""
    i, m = t.interactions, t.messages
    rows = conn.execute(
        sa.select(i.c.id, i.c.reason, m.c.text)
        .join(m, m.c.interaction_id == i.c.id)
        .where(i.c.reason.is_not(None), m.c.speaker == "customer")
        .order_by(i.c.id, m.c.sent_at, m.c.id)
    )
    openings: dict[str, tuple[str, list[str]]] = {}
    for interaction_id, reason, text in rows:
        reason_and_lines = openings.setdefault(interaction_id, (reason, []))
        if len(reason_and_lines[1]) < FIRST_MESSAGES:
            reason_and_lines[1].append(text)
    texts = [" ".join(lines) for _, lines in openings.values()]
    labels = [reason for reason, _ in openings.values()]
    return texts, labels


def histories(conn: Connection) -> Iterable[CustomerHistory]:
    """Every customer's cases, promises, activities and contacts (live customers)."""
    i, c, k, a = t.interactions, t.cases, t.commitments, t.activities
    contacts: defaultdict[str, list[RecentInteraction]] = defaultdict(list)
    reasons: dict[str, str] = {}
    for row in conn.execute(
        sa.select(
            i.c.id, i.c.customer_id, i.c.reason, i.c.outcome, i.c.ended_at, i.c.channel,
            i.c.started_at,
        ).where(i.c.ended_at.is_not(None))
    ):  # fmt: skip
        if row.reason:
            reasons[row.id] = row.reason
        contacts[row.customer_id].append(
            RecentInteraction(
                row.reason, row.outcome, row.ended_at, row.channel or "", row.started_at
            )
        )
    cases: defaultdict[str, list[OpenCase]] = defaultdict(list)
    case_reason: dict[str, str | None] = {}
    for case in conn.execute(sa.select(c)).mappings():
        case_reason[case["id"]] = reasons.get(case["interaction_id"] or "")
        cases[case["customer_id"]].append(
            OpenCase(
                case["title"] or "",
                case["status"],
                case["opened_at"],
                case["resolved_at"],
                case_reason[case["id"]],
            )
        )
    promises: defaultdict[str, list[OpenCommitment]] = defaultdict(list)
    for promise in conn.execute(sa.select(k)).mappings():
        promises[promise["customer_id"]].append(
            OpenCommitment(
                promise["text"] or "",
                promise["due_at"],
                promise["made_at"],
                promise["fulfilled_at"],
                None,
                case_reason.get(promise["case_id"] or ""),
            )
        )
    activities: defaultdict[str, list[RecentActivity]] = defaultdict(list)
    for activity in conn.execute(
        sa.select(a.c.customer_id, a.c.name, a.c.occurred_at, a.c.attributes)
    ):
        activities[activity.customer_id].append(
            RecentActivity(activity.name, activity.occurred_at, activity.attributes or {})
        )
    for customer_id, their_contacts in contacts.items():
        yield CustomerHistory(
            cases[customer_id], promises[customer_id], activities[customer_id], their_contacts
        )


def writing_sample(conn: Connection) -> list[list[StyleMessage]]:
    """Messages of a sample of customers, for what is usual in writing."""
    m, i = t.messages, t.interactions
    customers = list(
        conn.execute(sa.select(i.c.customer_id).distinct().limit(STYLE_SAMPLE)).scalars()
    )
    grouped: defaultdict[str, list[StyleMessage]] = defaultdict(list)
    for start in range(0, len(customers), 500):
        chunk = customers[start : start + 500]
        rows = conn.execute(
            sa.select(m.c.customer_id, m.c.text, m.c.sent_at, m.c.speaker, i.c.channel, i.c.id)
            .join(i, i.c.id == m.c.interaction_id)
            .where(m.c.customer_id.in_(chunk))
            .order_by(m.c.customer_id, m.c.sent_at)
        )
        for row in rows:
            grouped[row.customer_id].append(
                StyleMessage(row.text, row.sent_at, row.channel or "", row.id, row.speaker)
            )
    return list(grouped.values())


def train_reasons(engine: Engine, *, seed: int = 0, actor: Actor = LOCAL_ADMIN) -> Trained:
    """Train the reason model, the associations and the style population from this memory,
    store them and put them in force."""
    with engine.connect() as conn:
        texts, labels = labelled_openings(conn)
        if len(texts) < MIN_EXAMPLES:
            raise InvalidRequest(
                "not_enough_data",
                f"training needs at least {MIN_EXAMPLES} contacts with a reason and the "
                f"customer's words; this memory has {len(texts)}",
                hint="send interaction.ended events with a reason; the shipped banking model "
                "stays in force meanwhile",
            )
        associations = learn_associations(histories(conn))
        sample = writing_sample(conn)
    model, report = train_reason_model(texts, labels, seed=seed)
    population = population_stats(sample) if sample else None
    model_id = "rsn_" + secrets.token_hex(8)
    with writing(engine) as conn, conn.begin():
        conn.execute(t.insight_models.update().values(active=False))
        conn.execute(
            t.insight_models.insert().values(
                id=model_id,
                trained_at=dt.datetime.now(dt.UTC),
                examples=report.examples,
                report=_jsonable(dataclasses.asdict(report)),
                model=model.to_bytes(),
                associations=associations.to_json(),
                population=population.to_dict() if population else None,
                active=True,
                trained_by=actor.key_id,
            )
        )
        detail = {
            "model_id": model_id,
            "examples": report.examples,
            "held_out_accuracy": report.held_out_accuracy,
        }
        append_chained(conn, [audit_row(actor, "reasons.trained", None, detail)])
    insight_config.forget_current()
    return Trained(model_id, report, associations, population)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
