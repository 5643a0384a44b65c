"""Files read for ``warmline import``, one item at a time: JSON Lines of events, CSV by a
mapping, mbox archives, Zendesk incremental exports. Each reader yields
``(position, event or rejection, notes)`` and counts the bytes it has read (``meter``)."""

from __future__ import annotations

import datetime as dt
import email.policy
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path
from typing import IO, Any

import ijson
import orjson
import yaml

from warmline.actions.imports import Item
from warmline.domain.connectors.translation import Unusable, parse_time
from warmline.domain.connectors.zendesk import STAFF_ROLES, Reader
from warmline.domain.imports.csv_rows import Decoding, decoded, records
from warmline.domain.imports.mail import MailReader, read_mail
from warmline.domain.imports.mapping import RowReader, parse_mapping
from warmline.domain.imports.rejection import FileProblem, Note, Rejection

FORMATS = ("jsonl", "csv", "mbox", "zendesk")
#: The lists of a Zendesk export's pages, in the order they are read, and what one is called.
PAGE_KEYS = {"users": "user", "tickets": "ticket", "ticket_events": "ticket event",
             "comments": "comment"}  # fmt: skip
COMMENT_EVENTS = frozenset({"Comment", "VoiceComment"})
SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".mbox": "mbox",
    ".json": "zendesk",
}


@dataclass
class Meter:
    """How far through the file a reader is, in bytes."""

    done: int = 0


def _lines(handle: IO[bytes], meter: Meter) -> Iterator[bytes]:
    for line in handle:
        meter.done += len(line)
        yield line


def read_jsonl(path: Path, meter: Meter) -> Iterator[Item]:
    with path.open("rb") as handle:
        for number, line in enumerate(_lines(handle, meter), start=1):
            if not line.strip():
                continue
            try:
                yield f"line {number}", orjson.loads(line), []
            except orjson.JSONDecodeError as exc:
                yield f"line {number}", Rejection(f"/: not valid JSON: {exc}", "invalid_json"), []


def load_mapping(path: Path) -> Any:
    try:
        return parse_mapping(yaml.safe_load(path.read_text(encoding="utf-8-sig")))
    except yaml.YAMLError as exc:
        raise FileProblem(
            "invalid_mapping", f"the mapping is not valid YAML: {exc}", "fix the mapping file"
        ) from None


def read_csv(
    path: Path,
    meter: Meter,
    *,
    mapping_path: Path,
    delimiter: str | None,
    fallback: str,
    region: str,
    decoding: Decoding,
) -> Iterator[Item]:
    """Rows by the mapping; the header is checked (delimiter, columns) before any row."""
    mapping = load_mapping(mapping_path)
    decoding.fallback = fallback
    handle = path.open("rb")
    try:
        header, rows = records(decoded(_lines(handle, meter), decoding), mapping.wanted, delimiter)
    except FileProblem:
        handle.close()
        raise
    reader = RowReader(mapping, header, region, dt.datetime.now(dt.UTC))

    def items() -> Iterator[Item]:
        with handle:
            for number, fields in rows:
                events, notes = reader.read(fields)
                if isinstance(events, Rejection):
                    yield f"line {number}", events, notes
                    continue
                for n, event in enumerate(events):
                    yield f"line {number}", event, notes if n == 0 else []

    return items()


def read_mbox(path: Path, meter: Meter, *, source: str, ours: list[str]) -> Iterator[Item]:
    """Each message in turn; a malformed one is left out with its number and byte offset."""
    box = mailbox.mbox(path, create=False)
    reader = MailReader(source, ours)
    parser = BytesParser(policy=email.policy.compat32)
    try:
        for number, key in enumerate(box.iterkeys(), start=1):
            # The byte offsets mailbox found while scanning (it has no public API for them).
            start, stop = getattr(box, "_toc", {}).get(key, (0, 0))
            meter.done = stop
            where = f"message {number} (byte {start})"
            try:
                raw = box.get_bytes(key)
                # Headers first: a single-part message's body is then its payload already,
                # as a full parse would leave it; only multipart and message/* need the
                # full parse (about 2.5 times the work).
                parsed = parser.parsebytes(raw, headersonly=True)
                if parsed.get_content_maintype() in ("multipart", "message"):
                    parsed = parser.parsebytes(raw)
            except (ValueError, TypeError, LookupError) as exc:
                yield where, Rejection(f"malformed message: {exc}", "malformed_message"), []
                continue
            mail = read_mail(parsed)
            if isinstance(mail, Rejection):
                yield where, mail, []
                continue
            events, notes = reader.read(mail)
            if isinstance(events, Rejection):
                yield where, events, notes
                continue
            for n, event in enumerate(events):
                yield where, event, notes if n == 0 else []
    finally:
        box.close()


def read_zendesk(path: Path, meter: Meter, *, account: str, region: str) -> Iterator[Item]:
    """A Zendesk incremental export as JSON: ``users``, ``tickets`` (each may carry its
    ``comments``, as the comments API lists them), ``ticket_events`` (the incremental ticket
    events export with the ``comment_events`` side-load: each event's ``Comment`` child
    events) and ``comments`` with a ``ticket_id``. The export's pages may be one document or
    several written one after another (``cat page-*.json``). Streamed with ijson; staff are
    found in a first pass over the users."""
    now = dt.datetime.now(dt.UTC)
    staff: set[str | None] = set()
    with path.open("rb") as handle:
        for user in ijson.items(handle, "users.item", use_float=True, multiple_values=True):
            if str(user.get("role")) in STAFF_ROLES:
                staff.add(str(user.get("id")))
    size = path.stat().st_size
    for prefix in PAGE_KEYS:
        with path.open("rb") as handle:
            records = ijson.items(handle, f"{prefix}.item", use_float=True, multiple_values=True)
            for number, record in enumerate(records, 1):
                meter.done = min(size, max(meter.done, handle.tell()))
                where = f"{PAGE_KEYS[prefix]} {number}"
                reader = Reader(account, {}, region, now)
                try:
                    _zendesk_record(reader, prefix, record, staff)
                except Unusable as exc:
                    yield where, Rejection(exc.reason, f"zendesk_{exc.code}"), []
                    continue
                notes = [Note(g.field, g.reason, g.code) for g in reader.t.warnings]
                for n, event in enumerate(reader.t.envelopes):
                    yield where, event, notes if n == 0 else []
    meter.done = size


def _comment_events(reader: Reader, record: dict[str, Any], staff: set[str | None]) -> None:
    """One ticket event of the incremental ticket events export: its comments (the
    ``Comment`` and ``VoiceComment`` child events), said at the event's time by its author
    (else the event's updater)."""
    ticket_id = record.get("ticket_id")
    if ticket_id is None or isinstance(ticket_id, (dict, list)):
        raise Unusable("missing_id", "the ticket event names no ticket_id", "export it again")
    interaction = f"zendesk:{reader.account}:ticket:{ticket_id}"
    stamp = record.get("timestamp")
    at = parse_time(record.get("created_at")) or (
        dt.datetime.fromtimestamp(stamp, dt.UTC) if isinstance(stamp, (int, float)) else None
    )
    children = record.get("child_events")
    for n, child in enumerate(children if isinstance(children, list) else []):
        if not isinstance(child, dict):
            continue
        if str(child.get("event_type") or child.get("type")) not in COMMENT_EVENTS:
            continue
        comment = {
            **child,
            "author_id": child.get("author_id") or record.get("updater_id"),
            "created_at": child.get("created_at") or (at.isoformat() if at else None),
        }
        reader.comment(interaction, comment, f"/child_events/{n}/", at or reader.received_at,
                       staff=staff)  # fmt: skip


def _zendesk_record(reader: Reader, kind: str, record: Any, staff: set[str | None]) -> None:
    if not isinstance(record, dict):
        raise Unusable("not_an_object", "not a JSON object", "export users and tickets again")
    when = reader.received_at
    if kind == "users":
        reader.user(record, "/", when)
        return
    if kind == "comments":
        ticket = {"id": record.get("ticket_id"), "requester_id": None}
        interaction = f"zendesk:{reader.account}:ticket:{record.get('ticket_id')}"
        if ticket["id"] is None:
            raise Unusable(
                "missing_id", "the comment names no ticket_id", "export comments with it"
            )
        reader.comment(interaction, record, "/", when, staff=staff)
        return
    if kind == "ticket_events":
        _comment_events(reader, record, staff)
        return
    interaction = reader.ticket(record, "/", when)
    comments = record.get("comments")
    for n, comment in enumerate(comments if isinstance(comments, list) else []):
        if isinstance(comment, dict):
            reader.comment(interaction, comment, f"/comments/{n}/", when, staff=staff)
    ended = parse_time(record.get("updated_at")) or when
    reader.status(interaction, str(record.get("status") or ""), ended)
