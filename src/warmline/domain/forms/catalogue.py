"""The profile facts a form may ask for, and how a value of each is checked.

A form field names one of these *fact paths*. Most are traits (kept as facts with their
provenance, see :mod:`warmline.domain.profile.traits`); ``email`` and ``phone`` are the
customer's identifiers. Each path has a type that says how a value the customer gives is
checked and normalised, and whether it is sensitive (masked on the customer's page and
for agents, and changed only from a verified session).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from warmline.domain.identity.identifiers import IdentifierError, normalise_identifier

TRAIT, IDENTIFIER = "trait", "identifier"
MAX_TEXT = 200
#: A UK postcode (outward and inward code); other regions get a looser shape.
_UK_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
_POSTCODE = re.compile(r"^[A-Z0-9][A-Z0-9 -]{1,9}[A-Z0-9]$")


class ValueProblem(ValueError):
    """Why a value cannot be recorded: a stable code and what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class FactPath:
    """One fact a form may ask for."""

    name: str
    store: str  # TRAIT or IDENTIFIER
    type: str
    sensitive: bool = False
    choices: tuple[str, ...] = ()
    low: int = 0
    high: int = 0


def _choice(name: str, *choices: str, sensitive: bool = False) -> FactPath:
    return FactPath(name, TRAIT, "choice", sensitive, choices)


def _count(name: str, high: int) -> FactPath:
    return FactPath(name, TRAIT, "integer", low=0, high=high)


FACTS: dict[str, FactPath] = {
    p.name: p
    for p in (
        _choice("title", "mr", "mrs", "ms", "miss", "mx", "dr", "other"),
        FactPath("name", TRAIT, "text"),
        FactPath("preferred_name", TRAIT, "text"),
        FactPath("date_of_birth", TRAIT, "date_past", sensitive=True),
        FactPath("address", TRAIT, "address", sensitive=True),
        FactPath("postcode", TRAIT, "postcode", sensitive=True),
        FactPath("previous_address", TRAIT, "address", sensitive=True),
        FactPath("national_id", TRAIT, "text", sensitive=True),
        FactPath("email", IDENTIFIER, "email"),
        FactPath("phone", IDENTIFIER, "phone", sensitive=True),
        FactPath("nationality", TRAIT, "text"),
        FactPath("country_of_birth", TRAIT, "text"),
        FactPath("tax_residency", TRAIT, "text"),
        _count("years_in_country", 120),
        FactPath("language", TRAIT, "text"),
        FactPath("employer", TRAIT, "text"),
        FactPath("occupation", TRAIT, "text"),
        _choice(
            "employment_status",
            "employed", "self_employed", "unemployed", "retired", "student", "other",
        ),
        _count("years_with_employer", 70),
        _choice(
            "income_band", "under_20k", "20k_40k", "40k_60k", "60k_100k", "over_100k",
            sensitive=True,
        ),
        _choice(
            "marital_status",
            "single", "married", "civil_partnership", "separated", "divorced", "widowed",
            "prefer_not_to_say",
        ),
        _count("dependants", 20),
        _choice("housing_status", "owner", "mortgage", "renting", "with_family", "other"),
        _count("years_at_address", 100),
        _count("monthly_outgoings", 1_000_000),
        _count("monthly_credit_repayments", 1_000_000),
        _choice("contact_preference", "email", "phone", "sms", "post", "app"),
        _choice("contact_time", "morning", "afternoon", "evening", "any"),
        FactPath("accessibility_needs", TRAIT, "text"),
    )
}  # fmt: skip


def check_value(path: FactPath, raw: Any, *, region: str = "GB", today: dt.date) -> Any:
    """``raw`` checked and normalised for ``path``, or :class:`ValueProblem`."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueProblem("value_missing", "give a value, or confirm the one on record")
    if path.type == "integer":
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise ValueProblem("invalid_value", "give a whole number") from None
        if not path.low <= number <= path.high:
            raise ValueProblem("invalid_value", f"give a number from {path.low} to {path.high:,}")
        return number
    text = str(raw).strip()
    if len(text) > MAX_TEXT:
        raise ValueProblem("too_long", f"at most {MAX_TEXT} characters")
    if any(ord(c) < 32 for c in text):
        raise ValueProblem("invalid_value", "control characters are not allowed")
    if path.type == "choice":
        if text not in path.choices:
            raise ValueProblem("invalid_value", f"choose one of: {', '.join(path.choices)}")
        return text
    if path.type == "date_past":
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueProblem("invalid_value", "give a date as YYYY-MM-DD") from None
        if day > today:
            raise ValueProblem("invalid_value", "a date of birth cannot be in the future")
        if day.year < today.year - 130:
            raise ValueProblem("invalid_value", "that date is too long ago to be a birth date")
        return day.isoformat()
    if path.type == "postcode":
        compact = re.sub(r"\s+", " ", text.upper())
        if region == "GB":
            match = _UK_POSTCODE.match(compact)
            if not match:
                raise ValueProblem("invalid_value", "that is not a UK postcode, e.g. LS1 4AB")
            return f"{match.group(1)} {match.group(2)}"
        if not _POSTCODE.match(compact):
            raise ValueProblem("invalid_value", "that does not look like a postcode")
        return compact
    if path.type in {"email", "phone"}:
        try:
            return normalise_identifier(path.type, text, default_region=region)
        except IdentifierError as exc:
            raise ValueProblem("invalid_value", exc.reason) from None
    return text
