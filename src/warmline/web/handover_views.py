"""What the desk shows for handovers and live contacts: plain dicts for the templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Connection

from warmline.actions.handovers import ACCEPTED, COVERING_ROLES
from warmline.domain.access.roles import Actor, Permission, allows
from warmline.domain.card.context import CODE_CHANNELS
from warmline.domain.handover.note import HandoverNote, possessive
from warmline.domain.timewords import until
from warmline.storage import handover_queries as hq
from warmline.storage import queries


def handover_view(conn: Connection, handover_id: str, actor: Actor) -> dict[str, Any] | None:
    """A handover as the desk shows it: the note, who sent it, and whether this desk
    may accept it (the receiving agent, anyone taking a queue's, a supervisor covering)."""
    handover = hq.handover(conn, handover_id)
    if handover is None:
        return None
    note = HandoverNote.from_json(handover["note"])
    addressed = handover["to_agent"]
    may_accept = (
        handover["status"] != ACCEPTED
        and handover["from_agent"] != actor.name
        and allows(actor.role, Permission.HAND_OVER)
        and (addressed is None or addressed == actor.name or actor.role in COVERING_ROLES)
    )
    now = dt.datetime.now(dt.UTC)
    return {
        **handover,
        "note": note,
        "promises": [
            {
                "text": c.text,
                "due": until(c.due, now) if c.due else "no due time",
                "overdue": bool(c.due and c.due < now),
                "made_by": c.made_by,
            }
            for c in note.commitments
        ],
        "words_title": f"Issue, in {possessive(note.customer_name)} words",
        "to": addressed or f"the {handover['to_queue']} queue",
        "accepted": handover["status"] == ACCEPTED,
        "may_accept": may_accept,
    }


def live_contact(conn: Connection, interaction_id: str | None) -> dict[str, Any] | None:
    """The contact a card is open for, if it is still going: for the desk's hand-over and
    continuation-code forms (and whether a handover of it waits to be accepted)."""
    if interaction_id is None:
        return None
    interaction = queries.interaction_row(conn, interaction_id)
    if interaction is None or interaction["status"] == "ended":
        return None
    return {
        "interaction_id": interaction["id"],
        "channel": interaction["channel"],
        # A code is read out or keyed in only where the customer is there to do it.
        "code_entry": interaction["channel"] in CODE_CHANNELS,
        "pending_handover": hq.pending_handover(conn, interaction["id"]),
    }


def notice_view(conn: Connection, push: dict[str, Any]) -> dict[str, Any]:
    """An "accepted" notice for the sender's desk: who took which customer, and when."""
    detail = push["detail"]
    found = queries.customer_summaries(conn, [push["customer_id"]]) if push["customer_id"] else []
    name = found[0]["name"] if found and found[0]["name"] else "the customer"
    return {
        "push_id": push["id"],
        "at": push["at"],
        "customer_id": push["customer_id"],
        "handover_id": detail.get("handover_id") or "",
        "accepted_by": detail.get("accepted_by") or "",
        "text": f"{detail.get('accepted_by') or 'They'} accepted your handover of {name}",
    }
