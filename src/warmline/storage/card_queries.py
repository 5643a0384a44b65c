"""The context card's reads: its rows in a fixed number of statements, assembled by the
domain (:func:`warmline.domain.card.assembly.build_card`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from warmline.domain.card.assembly import build_card, form_items, forms_in_question
from warmline.domain.card.contacts import continuity_ids
from warmline.domain.card.context import CardContext
from warmline.domain.card.insight import Learned
from warmline.storage import schema as t
from warmline.storage.compiled_select import FastSelect, all_together
from warmline.storage.insight_config import current_insight

CARD_INTERACTIONS = 20
CARD_LIST = 10
CARD_MESSAGES = 60


def _card_statements() -> dict[str, Any]:
    """The card's statements, built once: constructing a SELECT costs more than running it."""
    cid: sa.BindParameter[str] = sa.bindparam("cid")
    i, c, k, a, v, m = (
        t.interactions,
        t.cases,
        t.commitments,
        t.activities,
        t.assurances,
        t.messages,
    )
    r = t.customer_risk
    return {
        # The risk score rides along with the customer row: no statement of its own.
        "customer": sa.select(
            t.customers,
            r.c.score.label("risk_score"),
            r.c.signals.label("risk_signals"),
            r.c.above_since.label("risk_above_since"),
        )
        .outerjoin(r, r.c.customer_id == t.customers.c.id)
        .where(t.customers.c.id == cid),
        "interactions": sa.select(*_interaction_columns())
        .where(i.c.customer_id == cid)
        .order_by(i.c.started_at.desc(), i.c.id.desc())
        .limit(CARD_INTERACTIONS),
        # The contact a card is for, when it is older than the card's latest interactions.
        "current": sa.select(*_interaction_columns()).where(
            i.c.customer_id == cid, i.c.id == sa.bindparam("iid")
        ),
        "cases": sa.select(c)
        .where(c.c.customer_id == cid, c.c.status != "resolved")
        .order_by(c.c.updated_at.desc())
        .limit(CARD_LIST),
        "commitments": sa.select(k)
        .where(k.c.customer_id == cid, k.c.status == "open")
        .order_by(k.c.due_at)
        .limit(CARD_LIST),
        "activities": sa.select(a)
        .where(a.c.customer_id == cid)
        .order_by(a.c.occurred_at.desc(), a.c.id.desc())
        .limit(CARD_LIST),
        "assurances": sa.select(v)
        .where(v.c.customer_id == cid)
        .order_by(v.c.verified_at.desc())
        .limit(3),
        "suggestions": _card_suggestions(cid),
        # The customer's latest messages (and the replies between them): how they write.
        "recent_messages": sa.select(
            m.c.speaker, m.c.text, m.c.sent_at, m.c.interaction_id, m.c.insight
        )
        .where(m.c.customer_id == cid)
        .order_by(m.c.sent_at.desc())
        .limit(CARD_MESSAGES),
        # Activities moment rules may cue on: those names, within the rules' horizon.
        "moment_activities": sa.select(
            a.c.name, a.c.summary, a.c.attributes, a.c.source, a.c.occurred_at
        )
        .where(
            a.c.customer_id == cid,
            a.c.name.in_(sa.bindparam("names", expanding=True)),
            a.c.occurred_at >= sa.bindparam("since"),
        )
        .order_by(a.c.occurred_at.desc())
        .limit(CARD_LIST),
        "identifiers": sa.select(
            t.identifiers.c.kind,
            t.identifiers.c.value,
            t.identifiers.c.verified,
            t.identifiers.c.source,
            t.identifiers.c.first_seen_at,
            t.identifiers.c.confirmed_at,
        ).where(t.identifiers.c.customer_id == cid),
        # Pinned to the customer as well: one partition when the memory is split by customer.
        "messages": sa.select(m.c.id, m.c.speaker, m.c.text, m.c.sent_at, m.c.insight)
        .where(m.c.customer_id == cid, m.c.interaction_id == sa.bindparam("iid"))
        .order_by(m.c.sent_at.desc(), m.c.id.desc())
        .limit(sa.bindparam("per", type_=sa.Integer)),
    }


def _interaction_columns() -> list[Any]:
    i = t.interactions
    return [
        i.c.id,
        i.c.external_id,
        i.c.source,
        i.c.channel,
        i.c.status,
        i.c.started_at,
        i.c.ended_at,
        i.c.last_message_at,
        i.c.agent_id,
        i.c.queue,
        i.c.subject,
        i.c.outcome,
        i.c.reason,
        i.c.summary,
        i.c.case_id,
        i.c.transfers,
        i.c.mood,
        i.c.predicted_reason,
        i.c.summary_by,
    ]


def _card_suggestions(cid: sa.BindParameter[str]) -> Any:
    """Open merge suggestions between this customer's records and another customer's: the
    other side's record, so the agent can ask "is this also you?"."""
    s, c = t.merge_suggestions, t.customers
    mine = sa.select(c.c.id).where(sa.or_(c.c.id == cid, c.c.merged_into == cid))
    sides = []
    for here, there in ((s.c.customer_id, s.c.candidate_id), (s.c.candidate_id, s.c.customer_id)):
        other = c.alias()
        sides.append(
            sa.select(
                s.c.id,
                s.c.score,
                s.c.reasons,
                s.c.customer_answer,
                other.c.id.label("other_id"),
                other.c.name.label("other_name"),
                other.c.status.label("other_status"),
                other.c.merged_into.label("other_live"),
                other.c.created_at.label("other_since"),
            )
            .join(other, other.c.id == there)
            .where(s.c.status == "open", here.in_(mine.scalar_subquery()))
        )
    return sa.union_all(*sides).limit(CARD_LIST)


CARD = {name: FastSelect(statement) for name, statement in _card_statements().items()}
#: The card's reads that need only the customer's id, read together.
CARD_PARTS = (
    "interactions",
    "cases",
    "commitments",
    "activities",
    "assurances",
    "suggestions",
    "recent_messages",
)


def customer_row(conn: Connection, customer_id: str) -> dict[str, Any] | None:
    """The card's customer row (with the risk score), whatever its status."""
    found = CARD["customer"].all(conn, cid=customer_id)
    return found[0] if found else None


def card_rows(
    conn: Connection, customer_id: str, customer: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """Everything a card is built from, in a fixed number of queries (pinned by a test);
    ``customer``: its :func:`customer_row` when the caller has read it already."""
    customer = customer or customer_row(conn, customer_id)
    if customer is None:
        return None
    found = all_together(conn, [(CARD[part], {"cid": customer_id}) for part in CARD_PARTS])
    return {"customer": customer, **dict(zip(CARD_PARTS, found, strict=True))}


def last_messages(
    conn: Connection, customer_id: str, interaction_ids: list[str], per: int = 5
) -> dict[str, list[dict[str, Any]]]:
    """The last ``per`` messages of each of the customer's interactions, oldest first."""
    found = all_together(
        conn,
        [(CARD["messages"], {"cid": customer_id, "iid": i, "per": per}) for i in interaction_ids],
    )
    return {i: rows[::-1] for i, rows in zip(interaction_ids, found, strict=True)}


#: Messages of the contact happening now shown on its card (the latest ones).
NOW_MESSAGES = 30


def load_card(
    conn: Connection,
    customer_id: str,
    ctx: CardContext,
    customer: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The card for ``customer_id`` at ``ctx``: eight queries (seven when ``customer``, its
    :func:`customer_row`, is given), plus one per continuity item and one for the messages
    of the contact happening now."""
    rows = card_rows(conn, customer_id, customer)
    if rows is None:
        return None
    current = ctx.interaction_id
    if current and not any(i["id"] == current for i in rows["interactions"]):
        found = CARD["current"].all(conn, cid=customer_id, iid=current)
        rows["current"] = found[0] if found else None
    recent = continuity_ids(rows["interactions"], ctx)
    messages = last_messages(conn, customer_id, recent)
    if current:
        messages.update(last_messages(conn, customer_id, [current], per=NOW_MESSAGES))
    if ctx.moments is not None and (names := sorted(ctx.moments.activity_names)):
        since = ctx.now - ctx.moments.horizon
        rows["moment_activities"] = CARD["moment_activities"].all(
            conn, cid=customer_id, names=names, since=since
        )
    config = current_insight(conn)
    card = build_card(rows, messages, ctx, Learned(config.associations, config.population))
    if ctx.forms and (forms := forms_in_question(card, rows["interactions"], ctx.forms)):
        identifiers = CARD["identifiers"].all(conn, cid=customer_id)
        card["forms"] = form_items(forms, rows["customer"]["traits"] or {}, identifiers, ctx.now)
    return card
