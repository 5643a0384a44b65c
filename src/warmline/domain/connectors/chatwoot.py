"""Chatwoot's webhook payloads as Warmline events.

Chatwoot posts one JSON object per event, named in ``event``. What each becomes:

- ``contact_created``, ``contact_updated``: ``customer.identified`` (the contact's id as a
  ``chatwoot_contact`` identifier, email, phone, its ``identifier`` as a customer number,
  name and attributes as traits);
- ``conversation_created``: ``interaction.started`` on the channel its inbox is (a
  connector's ``inbox_channels`` option names it per inbox id, else the inbox's type);
- ``conversation_status_changed``: to ``resolved``, ``interaction.ended``;
- ``message_created``, ``message_updated``: ``message.posted``, the speaker from
  ``message_type`` (incoming: the customer; outgoing: an agent, or a bot when a bot sent
  it), private notes kept as the agent's private notes, attachments as links.

Every delivery about a conversation also carries its ``interaction.started`` (the same
event id each time), so a conversation whose creation was missed still appears. Event ids
come from Chatwoot's own ids, so a replayed delivery changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
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
    said,
    sent_files,
    text,
    traits,
)

EVENTS = (
    "contact_created",
    "contact_updated",
    "conversation_created",
    "conversation_status_changed",
    "message_created",
    "message_updated",
)
#: The channel of each of Chatwoot's inbox types (``Channel::...``).
INBOX_TYPES = {
    "WebWidget": "chat",
    "Api": "chat",
    "Email": "email",
    "Whatsapp": "chat",
    "FacebookPage": "chat",
    "Instagram": "chat",
    "TwitterProfile": "chat",
    "Telegram": "chat",
    "Line": "chat",
    "TwilioSms": "sms",
    "Sms": "sms",
    "Voice": "voice",
}
MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
BOT_SENDERS = frozenset({"agent_bot", "captain_assistant", "bot"})
#: The names Chatwoot makes up for anonymous widget visitors ("little-haze-776").
_MADE_UP_NAME = re.compile(r"^[a-z]+-[a-z]+-\d+$")
MAX_ATTACHMENTS = 20


def source_of(account: str) -> str:
    return f"chatwoot/{account}"


def translate(
    payload: dict[str, Any],
    *,
    account: str,
    options: dict[str, Any],
    region: str,
    received_at: dt.datetime,
) -> Translation:
    """The events one Chatwoot webhook delivery becomes; raises :class:`Unusable` when it
    cannot become any (no conversation id, say)."""
    t = Translation()
    kind = payload.get("event")
    if kind not in EVENTS:
        t.ignored = (
            f"Chatwoot event '{str(kind)[:60]}' is not used; Warmline reads: {', '.join(EVENTS)}"
        )
        return t
    reader = _Reader(t, account, options, region, received_at)
    if kind in ("contact_created", "contact_updated"):
        reader.contact(payload)
    elif kind in ("conversation_created", "conversation_status_changed"):
        reader.conversation(payload, status_changed=kind == "conversation_status_changed")
    else:
        reader.message(payload)
    return t


class _Reader:
    def __init__(
        self,
        t: Translation,
        account: str,
        options: dict[str, Any],
        region: str,
        received_at: dt.datetime,
    ) -> None:
        self.t = t
        self.account = account
        self.source = source_of(account)
        self.inbox_channels = {str(k): v for k, v in obj(options.get("inbox_channels")).items()}
        self.identifier_kind = str(options.get("identifier_kind") or "customer_number")
        self.region = region
        self.received_at = received_at

    # -- contacts ------------------------------------------------------------------------

    def customer(self, where: str, contact: dict[str, Any]) -> dict[str, Any] | None:
        """A contact as ``data.customer``: identifiers and traits; None if it names nobody."""
        t, found = self.t, []
        contact_id = ident(contact.get("id"))
        if contact_id:
            found.append({"kind": "chatwoot_contact", "value": f"{self.account}:{contact_id}"})
        else:
            t.warn(f"{where}/id", "the contact has no id; named by email or phone", "missing_id")
        for key, kind in (("email", "email"), ("phone_number", "phone")):
            if found_one := identifier(t, f"{where}/{key}", kind, contact.get(key), self.region):
                found.append(found_one)
        raw = contact.get("identifier")
        kind = self.identifier_kind
        if raw and (found_one := identifier(t, f"{where}/identifier", kind, raw, self.region)):
            found.append(found_one)
        if not found:
            return None
        values: dict[str, Any] = {}
        name = text(contact.get("name"))
        if name and not _MADE_UP_NAME.match(name):
            values["name"] = name
        extra = obj(contact.get("additional_attributes"))
        for key, trait in (("city", "city"), ("country", "country"), ("company_name", "company")):
            values[trait] = extra.get(key)
        values.update(obj(contact.get("custom_attributes")))
        ref: dict[str, Any] = {"identifiers": found[:20]}
        if kept := traits(t, f"{where}/custom_attributes", values):
            ref["traits"] = kept
        return ref

    def contact(self, payload: dict[str, Any]) -> None:
        ref = self.customer("", payload)
        if ref is None:
            raise Unusable(
                "contact_unnamed",
                "the contact has no id, email or phone Warmline can use",
                "send the contact's own webhook payload (contact_created, contact_updated)",
            )
        when = first_time(
            self.t,
            "/updated_at",
            payload.get("updated_at"),
            payload.get("created_at"),
            fallback=self.received_at,
        )
        # One event per version of the contact: a replay is a duplicate, a change is new.
        event_id = f"contact/{ident(payload.get('id')) or '-'}/{digest(sorted_json(ref))}"
        self.t.envelopes.append(
            envelope(self.source, event_id, "customer.identified", when, {"customer": ref})
        )

    # -- conversations -------------------------------------------------------------------

    def started(self, conv: dict[str, Any], where: str, fallback_contact: Any = None) -> str:
        """The conversation's ``interaction.started`` (same id on every delivery); returns
        the interaction id."""
        conversation_id = ident(conv.get("id"))
        if conversation_id is None:
            raise Unusable(
                "missing_id",
                f"the payload names no conversation id ({where or '/'}id)",
                "send Chatwoot's own webhook payload: it carries the conversation's id",
            )
        interaction_id = f"chatwoot:{self.account}:conversation:{conversation_id}"
        meta = obj(conv.get("meta"))
        ref = None
        if meta.get("sender"):
            ref = self.customer(f"{where}meta/sender", obj(meta.get("sender")))
        if ref is None and fallback_contact:
            ref = self.customer(f"{where}contact", obj(fallback_contact))
        if ref is None:
            self.t.warn(
                f"{where}meta/sender",
                "no contact named: the conversation's events wait for one that names it",
                "missing_contact",
            )
            return interaction_id
        data: dict[str, Any] = {
            "customer": ref,
            "interaction_id": interaction_id,
            "channel": self.channel(conv, where),
        }
        assignee = obj(meta.get("assignee"))
        if agent := text(assignee.get("email")) or text(assignee.get("name")):
            data["agent_id"] = agent
        if team := text(obj(meta.get("team")).get("name")):
            data["queue"] = team
        if subject := text(obj(conv.get("additional_attributes")).get("mail_subject")):
            data["subject"] = subject
        when = first_time(
            self.t,
            f"{where}created_at",
            conv.get("created_at"),
            conv.get("timestamp"),
            fallback=self.received_at,
        )
        self.t.envelopes.append(
            envelope(
                self.source,
                f"conversation/{conversation_id}/started",
                "interaction.started",
                when,
                data,
            )
        )
        return interaction_id

    def channel(self, conv: dict[str, Any], where: str) -> str:
        inbox = ident(conv.get("inbox_id"))
        if inbox is not None and self.inbox_channels.get(inbox):
            return str(self.inbox_channels[inbox])
        kind = str(conv.get("channel") or "").removeprefix("Channel::")
        if kind in INBOX_TYPES:
            return INBOX_TYPES[kind]
        self.t.warn(
            f"{where}channel",
            f"inbox type '{kind[:40]}' is not known; taken as chat (set the connector's "
            "inbox_channels to name it)",
            "unknown_channel",
        )
        return "chat"

    def conversation(self, payload: dict[str, Any], *, status_changed: bool) -> None:
        interaction_id = self.started(payload, "/")
        if not status_changed:
            return
        status = payload.get("status")
        if status != "resolved":
            # open, pending, snoozed: the interaction stays open; nothing to record.
            return
        when = first_time(
            self.t,
            "/timestamp",
            payload.get("timestamp"),
            payload.get("last_activity_at"),
            payload.get("updated_at"),
            fallback=self.received_at,
        )
        conversation_id = interaction_id.rsplit(":", 1)[1]
        self.t.envelopes.append(
            envelope(
                self.source,
                f"conversation/{conversation_id}/resolved/{int(when.timestamp())}",
                "interaction.ended",
                when,
                {"interaction_id": interaction_id, "outcome": "resolved"},
            )
        )

    # -- messages ------------------------------------------------------------------------

    def message(self, payload: dict[str, Any]) -> None:
        t = self.t
        kind = payload.get("message_type")
        kind = MESSAGE_TYPES.get(kind, kind) if isinstance(kind, int) else kind
        if kind == "activity":
            t.ignored = "activity messages are Chatwoot's own notices, not said by anyone"
            return
        sender = obj(payload.get("sender"))
        contact = payload.get("contact") or (sender if sender.get("type") == "contact" else None)
        interaction_id = self.started(obj(payload.get("conversation")), "/conversation/", contact)
        private = payload.get("private") is True
        if kind == "incoming" and not private:
            speaker = "customer"
        elif kind == "template" or str(sender.get("type")) in BOT_SENDERS:
            speaker = "bot"
        else:
            if kind not in ("incoming", "outgoing"):
                t.warn("/message_type", f"'{str(kind)[:20]}' read as an agent's", "invalid_value")
            speaker = "agent"
        data: dict[str, Any] = {"interaction_id": interaction_id, "speaker": speaker}
        if speaker != "customer" and (
            agent := text(sender.get("email")) or text(sender.get("name"))
        ):
            data["agent_id"] = agent
        if private:
            data["private"] = True
        links = self.attachments(payload.get("attachments"))
        if links:
            data["attachments"] = links
        words = said(t, "/content", payload.get("content"))
        if not words and not links:
            t.ignored = "the message has no text and no attachments"
            t.envelopes.clear()
            return
        data["text"] = words or sent_files(links)
        when = first_time(t, "/created_at", payload.get("created_at"), fallback=self.received_at)
        message_id = ident(payload.get("id"))
        if message_id is None:
            t.warn("/id", "no message id: named by its conversation, time and text", "missing_id")
            message_id = digest(interaction_id, when.isoformat(), words)
        # message_updated carries the same id: the first version Warmline received stays.
        t.envelopes.append(
            envelope(self.source, f"message/{message_id}", "message.posted", when, data)
        )

    def attachments(self, raw: Any) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            return []
        if len(raw) > MAX_ATTACHMENTS:
            self.t.warn(
                "/attachments", f"more than {MAX_ATTACHMENTS}; the rest left out", "too_many"
            )
        links = []
        for n, item in enumerate(raw[:MAX_ATTACHMENTS]):
            a = obj(item)
            extension = text(a.get("extension"), 20)
            name = text(a.get("file_name")) or (
                f"{a.get('file_type') or 'file'} {ident(a.get('id')) or n + 1}"
                + (f".{extension}" if extension else "")
            )
            where = f"/attachments/{n}/data_url"
            if found := link(self.t, where, a.get("data_url"), name, a.get("file_type")):
                links.append(found)
        return links


def sorted_json(value: Any) -> str:
    """A canonical text of a JSON value (for fingerprints)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
