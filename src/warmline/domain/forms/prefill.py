"""What is on record for each field of a form: the value in force, where it came from, how
old it is, when the customer last confirmed it, and whether it must be confirmed again.

A field is *stale* when nothing is on record, or when the time since the customer last
confirmed the value (since it was recorded, if they never did) is over the field's
``max_age_days``. For ``email`` and ``phone`` the value is the customer's identifier of
that kind they confirmed last, else a verified one, else the newest.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from warmline.domain.forms.catalogue import IDENTIFIER
from warmline.domain.forms.definitions import Form, FormField
from warmline.domain.profile.traits import CUSTOMER, RECORD
from warmline.domain.timewords import ago

HIDDEN = "•••"
#: How sources read to the customer ("from your app profile"), when a form folder gives
#: no label of its own.
DEFAULT_SOURCE_WORDS = "our records"


@dataclass(slots=True)
class OnRecord:
    """One field of a form as the memory holds it (not frozen: built 30 to a page load,
    and a frozen dataclass's constructor costs three times as much)."""

    field: FormField
    value: Any
    source: str | None
    kind: str | None
    observed_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    verified: bool
    stale: bool

    def why_stale(self, now: dt.datetime) -> str | None:
        """Why the field must be confirmed again, in words (None when it need not)."""
        if not self.stale:
            return None
        since = self.confirmed_at or self.observed_at
        if self.value is None or since is None:
            return "nothing on record"
        said = "confirmed" if self.confirmed_at else "recorded"
        return f"{said} {ago(since, now)}; confirm every {self.field.max_age_days} days"

    def as_json(self, now: dt.datetime) -> dict[str, Any]:
        since = self.confirmed_at or self.observed_at
        return {
            "field": self.field.name,
            "label": self.field.label,
            "section": self.field.section,
            "fact": self.field.fact.name,
            "value": self.value,
            "source": self.source,
            "provenance": self.kind,
            "verified": self.verified,
            "observed_at": self.observed_at,
            "confirmed_at": self.confirmed_at,
            "age_days": (now - since).days if since else None,
            "stale": self.stale,
            "why_stale": self.why_stale(now),
            "sensitive": self.field.sensitive,
            "needs_verified_session": self.field.verified,
            "max_age_days": self.field.max_age_days,
        }


def _when(text: Any) -> dt.datetime | None:
    if isinstance(text, dt.datetime):
        return text
    return dt.datetime.fromisoformat(text) if isinstance(text, str) else None


def _identifier(rows: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any] | None:
    mine = [r for r in rows if r["kind"] == kind]
    if not mine:
        return None
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    return max(
        mine,
        key=lambda r: (r.get("confirmed_at") or floor, bool(r["verified"]), r["first_seen_at"]),
    )


def on_record(
    form: Form,
    traits: Mapping[str, Any],
    identifiers: Sequence[Mapping[str, Any]],
    now: dt.datetime,
) -> list[OnRecord]:
    """Every field of ``form`` as the customer's ``traits`` and ``identifiers`` hold it."""
    out = []
    for f in form.fields:
        if f.fact.store == IDENTIFIER:
            row = _identifier(identifiers, f.fact.name)
            value = row["value"] if row else None
            source = row["source"] if row else None
            observed, confirmed = (
                (row["first_seen_at"], row.get("confirmed_at")) if row else (None, None)
            )
            verified = bool(row and row["verified"])
            kind = (CUSTOMER if confirmed else RECORD) if row else None
        else:
            entry = traits.get(f.fact.name)
            value = entry["value"] if entry else None
            source = entry["source"] if entry else None
            observed = _when(entry["at"]) if entry else None
            confirmed = _when(entry.get("confirmed_at")) if entry else None
            verified = bool(entry and entry.get("verified"))
            kind = entry.get("kind", RECORD) if entry else None
        since = confirmed or observed
        stale = value is None or since is None or now - since > f.max_age
        out.append(OnRecord(f, value, source, kind, observed, confirmed, verified, stale))
    return out


def shown_to_customer(field: FormField, value: Any) -> str:
    """A value as the customer's page shows it: sensitive ones partly hidden ("•••• 58" for
    a phone, the street number of an address hidden, the inward code of a postcode)."""
    if value is None:
        return ""
    text = str(value)
    if not field.sensitive:
        return text
    kind = field.fact.type
    if kind == "phone":
        return f"•••• {text[-2:]}" if len(text) > 4 else HIDDEN
    if kind == "address":
        return re.sub(r"\b\d+[A-Za-z]?\b", "••", text)
    if kind == "postcode":
        return text.split(" ", 1)[0] + " " + HIDDEN if " " in text else HIDDEN
    if kind == "date_past":
        return f"••/••/{text[:4]}" if len(text) >= 4 else HIDDEN
    if kind == "email":
        local, _, domain = text.partition("@")
        return f"{local[:1]}•••@{domain}"
    return HIDDEN


def source_words(record: OnRecord, labels: Mapping[str, str], now: dt.datetime) -> str:
    """Where a value came from and when, as the customer reads it: "from your app profile,
    2 years ago", "you confirmed it 3 months ago"."""
    if record.value is None:
        return "We have nothing on record."
    if record.confirmed_at is not None:
        return f"You confirmed this {ago(record.confirmed_at, now)}."
    label = labels.get(record.source or "", DEFAULT_SOURCE_WORDS)
    when = ago(record.observed_at, now) if record.observed_at else "some time ago"
    return f"From {label}, {when}."
