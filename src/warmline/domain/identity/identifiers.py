"""Identifier normalisation and masking, with each field's own library.

An identifier is ``(kind, value)``. Normalising makes the same person's
identifier compare equal however a channel wrote it: phones become E.164 with
``phonenumbers``, emails are validated by ``email-validator`` and lower-cased,
account-like numbers lose spaces and dashes.
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


def normalise_identifier(kind: str, value: str, *, default_region: str = "GB") -> str:
    """Return the canonical form of ``value`` for ``kind``, or raise :class:`IdentifierError`."""
    return _normalised(kind, value, default_region)


# A customer's email and phone come back on most of their events; validating them costs
# tens of microseconds each, so the answers are kept (invalid values raise every time).
@lru_cache(maxsize=1 << 16)
def _normalised(kind: str, value: str, default_region: str) -> str:
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
        return _normalise_phone(text, default_region)
    if kind == "email":
        return _normalise_email(text)
    if kind in COMPACT_KINDS:
        compact = re.sub(r"[\s\-.]", "", text).upper()
        if not compact.isalnum():
            raise IdentifierError(kind, "value may contain only letters and digits")
        return compact
    if any(ord(ch) < 32 for ch in text):
        raise IdentifierError(kind, "value contains control characters")
    return text


def _normalise_phone(text: str, default_region: str) -> str:
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise IdentifierError(
            "phone",
            f"'{text[:40]}' is not a phone number ({exc._msg}); write it as +<country><number>",
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise IdentifierError(
            "phone",
            f"'{text[:40]}' is not a valid phone number for region {default_region}; "
            "write it in international form, e.g. +44 20 7946 0958",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalise_email(text: str) -> str:
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise IdentifierError("email", f"'{text[:60]}' is not an email address: {exc}") from exc
    return result.normalized.lower()


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
