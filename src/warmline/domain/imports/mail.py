"""Email archives (mbox) as conversations: threads become interactions, the customer's
address an identifier, each message's quoted history stripped.

A thread is found by ``References`` (its first id is the thread's root), else
``In-Reply-To`` (the parent's thread), else the message starts one. The customer is
whoever is not the organisation: with ``ours`` (domains or addresses) the other party;
without, the sender of the thread's first message. Quoted history ("On ... wrote:" and
the ``>`` lines below it, signatures) is stripped by ``email_reply_parser``.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

import nh3
from email_reply_parser import EmailReplyParser

from warmline.domain.connectors.translation import digest, envelope
from warmline.domain.imports.rejection import Note, Rejection

MAX_TEXT = 20_000
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# One address as most mail writes it: ``a@b.example`` or ``Name <a@b.example>``. Anything
# else (quotes, comments, groups, encoded words, several addresses, routes) goes through
# email.utils.getaddresses, which is about ten times slower; both read these alike.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDRESS = rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_WORD = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"[ \t]*(?:({_WORD}(?:[ \t]+{_WORD})*)[ \t]*)?<({_ADDRESS})>[ \t]*")
_BARE_ADDRESS = re.compile(rf"[ \t]*({_ADDRESS})[ \t]*")


@dataclass(frozen=True, slots=True)
class Mail:
    """What a message says, read carefully from headers that may lie or be missing."""

    message_id: str
    sender: str
    sender_name: str
    recipients: tuple[str, ...]
    sent_at: dt.datetime
    subject: str
    references: tuple[str, ...]
    in_reply_to: str | None
    text: str


def read_mail(msg: Message) -> Mail | Rejection:
    """A parsed message's parts, or why it cannot be imported (no sender, no date).

    Headers are read as raw text (the ``compat32`` policy: about five times faster than
    building header objects) and decoded here where they may be encoded words."""
    try:
        # Each header once, the first of a name as Message.get reads it (get scans them all)
        headers: dict[str, Any] = {}
        for name, value in msg.items():
            headers.setdefault(name.lower(), value)
        senders = addresses(_words(headers.get("from", "")))
        sender_name, sender = senders[0] if senders else ("", "")
        recipients = tuple(
            a.lower()
            for _, a in addresses(str(headers.get("to", "")), str(headers.get("cc", "")))
            if "@" in a
        )
        date_header = headers.get("date")
        sent_at = parsedate_to_datetime(str(date_header)) if date_header else None
        subject = _words(headers.get("subject", "")).strip()
        own = _ids(str(headers.get("message-id", "")))
        references = tuple(_ids(str(headers.get("references", ""))))
        parent = _ids(str(headers.get("in-reply-to", "")))
        body = _body(msg)
    except (ValueError, TypeError, LookupError, AttributeError) as exc:
        return Rejection(f"malformed message: {str(exc)[:200]}", "malformed_message")
    if "@" not in sender:
        return Rejection("no sender address (From)", "malformed_message")
    if sent_at is None:
        return Rejection("no usable Date header", "malformed_message")
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=dt.UTC)
    text = EmailReplyParser.parse_reply(body).strip() or body.strip()
    message_id = (
        own[0] if own else "<" + digest(sender, sent_at.isoformat(), subject, body) + "@warmline>"
    )
    return Mail(
        message_id,
        sender.lower(),
        sender_name.strip(),
        recipients,
        sent_at.astimezone(dt.UTC),
        subject,
        references,
        parent[0] if parent else None,
        text[:MAX_TEXT],
    )


def addresses(*headers: str) -> list[tuple[str, str]]:
    """(name, address) pairs of address headers, as :func:`email.utils.getaddresses` reads
    them; the common single-address forms without it."""
    found: list[tuple[str, str]] = []
    for header in headers:
        if not header:
            continue
        if plain := _PLAIN_ADDRESS.fullmatch(header):
            found.append((" ".join((plain.group(1) or "").split()), plain.group(2)))
        elif bare := _BARE_ADDRESS.fullmatch(header):
            found.append(("", bare.group(1)))
        else:
            found.extend(getaddresses([header]))
    return found


def _ids(header: str) -> list[str]:
    return _MESSAGE_ID.findall(header)[:100]


def _words(value: object) -> str:
    """A header's text, encoded words (``=?utf-8?q?Zo=C3=AB?=``) decoded."""
    text = str(value or "")
    if "=?" not in text and text.isascii() and "\n" not in text and "\r" not in text:
        return text  # nothing to decode: what make_header(decode_header()) gives back
    return str(make_header(decode_header(text)))


def _body(msg: Message) -> str:
    """The first plain-text part that is not an attachment, else the first HTML one."""
    parts = [
        p
        for p in msg.walk()
        if p.get_content_maintype() == "text" and p.get_content_disposition() != "attachment"
    ]
    part = next((p for p in parts if p.get_content_subtype() == "plain"), None) or next(
        (p for p in parts if p.get_content_subtype() == "html"), None
    )
    if part is None:
        return ""
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        return ""
    try:
        content = raw.decode(part.get_content_charset() or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        content = raw.decode("utf-8", errors="replace")
    if part.get_content_subtype() == "html":
        # Tags out, entities back to characters: the text a reader saw.
        content = html.unescape(nh3.clean(re.sub(r"(?i)<br\s*/?>|</p>", "\n", content), tags=set()))
    return content.replace("\x00", "")


class MailReader:
    """Messages of one archive as events, threads remembered by message id."""

    def __init__(self, source: str, ours: list[str]) -> None:
        self.source = source
        self.ours = [o.lower().lstrip("@") for o in ours]
        self.root_of: dict[str, str] = {}
        self.customer_of: dict[str, str] = {}

    def is_ours(self, address: str) -> bool:
        domain = address.rpartition("@")[2]
        return any(address == o or domain == o for o in self.ours)

    def read(self, mail: Mail) -> tuple[list[dict[str, Any]] | Rejection, list[Note]]:
        notes: list[Note] = []
        parent = mail.references[0] if mail.references else mail.in_reply_to
        root = self.root_of.get(parent, parent) if parent else mail.message_id
        self.root_of[mail.message_id] = root
        new_thread = root not in self.customer_of
        if self.ours:
            from_customer = not self.is_ours(mail.sender)
            others = [a for a in mail.recipients if not self.is_ours(a)]
            customer = mail.sender if from_customer else (others[0] if others else None)
        else:
            customer = self.customer_of.get(root, mail.sender)
            from_customer = mail.sender == customer
        if customer is None:
            return Rejection(
                "sent by us to nobody outside: no customer address", "no_customer"
            ), notes
        self.customer_of.setdefault(root, customer)
        interaction_id = f"mail:{digest(root)}"
        out = []
        if new_thread:
            ref: dict[str, Any] = {"identifiers": [{"kind": "email", "value": customer}]}
            if from_customer and mail.sender_name and "@" not in mail.sender_name:
                ref["traits"] = {"name": mail.sender_name[:500]}
            data = {"customer": ref, "interaction_id": interaction_id, "channel": "email"}
            if mail.subject:
                data["subject"] = mail.subject[:500]
            out.append(
                envelope(
                    self.source,
                    f"thread/{digest(root)}/started",
                    "interaction.started",
                    mail.sent_at,
                    data,
                )
            )
        if not mail.text:
            notes.append(
                Note("body", "no text of its own once quoted history was stripped", "empty_value")
            )
            return out, notes
        message: dict[str, Any] = {
            "interaction_id": interaction_id,
            "speaker": "customer" if from_customer else "agent",
            "text": mail.text,
        }
        if not from_customer:
            message["agent_id"] = (mail.sender_name or mail.sender)[:500]
        out.append(
            envelope(
                self.source,
                f"mail/{digest(mail.message_id)}",
                "message.posted",
                mail.sent_at,
                message,
            )
        )
        return out, notes
