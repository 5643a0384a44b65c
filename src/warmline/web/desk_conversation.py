"""The live conversation on the desk: new messages of an open interaction, with what each
shows of the customer's feelings and the interaction's mood, as Server-Sent Events.

The same stream keeps the card of the contact happening now live: asked ``with_card``,
it also sends the card's "probably about" again whenever the customer has said more,
since their words point to the reason."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from warmline.errors import InvalidRequest, NotFound
from warmline.serving.access import access_customer
from warmline.serving.cards import card_context
from warmline.serving.deps import EngineDep, SettingsDep
from warmline.serving.knowledge import card_suggestions
from warmline.storage import queries
from warmline.storage.card_queries import load_card
from warmline.storage.live import interaction_topic
from warmline.web.pages import COOKIE, DeskActor, templates
from warmline.web.sse import Read, frame, live_stream

router = APIRouter(prefix="/desk", include_in_schema=False)
#: Messages read at a time.
MESSAGE_PAGE = 100


def parse_after(after: str) -> tuple[dt.datetime, str] | None:
    """The ``sent_at|id`` cursor of the last message the desk has."""
    if not after:
        return None
    at, sep, message_id = after.partition("|")
    try:
        when = dt.datetime.fromisoformat(at)
    except ValueError:
        when = None
    if not sep or when is None or when.tzinfo is None:
        raise InvalidRequest("invalid_cursor", "after must be the sent_at|id of a message")
    return when, message_id


def _news(engine: Any, interaction_id: str, after: tuple[dt.datetime, str] | None) -> Any:
    with engine.connect() as conn:
        # Messages first: the mood read after them already counts them.
        fresh = queries.messages_after(conn, interaction_id, after, limit=MESSAGE_PAGE)
        found = queries.interaction_with_messages(conn, interaction_id, limit=0)
    return found, fresh


@router.get("/conversation/{interaction_id}/stream")
async def conversation_stream(
    interaction_id: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    actor: DeskActor,
    after: Annotated[str, Query(max_length=120)] = "",
    with_card: bool = False,
) -> StreamingResponse:
    """New messages as they arrive (event ``message``), the interaction's mood after them
    (``mood``), and ``ended`` when the interaction ends; ``with_card``, the card's likely
    reasons after each new customer message (``reasons``). Watching is audited once."""
    # A reconnecting browser says where it got to (the last event's id).
    cursor = parse_after(request.headers.get("last-event-id") or after)

    def open_it() -> tuple[str, str, str | None]:
        with engine.connect() as conn:
            found = queries.interaction_with_messages(conn, interaction_id, limit=0)
            if found is None:
                raise NotFound("interaction_not_found", "no such interaction")
            live = access_customer(
                conn, engine, actor, found["customer_id"], "conversation.watched"
            )
            return str(found["id"]), live, found["channel"]

    internal, customer_id, channel = await run_in_threadpool(open_it)

    def reasons() -> dict[str, str]:
        ctx = card_context(settings, channel=channel, interaction_id=internal)
        with engine.connect() as conn:
            card = load_card(conn, customer_id, ctx)
            assert card is not None
            card["articles"] = card_suggestions(conn, card)
        return {
            "html": templates.get_template("card_reasons.html").render(card=card),
            "articles": templates.get_template("card_articles.html").render(card=card),
        }

    token = request.cookies.get(COOKIE, "")

    async def fetch() -> Read:
        nonlocal cursor
        found, fresh = await run_in_threadpool(_news, engine, internal, cursor)
        now = dt.datetime.now(dt.UTC)
        frames = []
        for m in fresh:
            html = templates.get_template("message_item.html").render(m=m, now=now)
            cursor = (m["sent_at"], m["id"])
            position = f"{m['sent_at'].isoformat()}|{m['id']}"
            frames.append(
                frame("message", {"html": html, "after": position, "id": m["id"]}, position)
            )
        if fresh:
            mood = templates.get_template("conversation_mood.html").render(mood=found["mood"])
            frames.append(frame("mood", {"html": mood}))
        if with_card and any(m["speaker"] == "customer" for m in fresh):
            frames.append(frame("reasons", await run_in_threadpool(reasons)))
        if len(fresh) == MESSAGE_PAGE:
            return Read(frames, more=True)  # the rest, and whether it ended, next
        if found is None or found["status"] != "open":
            frames.append(frame("ended", {}))
            return Read(frames, over=True)
        return Read(frames)

    return live_stream(request, engine, token, fetch, topics=[interaction_topic(internal)])
