"""What every connector's translation shares: the result, the gaps it records, and the
careful readers of another system's values (ids, times, text, identifiers, traits).

Another system's payload is untrusted: every value is checked for type and bounded in
length here, and one that cannot be used is left out with a warning rather than failing
the whole delivery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from warmline.domain.identity.identifiers import IdentifierError, normalise_identifier

MAX_TEXT = 20_000
MAX_SHORT = 500
MAX_ID = 120
MAX_TRAITS = 40
MAX_GAPS = 20
#: The CloudEvents extension attribute that carries a translated event's gaps.
GAPS_ATTRIBUTE = "warmlinegaps"


@dataclass(frozen=True, slots=True)
class Gap:
    """Something in a payload that could not be used as sent: where, why, a stable code."""

    field: str
    reason: str
    code: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason, "code": self.code}


@dataclass(slots=True)
class Translation:
    """The events a payload becomes, the gaps found on the way, and why nothing was made
    when a payload is deliberately not used (``ignored``)."""

    envelopes: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[Gap] = field(default_factory=list)
    ignored: str | None = None

    def warn(self, where: str, reason: str, code: str) -> None:
        self.warnings.append(Gap(where, reason, code))

    def with_gaps(self) -> list[dict[str, Any]]:
        """The envelopes, the last (what the delivery is about) carrying the gaps as the
        ``warmlinegaps`` extension attribute (a JSON string, as CloudEvents extensions are
        strings), so the raw event records what its payload lacked."""
        if not self.warnings or not self.envelopes:
            return self.envelopes
        gaps = [g.to_json() for g in self.warnings[:MAX_GAPS]]
        last = {**self.envelopes[-1], GAPS_ATTRIBUTE: json.dumps(gaps, ensure_ascii=False)}
        return [*self.envelopes[:-1], last]


class Unusable(ValueError):
    """A payload that cannot become any event (no id to be idempotent on, no customer)."""

    def __init__(self, code: str, reason: str, hint: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.hint = hint


def envelope(
    source: str, event_id: str, type_: str, time: dt.datetime, data: dict[str, Any]
) -> dict[str, Any]:
    """A CloudEvents envelope of one of Warmline's event types."""
    return {
        "specversion": "1.0",
        "id": event_id[:200],
        "source": source,
        "type": type_,
        "time": time.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def digest(*parts: Any) -> str:
    """A short, stable fingerprint of ``parts`` (ids for things the source left unnamed)."""
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:20]


def ident(value: Any) -> str | None:
    """Another system's id as text: integers and short strings only."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip() and len(value) <= MAX_ID:
        return value.strip()
    return None


def text(value: Any, limit: int = MAX_SHORT) -> str | None:
    """A string with NUL and surrounding blanks removed, cut to ``limit``; None if empty."""
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").strip()
    return cleaned[:limit] or None


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_time(value: Any) -> dt.datetime | None:
    """A time as the systems write it: Unix seconds, ISO 8601, or ``2020-03-03 13:05:57 UTC``;
    None when it is none of them or names no zone."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or len(value) > 60:
        return None
    raw = value.strip()
    if raw.endswith(" UTC"):
        raw = raw[:-4] + "+00:00"
    try:
        when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(dt.UTC) if when.tzinfo else None


def first_time(t: Translation, where: str, *candidates: Any, fallback: dt.datetime) -> dt.datetime:
    """The first candidate that reads as a time; else ``fallback`` (the delivery's arrival),
    recorded as a gap."""
    for candidate in candidates:
        when = parse_time(candidate)
        if when is not None:
            return when
    t.warn(where, "no usable time; the time Warmline received it is used", "missing_time")
    return fallback


def identifier(
    t: Translation, where: str, kind: str, value: Any, region: str
) -> dict[str, Any] | None:
    """``{"kind", "value"}`` if ``value`` normalises as a ``kind``; else None and a gap.
    Never verified: a connector passes on what another system holds, it vouches for none."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    raw = str(value) if whole else text(value, 256)
    if raw is None:
        return None
    try:
        normalise_identifier(kind, raw, default_region=region)
    except IdentifierError as exc:
        t.warn(where, f"{kind} left out: {exc.reason}", "invalid_identifier")
        return None
    return {"kind": kind, "value": raw}


def traits(t: Translation, where: str, values: dict[str, Any]) -> dict[str, Any]:
    """Scalar traits, bounded: long text cut, nested values and extra keys left out."""
    kept: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value == "":
            continue
        name = str(key).strip().lower().replace(" ", "_")[:64]
        if not name:
            continue
        if len(kept) >= MAX_TRAITS:
            t.warn(
                f"{where}/{name}", f"more than {MAX_TRAITS} traits; the rest left out", "too_many"
            )
            break
        if name in _LIMITS and not _fits(name, value):
            t.warn(f"{where}/{name}", f"not a usable {name}; left out", "invalid_value")
        elif isinstance(value, bool | int | float):
            kept[name] = value
        elif isinstance(value, str):
            kept[name] = value.replace("\x00", "").strip()[:MAX_SHORT]
        else:
            t.warn(f"{where}/{name}", "not a string, number or boolean; left out", "wrong_type")
    return kept


#: Typed traits' bounds (events.Traits), so a delivery is never rejected for one of them.
_LIMITS = {"language": (2, 35), "postcode": (1, 20), "date_of_birth": (10, 10)}
_LIMITS["customer_since"] = (10, 10)


def _fits(name: str, value: Any) -> bool:
    low, high = _LIMITS[name]
    if not isinstance(value, str) or not low <= len(value.strip()) <= high:
        return False
    if high == 10 and low == 10:
        try:
            dt.date.fromisoformat(value.strip())
        except ValueError:
            return False
    return True


def link(
    t: Translation, where: str, url: Any, name: str, content_type: Any = None
) -> dict[str, Any] | None:
    """An attachment as ``{"url", "name", "content_type"}``: http(s) links only (a
    ``javascript:`` or ``data:`` URL is left out with a gap), never fetched."""
    address = text(url, 2000)
    if not address or not address.startswith(("https://", "http://")) or " " in address:
        t.warn(where, "not an http(s) link; left out", "invalid_value")
        return None
    found = {"url": address, "name": name[:MAX_SHORT]}
    if kind := text(content_type, 100):
        found["content_type"] = kind
    return found


def said(t: Translation, where: str, body: Any) -> str:
    """A message's text: NUL removed, trimmed, cut to what an event holds (with a gap)."""
    words = body.replace("\x00", "").strip() if isinstance(body, str) else ""
    if len(words) > MAX_TEXT:
        t.warn(where, f"longer than {MAX_TEXT} characters; cut", "too_long")
        words = words[:MAX_TEXT]
    return words


def sent_files(links: list[dict[str, Any]]) -> str:
    """The text of a message that is only attachments."""
    return "(sent " + ", ".join(a["name"] for a in links) + ")"
