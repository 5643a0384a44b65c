"""Identifier normalisation and masking, with each field's own library.

An identifier is ``(kind, value)``. Normalising makes the same person's
identifier compare equal however a channel wrote it: phones become E.164 with
``phonenumbers``, emails are validated by ``email-validator`` and lower-cased,
account-like numbers lose spaces and dashes.

Ingest keeps what it cannot normalise (:func:`normalise_leniently`): a phone number
that is possible but not valid for its region (a range not yet allocated, a drama
number) is kept in E.164 and marked :data:`NOT_VALID_FOR_REGION`; any other value
that does not normalise is kept verbatim and marked :data:`UNNORMALISED`, so it still
matches the same string exactly and is never lost with the event that carried it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
MAX_VALUE_CHARS = 256

#: Kinds whose values are compacted (spaces, dashes, dots removed) and upper-cased.
COMPACT_KINDS = frozenset({"account_number", "customer_number", "card_token", "national_id"})
#: Kinds shown in full to agents: opaque session handles, not personal data.
UNMASKED_KINDS = frozenset({"chat_session", "device"})


#: How far an identifier could be normalised (stored beside it; None: fully).
NOT_VALID_FOR_REGION = "not_valid_for_region"
UNNORMALISED = "unnormalised"
QUALITIES = (NOT_VALID_FOR_REGION, UNNORMALISED)


class IdentifierError(ValueError):
    """An identifier value that cannot be normalised; ``reason`` says why and what to do."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Identifier:
    """A normalised identifier, with whether the sending system verified it."""

    kind: str
    value: str
    verified: bool = False
    #: None when normalised, else :data:`NOT_VALID_FOR_REGION` or :data:`UNNORMALISED`.
    quality: str | None = None


@dataclass(frozen=True, slots=True)
class Kept:
    """What ingest keeps of an identifier: its value, how far it was normalised, and
    (when not fully) why, in words for a warning."""

    value: str
    quality: str | None = None
    problem: str | None = None


def normalise_identifier(kind: str, value: str, *, default_region: str = "GB") -> str:
    """Return the canonical form of ``value`` for ``kind``, or raise :class:`IdentifierError`."""
    kept = _normalised(kind, value, default_region)
    if kept.quality is not None:
        assert kept.problem is not None
        raise IdentifierError(kind, kept.problem)
    return kept.value


def normalise_leniently(kind: str, value: str, *, default_region: str = "GB") -> Kept:
    """What to keep of an identifier: normalised, normalised but marked (a phone number
    possible but not valid for its region), or verbatim and marked unnormalised.

    Raises :class:`IdentifierError` only when there is nothing to keep: a malformed
    kind, an empty value, a value over :data:`MAX_VALUE_CHARS`.
    """
    return _normalised(kind, value, default_region)


#: Values each per-value cache keeps (the most recently used). Enough for every identifier
#: of a few thousand events, so one seen by an import's reader is still there when ingest
#: parses its event, and again when resolution compares it; bounded, so a bulk import of
#: a million distinct customers holds no more than a batch's worth (each entry is about
#: 500 bytes: at 65,536 entries these caches alone grew an import by 30 MB).
VALUE_CACHE = 1 << 14


# A customer's email and phone come back on most of their events; validating them costs
# tens of microseconds each, so the answers are kept (invalid values raise every time).
@lru_cache(maxsize=VALUE_CACHE)
def _normalised(kind: str, value: str, default_region: str) -> Kept:
    if not KIND_PATTERN.match(kind):
        raise IdentifierError(
            kind, "kind must be lower-case letters, digits, '_', '.', '-' (e.g. 'email', 'phone')"
        )
    text = value.strip()
    if not text:
        raise IdentifierError(kind, "value is empty")
    if len(text) > MAX_VALUE_CHARS:
        raise IdentifierError(kind, f"value is longer than {MAX_VALUE_CHARS} characters")
    if kind == "phone":
        return _normalise_phone(value, text, default_region)
    if kind == "email":
        return _normalise_email(value, text)
    if kind in COMPACT_KINDS:
        compact = re.sub(r"[\s\-.]", "", text).upper()
        if not compact.isalnum():
            return Kept(value, UNNORMALISED, "value may contain only letters and digits")
        return Kept(compact)
    if any(ord(ch) < 32 for ch in text):
        return Kept(value, UNNORMALISED, "value contains control characters")
    return Kept(text)


def _normalise_phone(value: str, text: str, default_region: str) -> Kept:
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        why = f"'{text[:40]}' is not a phone number ({exc._msg}); write it as +<country><number>"
        return Kept(value, UNNORMALISED, why)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.is_valid_number(number):
        return Kept(e164)
    if phonenumbers.is_possible_number(number):
        # A range not allocated yet, or kept for drama: real people give such numbers
        # (and systems store them); only its shape can be checked.
        why = (
            f"'{text[:40]}' is not a valid phone number for region {default_region} "
            f"(a range not in use); kept as {e164}"
        )
        return Kept(e164, NOT_VALID_FOR_REGION, why)
    why = (
        f"'{text[:40]}' is not a valid phone number for region {default_region}; "
        "write it in international form, e.g. +44 20 7946 0958"
    )
    return Kept(value, UNNORMALISED, why)


def _normalise_email(value: str, text: str) -> Kept:
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        return Kept(value, UNNORMALISED, f"'{text[:60]}' is not an email address: {exc}")
    return Kept(result.normalized.lower())


@lru_cache(maxsize=VALUE_CACHE)
def is_mobile(e164: str) -> bool:
    """Whether a phone number (E.164) is a mobile: one person's, where a landline is often
    a household's. Unknown types (a range not in use) are not taken for mobiles."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE


def mask_identifier(kind: str, value: str) -> str:
    """What an agent sees of an identifier until it is revealed: enough to confirm, not copy."""
    if kind in UNMASKED_KINDS:
        return value
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}•••@{domain}"
    if kind == "phone":
        return f"{value[:3]}•••••{value[-4:]}" if len(value) > 7 else "•••"
    if len(value) <= 4:
        return "•" * len(value)
    return "•" * (len(value) - 4) + value[-4:]
