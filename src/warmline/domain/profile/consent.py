"""Consent per purpose, read from the customer's facts; features that need it ask here.

Consent is recorded by ``consent.updated`` events as the fact ``consent.<purpose>``
with its source and time; the newest fact wins, and no fact means no consent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Purposes features check before using personal data beyond serving the contact.
PERSONALISATION = "personalisation"
MARKETING = "marketing"


def has_consent(traits: Mapping[str, Any], purpose: str) -> bool:
    entry = traits.get(f"consent.{purpose}")
    return bool(entry and entry.get("value") is True)
