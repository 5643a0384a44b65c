"""Warm handover: one agent hands an interaction to another agent or a queue, with a note.

:func:`hand_over` builds the note (:func:`warmline.domain.handover.note.build_handover_note`)
from the conversation (the case's earlier contacts first, so what the customer said in
the chat before this call counts), the customer's names, the case, their open promises
and how they feel; optionally has an LLM reword it; stores it; pushes it to the
receiving desk (``queue:<name>`` for a queue); and records the transfer as an
``interaction.transferred`` event through ingest, so the interaction's transfer count
and the case's effort include it. :func:`accept_handover` marks it accepted and tells
the sender's desk. A handover is refused for an unknown or ended interaction, an
unknown receiving agent, a handover to oneself, and while one is still pending.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.desk_push import insert_push
from warmline.actions.ingest import ingest_events
from warmline.actions.note_rewrite import LlmEndpoint, rewrite_note
from warmline.actions.outbox import enqueue
from warmline.domain import webhooks
from warmline.domain.access.roles import Actor, Permission, Role, allows
from warmline.domain.conversation.turns import Turn
from warmline.domain.handover.feeling import customer_feeling
from warmline.domain.handover.note import (
    Commitment,
    Feeling,
    HandoverNote,
    Receiver,
    build_handover_note,
)
from warmline.errors import Conflict, Forbidden, InvalidRequest, NotFound
from warmline.models import analyse_messages
from warmline.storage import handover_queries as hq
from warmline.storage import queries
from warmline.storage import schema as t
from warmline.storage.engine import writing

HANDOVER_SOURCE = "warmline.handovers"
PENDING, ACCEPTED = "pending", "accepted"
#: Roles whose keys open the desk: a handover goes to one of them.
DESK_ROLES = [r.value for r in Role if allows(r, Permission.READ_CUSTOMERS)]
#: Roles that may accept a handover addressed to someone else (covering for them).
COVERING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})

FeelingOf = Callable[[Sequence[Turn]], Feeling | None]


def read_feeling(turns: Sequence[Turn]) -> Feeling | None:
    """The customer's feeling in ``turns``, read by the shipped emotion model."""
    return customer_feeling(turns, analyse_messages)


def hand_over(
    engine: Engine,
    actor: Actor,
    interaction_id: str,
    *,
    to_agent: str | None = None,
    to_queue: str | None = None,
    remark: str | None = None,
    role: str | None = None,
    llm: LlmEndpoint | None = None,
    feeling_of: FeelingOf = read_feeling,
    region: str = "GB",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Hand the open interaction ``interaction_id`` (Warmline's or the source's id) to
    ``to_agent`` (a desk key's name) or ``to_queue``; return the stored handover.

    ``role`` says what the receiver looks after ("card payments") for the introduction.
    ``feeling_of`` reads the customer's feeling from the interaction's own turns.
    """
    now = now or dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        interaction = _open_interaction(conn, interaction_id)
        _check_receiver(conn, actor, to_agent, to_queue, now)
        _check_not_pending(conn, interaction["id"])
        customer_id = queries.live_customer_id(conn, interaction["customer_id"])
        if customer_id is None:
            raise NotFound("customer_not_found", "the interaction's customer is gone")
        rows = hq.conversation_rows(conn, interaction)
        name, preferred = hq.customer_names(conn, customer_id)
        title = hq.case_title(conn, interaction["case_id"])
        promised = hq.open_commitments(conn, customer_id)
    turns = [Turn(r["speaker"], r["text"], r["sent_at"], r["agent_id"]) for r in rows]
    own = [
        turn
        for r, turn in zip(rows, turns, strict=True)
        if r["interaction_id"] == interaction["id"]
    ]
    receiver = Receiver(str(to_agent or to_queue), is_queue=to_queue is not None, role=role)
    note = build_handover_note(
        turns,
        customer_name=name,
        preferred_name=preferred,
        case_title=title,
        commitments=[Commitment(c["text"] or "", c["due_at"], c["made_by"]) for c in promised],
        feeling=feeling_of(own),
        sender=actor.name,
        receiver=receiver,
        remark=remark,
    )
    failure = None
    if llm is not None:
        note, failure = rewrite_note(note, llm)
    handover_id = "hnd_" + secrets.token_hex(8)
    with writing(engine) as conn, conn.begin():
        _lock(conn, interaction["id"])
        _check_not_pending(conn, interaction["id"])  # again: another handover may have won
        row = _store(
            conn, handover_id, interaction, customer_id, actor, receiver, note, failure, now
        )
        _push(conn, row, interaction, "handover", now)
        enqueue(conn, "handover.created", webhooks.handover_created(row), now=now,
                customer_id=customer_id)  # fmt: skip
    _record_transfer(
        engine, handover_id, interaction, actor, to_agent, to_queue, remark, region, now
    )
    return row


def _open_interaction(conn: Connection, interaction_id: str) -> dict[str, Any]:
    interaction = hq.interaction(conn, interaction_id)
    if interaction["status"] == "ended":
        raise Conflict(
            "interaction_ended",
            "this interaction has ended: there is no one on the line to hand over",
            hint="start a new contact, or hand over the customer's current interaction",
        )
    return interaction


def _check_receiver(
    conn: Connection, actor: Actor, to_agent: str | None, to_queue: str | None, now: dt.datetime
) -> None:
    if (to_agent is None) == (to_queue is None):
        raise InvalidRequest(
            "invalid_handover",
            "hand over to exactly one of to_agent or to_queue",
            hint='e.g. {"to_agent": "dave"} or {"to_queue": "cards"}',
        )
    if to_agent is None:
        return
    if to_agent == actor.name:
        raise InvalidRequest("handover_to_self", "an interaction cannot be handed to yourself")
    if not hq.active_key_may_desk(conn, to_agent, DESK_ROLES, now):
        raise InvalidRequest(
            "unknown_agent",
            f"no agent '{to_agent[:60]}' can take it: no active desk key has that name",
            hint="use the name of the receiving agent's desk key, or hand over to a queue",
        )


def _check_not_pending(conn: Connection, interaction_id: str) -> None:
    pending = hq.pending_handover(conn, interaction_id)
    if pending is not None:
        raise Conflict(
            "handover_pending",
            "this interaction was handed over already and is waiting to be accepted",
            hint=f"wait for handover {pending} to be accepted (GET /v1/handovers/{pending})",
            extra={"handover_id": pending},
        )


def _lock(conn: Connection, interaction_id: str) -> None:
    """PostgreSQL: one handover of an interaction at a time (SQLite's writer lock does it)."""
    i = t.interactions
    conn.execute(sa.select(i.c.id).where(i.c.id == interaction_id).with_for_update())


def _store(
    conn: Connection,
    handover_id: str,
    interaction: dict[str, Any],
    customer_id: str,
    actor: Actor,
    receiver: Receiver,
    note: HandoverNote,
    failure: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    row = {
        "id": handover_id,
        "interaction_id": interaction["id"],
        "customer_id": customer_id,
        "origin_id": interaction["origin_id"],
        "from_agent": actor.name,
        "to_agent": None if receiver.is_queue else receiver.name,
        "to_queue": receiver.name if receiver.is_queue else None,
        "note": note.to_json(),
        "status": PENDING,
        "created_at": now,
        "accepted_at": None,
        "accepted_by": None,
        "rewritten_by": note.rewritten_by,
        "llm_failure": failure,
    }
    conn.execute(t.handovers.insert().values(**row))
    return row


def desk_of(handover: dict[str, Any]) -> str:
    """The desk a handover is pushed to: the agent's, or ``queue:<name>``."""
    return handover["to_agent"] or f"queue:{handover['to_queue']}"


def _push(
    conn: Connection,
    handover: dict[str, Any],
    interaction: dict[str, Any],
    kind: str,
    now: dt.datetime,
    agent: str | None = None,
) -> None:
    insert_push(
        conn,
        agent=agent or desk_of(handover),
        kind=kind,
        customer_id=handover["customer_id"],
        interaction_id=interaction["id"],
        channel=interaction["channel"],
        detail={
            "handover_id": handover["id"],
            "from": handover["from_agent"],
            "to": handover["to_agent"] or handover["to_queue"],
            "accepted_by": handover["accepted_by"],
            "recognised": True,
        },
        at=now,
    )


def _record_transfer(
    engine: Engine,
    handover_id: str,
    interaction: dict[str, Any],
    actor: Actor,
    to_agent: str | None,
    to_queue: str | None,
    remark: str | None,
    region: str,
    now: dt.datetime,
) -> None:
    data: dict[str, Any] = {"interaction_id": interaction["external_id"], "from_agent": actor.name}
    data.update({"to_agent": to_agent} if to_agent else {"to_queue": to_queue})
    if remark and remark.strip():
        data["remark"] = remark.strip()
    envelope = {
        "specversion": "1.0",
        "id": handover_id,
        "source": HANDOVER_SOURCE,
        "type": "interaction.transferred",
        "time": now.isoformat(),
        "data": data,
    }
    ingest_events(engine, [envelope], region=region, now=now)


def accept_handover(
    engine: Engine, actor: Actor, handover_id: str, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Accept a pending handover: the receiving agent (a supervisor or admin may cover for
    them; anyone who takes handovers may take a queue's), never its sender. The sender's
    desk is told."""
    now = now or dt.datetime.now(dt.UTC)
    h = t.handovers
    with writing(engine) as conn, conn.begin():
        found = conn.execute(sa.select(h).where(h.c.id == handover_id).with_for_update())
        row = found.mappings().first()
        if row is None:
            raise NotFound("handover_not_found", f"no handover '{handover_id[:60]}'")
        handover = dict(row)
        addressed = handover["to_agent"]
        if handover["from_agent"] == actor.name:
            raise Forbidden(
                "own_handover",
                "you handed this over yourself; the receiver accepts it",
                hint=f"{addressed or 'someone in the queue'} accepts it from their desk",
            )
        if addressed and addressed != actor.name and actor.role not in COVERING_ROLES:
            raise Forbidden(
                "not_your_handover",
                f"this handover is for {addressed}",
                hint="only the receiving agent (or a supervisor) accepts it",
            )
        if handover["status"] == ACCEPTED:
            raise Conflict(
                "handover_accepted_already",
                f"{handover['accepted_by']} accepted this handover already",
            )
        handover.update(status=ACCEPTED, accepted_at=now, accepted_by=actor.name)
        conn.execute(
            h.update()
            .where(h.c.id == handover_id)
            .values(status=ACCEPTED, accepted_at=now, accepted_by=actor.name)
        )
        interaction = hq.interaction(conn, handover["interaction_id"])
        _push(conn, handover, interaction, "handover_accepted", now, agent=handover["from_agent"])
        enqueue(conn, "handover.accepted", webhooks.handover_accepted(handover), now=now,
                customer_id=handover["customer_id"])  # fmt: skip
        detail = {"handover_id": handover_id}
        append_chained(
            conn, [audit_row(actor, "handover.accepted", handover["customer_id"], detail)]
        )
    return handover
