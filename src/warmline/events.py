"""The ingest contract: CloudEvents 1.0 envelopes with one typed payload per event type.

Every payload names its customer in ``data.customer`` (identifiers, optionally
traits). Events that belong to an interaction, case or commitment may leave the
customer out: they follow the thing they belong to. ``docs/events.md`` has a
complete example of each type; :func:`parse_event` is the one entry point.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from warmline.domain.identity.identifiers import (
    UNNORMALISED,
    Identifier,
    IdentifierError,
    normalise_leniently,
)

# A JSON-escaped NUL: ``\u0000`` preceded by an even number of backslashes.
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
MAX_TEXT_CHARS = 20_000
MAX_SHORT_CHARS = 500
MAX_ATTRIBUTES = 50

Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SHORT_CHARS)]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Channel = Literal["chat", "voice", "email", "sms", "app", "web", "branch", "video"]
CHANNELS: tuple[str, ...] = Channel.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class EventError:
    """Why one event was rejected, or (as a warning) what was left out of an event that was
    stored: where (a JSON pointer), why, and a stable code."""

    field: str
    reason: str
    code: str


_CODES = {
    "missing": "missing_field",
    "string_too_long": "too_long",
    "too_long": "too_long",
    "list_too_long": "too_long",
    "timezone_aware": "naive_timestamp",
    "literal_error": "invalid_value",
    "extra_forbidden": "unknown_field",
    "dict_type": "wrong_type",
    "list_type": "wrong_type",
    "string_type": "wrong_type",
    "int_type": "wrong_type",
    "int_parsing": "wrong_type",
    "bool_type": "wrong_type",
    "bool_parsing": "wrong_type",
    "model_type": "wrong_type",
    "datetime_parsing": "invalid_timestamp",
    "datetime_type": "invalid_timestamp",
    "datetime_from_date_parsing": "invalid_timestamp",
    "date_parsing": "invalid_date",
    "date_from_datetime_parsing": "invalid_date",
    "string_pattern_mismatch": "invalid_value",
    "string_too_short": "empty_value",
    "too_short": "empty_value",
    "list_too_short": "empty_value",
}
_HINTS = {
    "naive_timestamp": "add a time zone, e.g. 2026-11-22T10:02:11Z",
    "invalid_timestamp": "use RFC 3339 with a time zone, e.g. 2026-11-22T10:02:11Z",
    "unknown_field": "remove it or check its spelling against docs/events.md",
}


def _pointer(prefix: str, loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if not (isinstance(p, str) and p.startswith("function-"))]
    return prefix + "".join(f"/{p}" for p in parts)


def errors_from(exc: ValidationError, prefix: str) -> list[EventError]:
    errors = []
    for err in exc.errors(include_url=False):
        code = _CODES.get(err["type"], err["type"])
        reason = str(err["msg"]).removeprefix("Value error, ")
        if hint := _HINTS.get(code):
            reason = f"{reason}; {hint}"
        errors.append(EventError(_pointer(prefix, err["loc"]), reason, code))
    return errors


def outside_utc(value: dt.datetime) -> bool:
    """Whether an aware time cannot be held in UTC (its offset takes it before year 1 or
    after 9999), so it could not be stored."""
    try:
        value.astimezone(dt.UTC)
    except OverflowError:
        return True
    return False


def _storable(value: dt.datetime) -> dt.datetime:
    if outside_utc(value):
        raise PydanticCustomError("invalid_timestamp", "this time cannot be held in UTC")
    return value


#: A time with a time zone that can be stored (in UTC).
StorableTime = Annotated[AwareDatetime, AfterValidator(_storable)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_T = TypeVar("_T")
#: What validation found out about a value, kept beside it: never read from the input (its
#: alias holds a NUL, which no event may carry), never serialised, not in the schema.
Internal = Annotated[SkipJsonSchema[_T], "internal"]


def _internal(name: str, default: Any = None) -> Any:
    return Field(default, validation_alias=f"\x00{name}", exclude=True, repr=False)


class IdentifierIn(_Strict):
    """An identifier as a channel knows it; normalised on the way in.

    A value that does not normalise is kept: a phone number possible but not valid for
    its region in E.164, anything else as written and unverified; :attr:`problem` then
    says so, and ingest reports it as a warning.
    """

    kind: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    value: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    verified: bool = False
    #: None when normalised; else how far it could be (``identifiers.QUALITIES``).
    quality: Internal[str | None] = _internal("quality")
    #: What was wrong with the value as sent (a warning; ``field`` is empty).
    problem: Internal[EventError | None] = _internal("problem")

    @model_validator(mode="after")
    def _normalise(self, info: ValidationInfo) -> IdentifierIn:
        region = (info.context or {}).get("region", "GB")
        try:
            kept = normalise_leniently(self.kind, self.value, default_region=region)
        except IdentifierError as exc:  # nothing to keep: a malformed kind, an empty value
            raise PydanticCustomError("invalid_identifier", exc.reason) from exc
        object.__setattr__(self, "value", kept.value)
        if kept.quality is None:
            return self
        object.__setattr__(self, "quality", kept.quality)
        if kept.quality == UNNORMALISED:
            object.__setattr__(self, "verified", False)
            reason = (
                f"{kept.problem}; kept as written and unverified: it matches the same text only"
            )
            problem = EventError("", reason, "invalid_identifier")
        else:
            reason = f"{kept.problem}, marked as such"
            problem = EventError("", reason, "phone_not_valid_for_region")
        object.__setattr__(self, "problem", problem)
        return self

    def to_identifier(self) -> Identifier:
        return Identifier(self.kind, self.value, self.verified, self.quality)


#: Earliest date of birth taken as real; earlier ones are typing slips ("0980-04-02").
EARLIEST_BIRTH = dt.date(1900, 1, 1)
#: A postcode: letters and digits, with spaces or dashes between; 2-10 letters and digits.
_POSTCODE = re.compile(r"^[^\W_](?:[^\W_]|[ -](?=[^\W_])){1,14}$")
MAX_POSTCODE_CHARS = 10


class Traits(BaseModel):
    """Profile values a source knows. Named traits are typed; any other trait must be a scalar.

    A trait that is not usable (a date of birth that is no date, in the future or before
    1900, a postcode of punctuation, a name of ten thousand characters) is left out and
    reported in :attr:`dropped`; the others are kept.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    name: Short | None = None
    preferred_name: Short | None = None
    date_of_birth: dt.date | None = None
    address: Short | None = None
    postcode: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = None
    customer_since: dt.date | None = None
    segment: Short | None = None
    language: Annotated[str, StringConstraints(min_length=2, max_length=35)] | None = None
    #: What the customer went by before, matched like the current values: a maiden or
    #: former name, the address (and its postcode) before a move.
    former_name: Short | None = None
    former_address: Short | None = None
    former_postcode: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = None
    #: Traits left out, each with why (``field`` is ``/<trait name>``).
    dropped: Internal[tuple[EventError, ...]] = _internal("dropped", ())

    @model_validator(mode="wrap")
    @classmethod
    def _keep_what_is_usable(
        cls, data: Any, handler: ModelWrapValidatorHandler[Traits], info: ValidationInfo
    ) -> Traits:
        if not isinstance(data, dict):
            return handler(data)
        given, dropped = data, []
        if any(key not in _NAMED_TRAITS for key in data):
            given = dict(data)
            dropped = _unusable_extras(given, _NAMED_TRAITS)
        try:
            traits = handler(given)
        except ValidationError as exc:
            errors = errors_from(exc, "")
            if any(e.field.count("/") != 1 or e.field[1:] not in given for e in errors):
                raise
            given = dict(given)
            for error in errors:
                given.pop(error.field[1:], None)
                dropped.append(_left_out(error))
            traits = handler(given)
        implausible = _implausible(traits, info.context or {})
        if implausible:
            given = dict(given)
            for error in implausible:
                given.pop(error.field[1:], None)
            dropped += implausible
            traits = handler(given)
        if dropped:
            object.__setattr__(traits, "dropped", tuple(dropped))
        return traits


#: Traits the contract names (not what validation keeps beside them).
_NAMED_TRAITS = frozenset(
    name for name, info in Traits.model_fields.items() if info.validation_alias is None
)


def _left_out(error: EventError) -> EventError:
    return EventError(error.field, f"{error.reason}; left out, the rest is kept", error.code)


def _unusable_extras(given: dict[str, Any], named: frozenset[str]) -> list[EventError]:
    """Take out of ``given`` the traits of the sender's own that cannot be kept."""
    dropped: list[EventError] = []
    extras = [key for key in given if key not in named]
    for key in extras[MAX_ATTRIBUTES:]:
        del given[key]
        reason = f"at most {MAX_ATTRIBUTES} traits of your own per event; the rest are left out"
        dropped.append(EventError(f"/{key[:64]}", reason, "too_many"))
    for key in extras[:MAX_ATTRIBUTES]:
        if (problem := _scalar_problem(key, given[key])) is not None:
            del given[key]
            dropped.append(_left_out(EventError(f"/{key[:64]}", *problem)))
    return dropped


def _implausible(traits: Traits, context: dict[str, Any]) -> list[EventError]:
    """Values of the right type that cannot be what they say: a date of birth in the
    future or before 1900, a postcode that is not letters and digits."""
    found: list[EventError] = []
    born = traits.date_of_birth
    if born is not None:
        today = context.get("today") or dt.datetime.now(dt.UTC).date()
        if not EARLIEST_BIRTH <= born <= today:
            when = "in the future" if born > today else f"before {EARLIEST_BIRTH.year}"
            reason = f"a date of birth {when} ({born.isoformat()}) cannot be right"
            found.append(_left_out(EventError("/date_of_birth", reason, "implausible_date")))
    for key in ("postcode", "former_postcode"):
        postcode = getattr(traits, key)
        if postcode is not None and not (
            _POSTCODE.match(postcode.strip())
            and 2 <= sum(ch.isalnum() for ch in postcode) <= MAX_POSTCODE_CHARS
        ):
            reason = (
                f"'{postcode[:20]}' is not a postcode: letters and digits "
                f"(2-{MAX_POSTCODE_CHARS}), spaces or dashes between"
            )
            found.append(_left_out(EventError(f"/{key}", reason, "invalid_postcode")))
    return found


class CustomerRef(_Strict):
    """How an event names its customer: identifiers (at least one) and optional traits.

    One unusable part does not lose the rest: an identifier that cannot be kept (a
    malformed kind, a value over 256 characters) is left out while another remains, and
    so are traits that are not usable; :attr:`warnings` lists each, with where it was.
    """

    identifiers: Annotated[list[IdentifierIn], Field(min_length=1, max_length=20)]
    traits: Traits | None = None
    #: Names of traits in this event to treat as sensitive (masked for agents until revealed),
    #: beyond the ones that always are (date of birth, address, postcode, their former
    #: values, national id).
    sensitive: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=64)]], Field(max_length=50)
    ] = Field(default_factory=list)
    #: How the traits came to be known: ``record`` (a system of record: the default),
    #: ``customer`` (the customer said so) or ``inferred`` (derived, with a ``confidence``).
    #: The value in force follows customer over record over inferred (docs/events.md).
    provenance: Literal["customer", "record", "inferred"] = "record"
    #: The source vouches for these traits (checked documents, a bank's KYC): needs a key
    #: that may verify.
    traits_verified: bool = False
    confidence: Annotated[float, Field(ge=0, le=1)] | None = None
    #: What was left out or kept unnormalised, each with its place (relative to the
    #: customer reference, e.g. ``/identifiers/1``) and a code.
    warnings: Internal[tuple[EventError, ...]] = _internal("warnings", ())
    #: Where each of ``identifiers`` was in the event as sent, when some were left out.
    kept_at: Internal[tuple[int, ...] | None] = _internal("kept_at")

    @model_validator(mode="wrap")
    @classmethod
    def _keep_what_is_usable(
        cls, data: Any, handler: ModelWrapValidatorHandler[CustomerRef], _: ValidationInfo
    ) -> CustomerRef:
        given = data.get("identifiers") if isinstance(data, dict) else None
        if not isinstance(given, list):
            return handler(data)
        try:
            ref = handler(data)
        except ValidationError as exc:
            return _without_unusable(exc, data, given, handler)
        if any(i.problem is not None for i in ref.identifiers) or (
            ref.traits is not None and ref.traits.dropped
        ):
            _note_warnings(ref, list(range(len(given))), [])
        return ref

    @property
    def positions(self) -> tuple[int, ...]:
        """Where each of :attr:`identifiers` was in the event as sent."""
        return self.kept_at or tuple(range(len(self.identifiers)))


def _without_unusable(
    exc: ValidationError,
    data: dict[str, Any],
    given: list[Any],
    handler: ModelWrapValidatorHandler[CustomerRef],
) -> CustomerRef:
    """The reference without the identifiers (or traits) that could not be validated, as
    long as an identifier remains; else the errors stand."""
    errors = errors_from(exc, "")
    usable = dict(data)
    bad: set[int] = set()
    for error in errors:
        parts = error.field.split("/")
        if parts[1:2] == ["identifiers"] and len(parts) > 2 and parts[2].isdigit():
            bad.add(int(parts[2]))
        elif parts[1:2] == ["traits"] and len(parts) == 2:
            usable.pop("traits", None)  # not an object: no traits, the rest kept
        else:
            raise exc
    positions = [n for n in range(len(given)) if n not in bad]
    if not positions:
        raise exc
    usable["identifiers"] = [given[n] for n in positions]
    ref = handler(usable)
    left_out = [
        EventError(e.field, f"{e.reason}; left out, the rest is kept", e.code) for e in errors
    ]
    object.__setattr__(ref, "kept_at", tuple(positions))
    _note_warnings(ref, positions, left_out)
    return ref


def _note_warnings(ref: CustomerRef, positions: list[int], warnings: list[EventError]) -> None:
    """Gather on ``ref`` what was left out or kept as written, in the order of the event."""
    for position, ident in zip(positions, ref.identifiers, strict=True):
        if ident.problem is not None:
            problem = ident.problem
            warnings.append(EventError(f"/identifiers/{position}", problem.reason, problem.code))
    if ref.traits is not None:
        warnings += [EventError(f"/traits{e.field}", e.reason, e.code) for e in ref.traits.dropped]
    ordered = tuple(sorted(warnings, key=lambda e: _pointer_order(e.field)))
    object.__setattr__(ref, "warnings", ordered)


def _pointer_order(pointer: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in pointer.split("/"))


def _scalar_problem(key: str, value: Any) -> tuple[str, str] | None:
    """(reason, code) when a trait or attribute of the sender's own cannot be kept."""
    if len(key) > 64:
        return "attribute names are at most 64 characters", "too_long"
    if isinstance(value, str) and len(value) > MAX_SHORT_CHARS:
        return f"attribute '{key[:64]}' is over {MAX_SHORT_CHARS} characters", "too_long"
    if not isinstance(value, str | int | float | bool | type(None)):
        return f"attribute '{key[:64]}' must be a string, number, boolean or null", "invalid_value"
    return None


def _check_scalar(key: str, value: Any) -> None:
    if (problem := _scalar_problem(key, value)) is not None:
        raise PydanticCustomError(problem[1], problem[0])


#: The payload class of each event type, by the type's name; filled as the classes below
#: are defined, each naming its type in ``event_type``.
PAYLOADS: dict[str, type[Payload]] = {}


class Payload(_Strict):
    """What an event says. A subclass that sets ``event_type`` is that event type's payload."""

    event_type: ClassVar[str]
    customer: CustomerRef | None = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" in cls.__dict__:
            PAYLOADS[cls.event_type] = cls

    def anchor(self) -> tuple[str, str] | None:
        """``(kind, external id)`` of the thing this event belongs to, if any."""
        return None

    def named_identifiers(self) -> list[IdentifierIn]:
        """Identifiers the event names beyond the customer's (read before it is applied)."""
        return []

    @model_validator(mode="after")
    def _needs_customer(self) -> Payload:
        if self.customer is None and self.anchor() is None:
            raise PydanticCustomError(
                "missing_customer",
                "data.customer is required: name the customer by at least one identifier",
            )
        return self


class CustomerIdentified(Payload):
    event_type: ClassVar[str] = "customer.identified"
    customer: CustomerRef


class CustomerAuthenticated(Payload):
    """A verification. With an ``interaction_id`` the customer may be left out: it follows
    that interaction (how Warmline records a verification carried by a continuation code)."""

    event_type: ClassVar[str] = "customer.authenticated"
    channel: Channel
    method: Short
    level: Literal["weak", "medium", "strong"]
    interaction_id: ExternalId | None = None
    expires_at: StorableTime | None = None

    def anchor(self) -> tuple[str, str] | None:
        if self.customer is None and self.interaction_id:
            return ("interaction", self.interaction_id)
        return None


class InteractionStarted(Payload):
    event_type: ClassVar[str] = "interaction.started"
    customer: CustomerRef
    interaction_id: ExternalId
    channel: Channel
    agent_id: Short | None = None
    queue: Short | None = None
    subject: Short | None = None


class _InInteraction(Payload):
    interaction_id: ExternalId

    def anchor(self) -> tuple[str, str] | None:
        return ("interaction", self.interaction_id)


class Attachment(_Strict):
    """A file sent with a message, kept as a link (Warmline never fetches it)."""

    url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://\S+$")]
    name: Short | None = None
    content_type: Annotated[str, StringConstraints(max_length=100)] | None = None


class MessagePosted(_InInteraction):
    event_type: ClassVar[str] = "message.posted"
    speaker: Literal["customer", "agent", "bot"]
    text: Text
    agent_id: Short | None = None
    #: An agent's note that the customer never saw (a help desk's private note).
    private: bool = False
    attachments: Annotated[list[Attachment], Field(max_length=20)] = Field(default_factory=list)


class InteractionTransferred(_InInteraction):
    event_type: ClassVar[str] = "interaction.transferred"
    from_agent: Short | None = None
    to_agent: Short | None = None
    to_queue: Short | None = None
    remark: Text | None = None


class InteractionEnded(_InInteraction):
    event_type: ClassVar[str] = "interaction.ended"
    outcome: Literal["resolved", "unresolved", "escalated", "abandoned", "follow_up"]
    reason: Short | None = None
    summary: Text | None = None


class ReasonRecorded(_InInteraction):
    """The agent says why the customer got in touch, while the contact goes on."""

    event_type: ClassVar[str] = "interaction.reason_recorded"
    reason: Short
    agent_id: Short | None = None


class CaseOpened(Payload):
    """A case. With an ``interaction_id`` the customer may be left out: it follows that
    interaction (how Warmline opens a case for a channel switch)."""

    event_type: ClassVar[str] = "case.opened"
    case_id: ExternalId
    title: Short
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    interaction_id: ExternalId | None = None

    def anchor(self) -> tuple[str, str] | None:
        if self.customer is None and self.interaction_id:
            return ("interaction", self.interaction_id)
        return None


class _InCase(Payload):
    case_id: ExternalId

    def anchor(self) -> tuple[str, str] | None:
        return ("case", self.case_id)


class CaseUpdated(_InCase):
    event_type: ClassVar[str] = "case.updated"
    status: Literal["open", "pending_customer", "pending_internal", "escalated"] | None = None
    note: Text | None = None
    interaction_id: ExternalId | None = None


class CaseResolved(_InCase):
    event_type: ClassVar[str] = "case.resolved"
    resolution: Text | None = None


class CommitmentMade(Payload):
    event_type: ClassVar[str] = "commitment.made"
    commitment_id: ExternalId
    text: Text
    due_at: StorableTime
    made_by: Short | None = None
    case_id: ExternalId | None = None
    interaction_id: ExternalId | None = None

    def anchor(self) -> tuple[str, str] | None:
        if self.interaction_id:
            return ("interaction", self.interaction_id)
        if self.case_id:
            return ("case", self.case_id)
        return None


class CommitmentFulfilled(Payload):
    event_type: ClassVar[str] = "commitment.fulfilled"
    commitment_id: ExternalId
    note: Text | None = None

    def anchor(self) -> tuple[str, str] | None:
        return ("commitment", self.commitment_id)


FEEDBACK_RANGES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}


class FeedbackSubmitted(Payload):
    event_type: ClassVar[str] = "feedback.submitted"
    kind: Literal["csat", "nps", "ces"]
    score: int
    comment: Text | None = None
    interaction_id: ExternalId | None = None

    def anchor(self) -> tuple[str, str] | None:
        return ("interaction", self.interaction_id) if self.interaction_id else None

    @field_validator("score")
    @classmethod
    def _in_range(cls, score: int, info: ValidationInfo) -> int:
        low, high = FEEDBACK_RANGES[info.data.get("kind", "csat")]
        if not low <= score <= high:
            raise PydanticCustomError(
                "out_of_range", f"{info.data.get('kind')} scores run from {low} to {high}"
            )
        return score


class Activity(Payload):
    event_type: ClassVar[str] = "activity"
    customer: CustomerRef
    name: Annotated[
        str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", max_length=80)
    ]
    summary: Short | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("attributes")
    @classmethod
    def _bounded(cls, attributes: dict[str, Any]) -> dict[str, Any]:
        if len(attributes) > MAX_ATTRIBUTES:
            raise PydanticCustomError("too_many", f"at most {MAX_ATTRIBUTES} attributes")
        for key, value in attributes.items():
            _check_scalar(key, value)
        return attributes


class ConsentUpdated(Payload):
    """Consent given or withdrawn for one purpose; kept as the fact ``consent.<purpose>``."""

    event_type: ClassVar[str] = "consent.updated"
    customer: CustomerRef
    purpose: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    granted: bool


class ProfileConfirmed(Payload):
    """The customer confirmed or corrected what is on record (a pre-filled form): each
    value becomes a fact from the customer; identifiers named are marked confirmed."""

    event_type: ClassVar[str] = "profile.confirmed"
    customer: CustomerRef
    form: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")] | None = None
    #: Traits as the customer confirmed them (unchanged or corrected), by key.
    confirmed: dict[str, Any] = Field(default_factory=dict)
    #: Identifiers the customer confirmed or gave, as ``{kind, value}``.
    identifiers: Annotated[list[IdentifierIn], Field(max_length=20)] = Field(default_factory=list)
    #: The keys (traits, or ``email``/``phone``) the customer changed.
    corrected: Annotated[list[Short], Field(max_length=100)] = Field(default_factory=list)
    #: How verified the customer was when confirming.
    verification: Literal["none", "weak", "medium", "strong"] = "none"
    #: Who recorded it: an agent's or integration's key name, or the customer's link.
    recorded_by: Short | None = None

    def named_identifiers(self) -> list[IdentifierIn]:
        return list(self.identifiers)

    @field_validator("confirmed")
    @classmethod
    def _bounded(cls, confirmed: dict[str, Any]) -> dict[str, Any]:
        if len(confirmed) > 100:
            raise PydanticCustomError("too_many", "at most 100 confirmed values")
        for key, value in confirmed.items():
            _check_scalar(key, value)
        return confirmed


EVENT_TYPES = tuple(PAYLOADS)


class Envelope(BaseModel):
    """The CloudEvents 1.0 envelope. Extension attributes are kept but not interpreted."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"]
    id: ExternalId
    source: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    time: StorableTime
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    """A validated event: envelope fields, its typed payload and the raw envelope as JSON."""

    source: str
    id: str
    type: str
    time: dt.datetime
    payload: Payload
    raw: str
    #: What was left out of the event or kept unnormalised: it was stored all the same.
    warnings: tuple[EventError, ...] = ()


class InvalidEvent(Exception):
    def __init__(self, errors: list[EventError], source: str | None, event_id: str | None) -> None:
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors
        self.source = source
        self.event_id = event_id


def parse_event(envelope: Any, *, region: str = "GB") -> Event:
    """Validate one envelope and its payload; raise :class:`InvalidEvent` listing every problem."""
    if not isinstance(envelope, dict):
        raise InvalidEvent(
            [
                EventError(
                    "", "each event must be a JSON object (a CloudEvents envelope)", "not_an_object"
                )
            ],
            None,
            None,
        )
    source, event_id = envelope.get("source"), envelope.get("id")
    ids = (
        source if isinstance(source, str) else None,
        event_id if isinstance(event_id, str) else None,
    )
    try:
        head = Envelope.model_validate(envelope)
    except ValidationError as exc:
        raise InvalidEvent(errors_from(exc, ""), *ids) from exc
    model = PAYLOADS.get(head.type)
    if model is None:
        raise InvalidEvent(
            [
                EventError(
                    "/type",
                    f"unknown event type '{head.type[:100]}'; "
                    f"known types: {', '.join(EVENT_TYPES)}",
                    "unknown_event_type",
                )
            ],
            *ids,
        )
    try:
        # A date of birth after the event is implausible: judged at the event's own time, so
        # a replay years later judges it the same.
        context = {"region": region, "today": head.time.astimezone(dt.UTC).date()}
        payload = model.model_validate(head.data, context=context)
    except ValidationError as exc:
        raise InvalidEvent(errors_from(exc, "/data"), *ids) from exc
    raw = orjson.dumps(envelope).decode()
    if "\\u0000" in raw and _ESCAPED_NUL.search(raw):
        raise InvalidEvent(
            [EventError("", "text may not contain NUL (\\u0000) characters", "nul_character")], *ids
        )
    warnings = payload.customer.warnings if payload.customer is not None else ()
    return Event(
        head.source,
        head.id,
        head.type,
        head.time.astimezone(dt.UTC),
        payload,
        raw,
        tuple(EventError(f"/data/customer{w.field}", w.reason, w.code) for w in warnings),
    )
