"""Channel switch: a contact that starts soon after one on another channel joins its case.

Miles's chat could not lift a fraud block; he phones four minutes later. The call is
about the same thing, so it joins the chat's case: the card leads with the chat, the
case counts a second contact and a channel switch, and a handover from the call carries
what Miles said in the chat. If the chat had no case, one is opened for both, titled
from the chat's reason, subject or the customer's first line.

The decision is recorded as events (``case.opened`` and ``case.updated`` from
``warmline.contacts``) through ingest, so ``warmline rebuild`` keeps it, in the contact's
own transaction: in the start's batch when the customer is known before the contact starts
(a branch visit), else in a second batch just after it. An open case
nearby wins over a later contact without one (the app session Miles verified in a
minute ago should not pull the call away from the chat's case). A resolved case is not
reopened: a contact after it is a new matter until someone links it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from warmline.domain.card.contacts import last_seen, nearby_ids
from warmline.domain.card.context import CardContext
from warmline.domain.conversation.summary import trim
from warmline.domain.ids import stable_id
from warmline.domain.labels import humanise
from warmline.storage import handover_queries as hq

SWITCH_SOURCE = "warmline.contacts"
TITLE_CHARS = 120


@dataclass(frozen=True, slots=True)
class Switch:
    """A new contact joining a recent case: the case's external id, and the events that
    say so (``case.opened`` when the earlier contact had no case, then ``case.updated``)."""

    case_ref: str
    events: list[dict[str, Any]]


def case_switch(
    conn: Connection,
    *,
    customer_id: str,
    contact_id: str,
    interaction_id: str,
    channel: str,
    now: dt.datetime,
    window: dt.timedelta,
) -> Switch | None:
    """Put the new contact in the case of the customer's latest interaction on another
    channel within ``window`` that is in an open case, or else open a case for the latest
    one without a case; None when there was no such interaction. Reads only: the caller
    ingests the events (with the contact's start when it knows the customer beforehand,
    as a branch visit does, or just after it, in the same transaction)."""
    ctx = CardContext(
        now=now, channel=channel, interaction_id=interaction_id, continuity_window=window
    )
    recent = hq.recent_interactions(conn, customer_id)
    nearby = set(nearby_ids(recent, ctx))
    candidates = [r for r in recent if r["id"] in nearby]
    # An open case nearby is what the customer is most likely still about; otherwise
    # the latest contact without a case starts one.
    in_open_case = [r for r in candidates if r["case_id"] and r["case_status"] != "resolved"]
    without_case = [r for r in candidates if not r["case_id"]]
    if not in_open_case and not without_case:
        return None
    earlier = max(in_open_case or without_case, key=last_seen)
    events = []
    case_ref = earlier["case_external_id"]
    if case_ref is None:
        first_line = hq.first_customer_line(conn, earlier["id"])
        case_ref = stable_id("switch", earlier["external_id"])
        events.append(
            _event(
                stable_id("switch", contact_id, "case"),
                "case.opened",
                now,
                case_id=case_ref,
                title=switch_title(earlier, first_line),
                interaction_id=earlier["external_id"],
            )
        )
    events.append(
        _event(
            stable_id("switch", contact_id, "join"),
            "case.updated",
            now,
            case_id=case_ref,
            interaction_id=contact_id,
        )
    )
    return Switch(str(case_ref), events)


def switch_title(earlier: dict[str, Any], first_line: str | None) -> str:
    """A title for the case a channel switch opens: the earlier contact's reason, subject
    or the customer's first line there."""
    reason = humanise(earlier.get("reason"))
    if reason:
        return reason[:1].upper() + reason[1:]
    if earlier.get("subject"):
        return str(earlier["subject"])
    if first_line and first_line.strip():
        return trim(" ".join(first_line.split()), TITLE_CHARS)
    return f"Contact on {earlier.get('channel') or 'another channel'}"


def _event(event_id: str, type_: str, now: dt.datetime, **data: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": SWITCH_SOURCE,
        "type": type_,
        "time": now.isoformat(),
        "data": data,
    }
