"""Zendesk's payloads as Warmline events: its event webhooks, the trigger body Warmline
documents, and the records of an incremental export.

A ticket is an interaction (``zendesk:<account>:ticket:<id>``) on the channel it came by;
its requester is the customer, named by a ``zendesk_user`` identifier (and email, phone
and external id where the payload has them); each comment is a message (the requester's
and other end users' as the customer's, staff's as an agent's, private comments as the
agent's private notes, attachments as links); solved and closed end the interaction.
A user is ``customer.identified`` unless they are staff.

- Event webhooks (``type`` ``zen:event-type:ticket.created``, ``ticket.comment_added``,
  ``ticket.status_changed``, ``user.created``): the ticket or user in ``detail``, what
  happened in ``event``.
- Trigger webhooks: a JSON body ``{"ticket": {...}}`` built from placeholders, as
  ``docs/integrate.md`` gives it (the ticket, its requester and its latest comment).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from warmline.domain.connectors.translation import (
    Translation,
    Unusable,
    digest,
    envelope,
    first_time,
    ident,
    identifier,
    link,
    obj,
    parse_time,
    said,
    sent_files,
    text,
    traits,
)

EVENT_PREFIX = "zen:event-type:"
EVENTS = ("ticket.created", "ticket.comment_added", "ticket.status_changed", "user.created")
VIA_CHANNELS = {
    "email": "email",
    "mail": "email",
    "web": "web",
    "web_form": "web",
    "web_widget": "chat",
    "chat": "chat",
    "native_messaging": "chat",
    "messaging": "chat",
    "whatsapp": "chat",
    "facebook": "chat",
    "twitter": "chat",
    "instagram_dm": "chat",
    "voice": "voice",
    "phone": "voice",
    "sms": "sms",
    "api": "web",
    "mobile_sdk": "app",
    "mobile": "app",
}
ENDED = frozenset({"solved", "closed"})
STAFF_ROLES = frozenset({"agent", "admin"})
MAX_ATTACHMENTS = 20


def source_of(account: str) -> str:
    return f"zendesk/{account}"


def translate(
    payload: dict[str, Any],
    *,
    account: str,
    options: dict[str, Any],
    region: str,
    received_at: dt.datetime,
) -> Translation:
    """The events one Zendesk webhook delivery becomes; raises :class:`Unusable` when it
    cannot become any."""
    reader = Reader(account, options, region, received_at)
    kind = payload.get("type")
    if isinstance(kind, str) and kind.startswith(EVENT_PREFIX):
        reader.event(kind.removeprefix(EVENT_PREFIX), payload)
    elif isinstance(payload.get("ticket"), dict):
        reader.trigger(payload["ticket"])
    else:
        reader.t.ignored = (
            "neither a Zendesk event webhook (type zen:event-type:...) nor a trigger body "
            '{"ticket": {...}}'
        )
    return reader.t


class Reader:
    """Reads Zendesk's tickets, comments and users into one :class:`Translation`."""

    def __init__(
        self, account: str, options: dict[str, Any], region: str, received_at: dt.datetime
    ) -> None:
        self.t = Translation()
        self.account = account
        self.source = source_of(account)
        self.identifier_kind = str(options.get("identifier_kind") or "customer_number")
        self.region = region
        self.received_at = received_at

    # -- webhooks ------------------------------------------------------------------------

    def event(self, kind: str, payload: dict[str, Any]) -> None:
        detail, happened = obj(payload.get("detail")), obj(payload.get("event"))
        when = first_time(
            self.t,
            "/time",
            payload.get("time"),
            detail.get("updated_at"),
            fallback=self.received_at,
        )
        if kind == "user.created":
            self.user(detail, "/detail/", when)
        elif kind == "ticket.created":
            self.ticket(detail, "/detail/", when)
        elif kind == "ticket.comment_added":
            interaction = self.ticket(detail, "/detail/", when)
            comment = obj(happened.get("comment"))
            author = obj(comment.get("author"))
            staff = author.get("is_staff") is True
            self.comment(
                interaction,
                {**comment, "author_id": author.get("id"), "public": comment.get("is_public")},
                "/event/comment/",
                when,
                staff={ident(author.get("id"))} if staff else set(),
                author_name=text(author.get("name")),
            )
        elif kind == "ticket.status_changed":
            interaction = self.ticket(detail, "/detail/", when)
            self.status(interaction, str(happened.get("current") or detail.get("status")), when)
        else:
            self.t.ignored = (
                f"Zendesk event '{kind[:60]}' is not used; Warmline reads: " + ", ".join(EVENTS)
            )

    def trigger(self, ticket: dict[str, Any]) -> None:
        when = first_time(
            self.t,
            "/ticket/updated_at",
            ticket.get("updated_at"),
            ticket.get("created_at"),
            fallback=self.received_at,
        )
        requester = obj(ticket.get("requester"))
        ticket = {**ticket, "requester_id": requester.get("id") or ticket.get("requester_id")}
        interaction = self.ticket(ticket, "/ticket/", when, requester=requester)
        comment = obj(ticket.get("latest_comment") or ticket.get("comment"))
        if comment:
            staff = (
                {ident(comment.get("author_id"))}
                if _truthy(comment.get("author_is_staff"))
                else set()
            )
            self.comment(
                interaction,
                comment,
                "/ticket/latest_comment/",
                when,
                staff=staff,
            )
        self.status(interaction, str(ticket.get("status") or ""), when)

    # -- the records themselves ----------------------------------------------------------

    def customer(
        self, where: str, user_id: Any, person: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        person = person or {}
        t, found = self.t, []
        if (user := ident(user_id)) is not None:
            found.append({"kind": "zendesk_user", "value": f"{self.account}:{user}"})
        for key, kind in (("email", "email"), ("phone", "phone")):
            if one := identifier(t, f"{where}{key}", kind, person.get(key), self.region):
                found.append(one)
        external = person.get("external_id")
        if external and (
            one := identifier(t, f"{where}external_id", self.identifier_kind, external, self.region)
        ):
            found.append(one)
        if not found:
            return None
        ref: dict[str, Any] = {"identifiers": found}
        values = {"name": person.get("name"), "language": person.get("locale")}
        values.update(obj(person.get("user_fields")))
        if kept := traits(t, f"{where}user_fields", values):
            ref["traits"] = kept
        return ref

    def user(self, user: dict[str, Any], where: str, when: dt.datetime) -> None:
        if str(user.get("role") or "end-user") in STAFF_ROLES:
            self.t.ignored = "staff users are agents, not customers"
            return
        ref = self.customer(where, user.get("id"), user)
        if ref is None:
            raise Unusable(
                "missing_id", "the user has no id, email or phone", "send Zendesk's user record"
            )
        when = first_time(
            self.t,
            f"{where}updated_at",
            user.get("updated_at"),
            user.get("created_at"),
            fallback=when,
        )
        event_id = f"user/{ident(user.get('id')) or '-'}/{digest(sorted(map(str, ref.items())))}"
        self.t.envelopes.append(
            envelope(self.source, event_id, "customer.identified", when, {"customer": ref})
        )

    def ticket(
        self,
        ticket: dict[str, Any],
        where: str,
        when: dt.datetime,
        requester: dict[str, Any] | None = None,
    ) -> str:
        """The ticket's ``interaction.started`` (one id per ticket); its interaction id."""
        ticket_id = ident(ticket.get("id"))
        if ticket_id is None:
            raise Unusable(
                "missing_id",
                f"the payload names no ticket id ({where}id)",
                "send Zendesk's own payload, or a trigger body with ticket.id",
            )
        interaction_id = f"zendesk:{self.account}:ticket:{ticket_id}"
        ref = self.customer(f"{where}requester/", ticket.get("requester_id"), requester)
        if ref is None:
            self.t.warn(
                f"{where}requester_id",
                "no requester named: the ticket's events wait for one that names it",
                "missing_contact",
            )
            return interaction_id
        via = ticket.get("via")
        channel_name = str(obj(via).get("channel") if isinstance(via, dict) else via or "").lower()
        channel = VIA_CHANNELS.get(channel_name.replace(" ", "_"))
        if channel is None:
            self.t.warn(
                f"{where}via",
                f"channel '{channel_name[:40]}' is not known; taken as web",
                "unknown_channel",
            )
            channel = "web"
        data: dict[str, Any] = {
            "customer": ref,
            "interaction_id": interaction_id,
            "channel": channel,
        }
        if subject := text(ticket.get("subject")):
            data["subject"] = subject
        assignee = ticket.get("assignee")
        if agent := text(assignee if isinstance(assignee, str) else obj(assignee).get("name")):
            data["agent_id"] = agent
        started = first_time(self.t, f"{where}created_at", ticket.get("created_at"), fallback=when)
        self.t.envelopes.append(
            envelope(
                self.source, f"ticket/{ticket_id}/started", "interaction.started", started, data
            )
        )
        return interaction_id

    def comment(
        self,
        interaction_id: str,
        comment: dict[str, Any],
        where: str,
        when: dt.datetime,
        *,
        staff: set[str | None],
        author_name: str | None = None,
    ) -> None:
        t = self.t
        author = ident(comment.get("author_id"))
        private = comment.get("public", comment.get("is_public", True)) in (False, "false")
        # Staff speak as agents; a private comment is an agent's note; anyone else who
        # writes on the ticket (the requester, someone copied in) speaks as the customer.
        speaker = "agent" if (author is not None and author in staff) or private else "customer"
        body = comment.get("plain_body") or comment.get("body") or comment.get("value")
        words = said(t, f"{where}body", body)
        links = self.attachments(comment.get("attachments"), where)
        if not words and not links:
            t.warn(f"{where}body", "an empty comment; left out", "empty_value")
            return
        data: dict[str, Any] = {
            "interaction_id": interaction_id,
            "speaker": speaker,
            "text": words or sent_files(links),
        }
        if speaker == "agent" and (name := author_name or (author and f"zendesk user {author}")):
            data["agent_id"] = name
        if private:
            data["private"] = True
        if links:
            data["attachments"] = links
        # A trigger's latest comment carries no time of its own: it is the ticket's update.
        sent = parse_time(comment.get("created_at")) or when
        comment_id = ident(comment.get("id"))
        if comment_id is None:
            t.warn(f"{where}id", "no comment id: named by its ticket, time and text", "missing_id")
            comment_id = digest(interaction_id, sent.isoformat(), words)
        t.envelopes.append(
            envelope(self.source, f"comment/{comment_id}", "message.posted", sent, data)
        )

    def status(self, interaction_id: str, status: str, when: dt.datetime) -> None:
        status = status.strip().lower()
        if status not in ENDED:
            return
        ticket_id = interaction_id.rsplit(":", 1)[1]
        self.t.envelopes.append(
            envelope(
                self.source,
                f"ticket/{ticket_id}/{status}/{int(when.timestamp())}",
                "interaction.ended",
                when,
                {"interaction_id": interaction_id, "outcome": "resolved"},
            )
        )

    def attachments(self, raw: Any, where: str) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            return []
        links = []
        for n, item in enumerate(raw[:MAX_ATTACHMENTS]):
            a = obj(item)
            name = text(a.get("file_name")) or f"file {n + 1}"
            url = a.get("content_url") or a.get("url")
            if found := link(self.t, f"{where}attachments/{n}", url, name, a.get("content_type")):
                links.append(found)
        return links


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")
