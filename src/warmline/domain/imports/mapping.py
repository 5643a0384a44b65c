"""A mapping file says which CSV column is which identifier, trait or field; rows become
events by it.

```yaml
kind: customers            # or interactions: one row per message of a conversation
source: legacy-crm         # the events' source (default: import)
timezone: Europe/London    # for times written without a zone (default: UTC)
columns:
  "Customer No": {identifier: customer_number, verified: true}
  "Email": identifier.email
  "Full name": trait.name
  "Born": {trait: date_of_birth, format: "%d/%m/%Y"}
  "Updated": time
values:                     # interactions: the file's words for speakers and channels
  speaker: {client: customer, staff: agent}
  channel: {webchat: chat}
```
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from warmline.domain.connectors.translation import digest, envelope
from warmline.domain.identity.identifiers import IdentifierError, normalise_identifier
from warmline.domain.imports.rejection import FileProblem, Note, Rejection

KINDS = ("customers", "interactions")
FIELDS = {
    "customers": ("id", "time"),
    "interactions": (
        "interaction_id",
        "message_id",
        "channel",
        "time",
        "speaker",
        "text",
        "agent_id",
        "subject",
        "outcome",
        "reason",
    ),
}
DATE_TRAITS = frozenset({"date_of_birth", "customer_since"})
SPEAKERS = ("customer", "agent", "bot")
CHANNELS = ("chat", "voice", "email", "sms", "app", "web", "branch", "video")
OUTCOMES = ("resolved", "unresolved", "escalated", "abandoned", "follow_up")
MAX_TEXT = 20_000


@dataclass(frozen=True, slots=True)
class Column:
    """What one column holds: an identifier kind, a trait, or one of the kind's fields."""

    name: str
    identifier: str | None = None
    verified: bool = False
    trait: str | None = None
    field: str | None = None
    format: str | None = None


@dataclass(slots=True)
class Mapping:
    kind: str
    source: str
    columns: list[Column]
    zone: dt.tzinfo = dt.UTC
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def wanted(self) -> list[str]:
        return [c.name for c in self.columns]

    def field_column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.field == name), None)


def _problem(reason: str, hint: str = "see docs/integrate.md#bulk-import") -> FileProblem:
    return FileProblem("invalid_mapping", reason, hint)


def parse_mapping(raw: Any) -> Mapping:
    """A mapping from its YAML's data; raises :class:`FileProblem` saying what is wrong."""
    if not isinstance(raw, dict):
        raise _problem("the mapping must be a YAML mapping with 'columns'")
    kind = raw.get("kind", "customers")
    if kind not in KINDS:
        raise _problem(f"kind must be one of {', '.join(KINDS)}, not {str(kind)[:40]!r}")
    columns_raw = raw.get("columns")
    if not isinstance(columns_raw, dict) or not columns_raw:
        raise _problem("'columns' must name each column's identifier, trait or field")
    columns = [_column(kind, str(name), spec) for name, spec in columns_raw.items()]
    if not any(c.identifier for c in columns) and kind == "customers":
        raise _problem("a customers mapping needs at least one identifier column")
    if kind == "interactions":
        for needed in ("interaction_id", "time"):
            if not any(c.field == needed for c in columns):
                raise _problem(f"an interactions mapping needs a column for '{needed}'")
    try:
        zone = zoneinfo.ZoneInfo(str(raw.get("timezone", "UTC")))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _problem(f"unknown timezone {str(raw.get('timezone'))[:60]!r}") from None
    values = raw.get("values", {})
    if not isinstance(values, dict):
        raise _problem("'values' maps a field to {the file's word: Warmline's}")
    source = str(raw.get("source", "import"))[:200]
    return Mapping(
        kind,
        source,
        columns,
        zone,
        {str(k): {str(a): str(b) for a, b in obj(v).items()} for k, v in values.items()},
    )


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _column(kind: str, name: str, spec: Any) -> Column:
    if isinstance(spec, str):
        target, _, what = spec.partition(".")
        spec = {target: what} if what else {"field": target}
    if not isinstance(spec, dict):
        raise _problem(f"column {name!r}: say identifier.KIND, trait.NAME or a field")
    if "identifier" in spec:
        try:
            normalise_identifier(str(spec["identifier"]), "x", default_region="GB")
        except IdentifierError as exc:
            if "kind" in exc.reason:
                raise _problem(f"column {name!r}: {exc.reason}") from None
        return Column(
            name, identifier=str(spec["identifier"]), verified=spec.get("verified") is True
        )
    if "trait" in spec:
        return Column(name, trait=str(spec["trait"])[:64], format=spec.get("format"))
    wanted = str(spec.get("field"))
    if wanted not in FIELDS[kind]:
        raise _problem(
            f"column {name!r}: '{wanted[:40]}' is not a field of {kind}; "
            f"fields are {', '.join(FIELDS[kind])}, or identifier.KIND, trait.NAME"
        )
    return Column(name, field=wanted, format=spec.get("format"))


class RowReader:
    """Rows of one file as events, by a mapping; ``now`` times rows without a time."""

    def __init__(self, mapping: Mapping, header: list[str], region: str, now: dt.datetime) -> None:
        self.mapping = mapping
        self.index = {name: header.index(name) for name in mapping.wanted}
        self.width = len(header)
        self.region = region
        self.now = now
        self.started: set[str] = set()

    def read(self, fields: list[str]) -> tuple[list[dict[str, Any]] | Rejection, list[Note]]:
        notes: list[Note] = []
        if len(fields) != self.width:
            return Rejection(
                f"{len(fields)} fields where the header has {self.width} (a stray delimiter "
                "or quote?)",
                "csv_row_width",
            ), notes
        value = {c.name: fields[self.index[c.name]].strip() for c in self.mapping.columns}
        ref, notes = self._customer(value)
        when = self._time(value, notes)
        if isinstance(when, Rejection):
            return when, notes
        if self.mapping.kind == "customers":
            if ref is None:
                return self._unnamed(), notes
            key = value.get(c.name) if (c := self.mapping.field_column("id")) else None
            fingerprint = digest(sorted(value.items()))
            event_id = f"customer/{key}/{fingerprint}" if key else f"customer/{fingerprint}"
            return [
                envelope(
                    self.mapping.source, event_id, "customer.identified", when, {"customer": ref}
                )
            ], notes
        return self._interaction_row(value, ref, when, notes)

    def _unnamed(self) -> Rejection:
        names = ", ".join(repr(c.name) for c in self.mapping.columns if c.identifier)
        return Rejection(
            f"no usable identifier: every row needs one of {names}", "row_without_identifier"
        )

    def _customer(self, value: dict[str, str]) -> tuple[dict[str, Any] | None, list[Note]]:
        notes: list[Note] = []
        identifiers, traits = [], {}
        for c in self.mapping.columns:
            raw = value[c.name]
            if not raw:
                continue
            if c.identifier:
                try:
                    normalise_identifier(c.identifier, raw, default_region=self.region)
                except IdentifierError as exc:
                    notes.append(
                        Note(c.name, f"{c.identifier} left out: {exc.reason}", "invalid_identifier")
                    )
                    continue
                identifiers.append({"kind": c.identifier, "value": raw, "verified": c.verified})
            elif c.trait:
                trait = self._trait(c, raw, notes)
                if trait is not None:
                    traits[c.trait] = trait
        if not identifiers:
            return None, notes
        ref: dict[str, Any] = {"identifiers": identifiers[:20]}
        if traits:
            ref["traits"] = traits
        return ref, notes

    def _trait(self, c: Column, raw: str, notes: list[Note]) -> str | None:
        assert c.trait is not None
        if c.trait in DATE_TRAITS:
            try:
                day = (
                    dt.datetime.strptime(raw, c.format).date()  # noqa: DTZ007  # a date only
                    if c.format
                    else dt.date.fromisoformat(raw)
                )
            except ValueError:
                notes.append(
                    Note(
                        c.name,
                        f"{raw[:40]!r} is not a date like {c.format or 'YYYY-MM-DD'}; left out",
                        "invalid_date",
                    )
                )
                return None
            return day.isoformat()
        if (c.trait == "postcode" and len(raw) > 20) or (
            c.trait == "language" and not 2 <= len(raw) <= 35
        ):
            notes.append(Note(c.name, f"not a usable {c.trait}; left out", "invalid_value"))
            return None
        return raw[:500]

    def _time(self, value: dict[str, str], notes: list[Note]) -> dt.datetime | Rejection:
        c = self.mapping.field_column("time")
        raw = value.get(c.name, "") if c else ""
        if not raw:
            if self.mapping.kind == "interactions":
                return Rejection("no time: every message needs one", "missing_time")
            return self.now
        try:
            when = (
                dt.datetime.strptime(raw, c.format)  # noqa: DTZ007  # zoned just below
                if c and c.format
                else dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
            )
        except ValueError:
            return Rejection(
                f"{raw[:40]!r} is not a time like {c.format if c and c.format else 'ISO 8601'}",
                "invalid_time",
            )
        return (when if when.tzinfo else when.replace(tzinfo=self.mapping.zone)).astimezone(dt.UTC)

    def _word(self, name: str, raw: str) -> str:
        return self.mapping.values.get(name, {}).get(raw, raw).strip().lower()

    def _interaction_row(
        self,
        value: dict[str, str],
        ref: dict[str, Any] | None,
        when: dt.datetime,
        notes: list[Note],
    ) -> tuple[list[dict[str, Any]] | Rejection, list[Note]]:
        def get(name: str) -> str:
            c = self.mapping.field_column(name)
            return value.get(c.name, "") if c else ""

        interaction_id = get("interaction_id")[:200]
        if not interaction_id:
            return Rejection("no interaction id", "missing_id"), notes
        source, out = self.mapping.source, []
        if interaction_id not in self.started:
            if ref is None:
                return Rejection(
                    f"the first row of interaction {interaction_id!r} names no customer "
                    "(no identifier)",
                    "row_without_identifier",
                ), notes
            channel = self._word("channel", get("channel")) or "chat"
            if channel not in CHANNELS:
                return Rejection(
                    f"channel {channel[:30]!r} is not one of {', '.join(CHANNELS)} "
                    "(map it under values.channel)",
                    "invalid_channel",
                ), notes
            data: dict[str, Any] = {
                "customer": ref,
                "interaction_id": interaction_id,
                "channel": channel,
            }
            for name in ("agent_id", "subject"):
                if got := get(name):
                    data[name] = got[:500]
            out.append(
                envelope(
                    source,
                    f"interaction/{interaction_id}/started",
                    "interaction.started",
                    when,
                    data,
                )
            )
            self.started.add(interaction_id)
        text = get("text")
        if text:
            speaker = self._word("speaker", get("speaker")) or "customer"
            if speaker not in SPEAKERS:
                return Rejection(
                    f"speaker {speaker[:30]!r} is not one of {', '.join(SPEAKERS)} "
                    "(map it under values.speaker)",
                    "invalid_speaker",
                ), notes
            message: dict[str, Any] = {
                "interaction_id": interaction_id,
                "speaker": speaker,
                "text": text[:MAX_TEXT],
            }
            if speaker != "customer" and (agent := get("agent_id")):
                message["agent_id"] = agent[:500]
            key = get("message_id") or digest(when.isoformat(), speaker, text)
            out.append(
                envelope(source, f"message/{interaction_id}/{key}", "message.posted", when, message)
            )
        if outcome := self._word("outcome", get("outcome")):
            if outcome not in OUTCOMES:
                notes.append(
                    Note(
                        "outcome",
                        f"{outcome[:30]!r} is not one of {', '.join(OUTCOMES)}; left out",
                        "invalid_value",
                    )
                )
            else:
                ended: dict[str, Any] = {"interaction_id": interaction_id, "outcome": outcome}
                if reason := get("reason"):
                    ended["reason"] = reason[:500]
                out.append(
                    envelope(
                        source,
                        f"interaction/{interaction_id}/ended",
                        "interaction.ended",
                        when,
                        ended,
                    )
                )
        return out, notes
