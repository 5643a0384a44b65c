"""What agents see of sensitive personal data until they reveal it with a reason.

Identifiers show enough to confirm with the customer, never enough to copy;
sensitive traits (date of birth, address, postcode and their former values, national id)
are hidden.
Revealing is an explicit, audited request (``POST /v1/customers/{id}/reveal``).
"""

from __future__ import annotations

from typing import Any

from warmline.domain.identity.identifiers import mask_identifier

SENSITIVE_TRAITS = frozenset(
    {"date_of_birth", "address", "postcode", "national_id", "former_address", "former_postcode"}
)
HIDDEN = "•••"


def mask_trait(key: str, value: Any) -> Any:
    if key in ("postcode", "former_postcode") and isinstance(value, str) and " " in value:
        return value.split(" ", 1)[0] + " " + HIDDEN  # the outward code narrows nothing down
    return HIDDEN


def is_sensitive(key: str, entry: dict[str, Any]) -> bool:
    """Always-sensitive traits, and any trait the source marked sensitive."""
    return key in SENSITIVE_TRAITS or bool(entry.get("sensitive"))


def mask_traits(traits: dict[str, Any]) -> dict[str, Any]:
    """Traits as ``{key: {value, source, at}}`` with sensitive values hidden and flagged."""
    return {
        key: (
            {**entry, "value": mask_trait(key, entry["value"]), "masked": True}
            if is_sensitive(key, entry)
            else entry
        )
        for key, entry in traits.items()
    }


def mask_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """A profile (``storage.queries.customer_profile``) as an agent sees it."""
    return {
        **profile,
        "traits": mask_traits(profile.get("traits") or {}),
        "identifiers": [
            {**i, "value": mask_identifier(i["kind"], i["value"]), "masked": True}
            for i in profile["identifiers"]
        ],
    }


def mask_card(card: dict[str, Any]) -> dict[str, Any]:
    """A card as an agent sees it: sensitive traits hidden."""
    if not card.get("customer"):
        return card
    who = card["customer"]
    return {**card, "customer": {**who, "traits": mask_traits(who["traits"])}}


def mask_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    """Match evidence as an agent or supervisor sees it: how each field compared, without
    the sensitive values themselves (date of birth, address, contact details, ids)."""
    fields = []
    for item in evidence.get("fields", []):
        if item.get("sensitive"):
            label = item["field"].replace("_", " ")
            item = {
                **item,
                "left": HIDDEN,
                "right": HIDDEN,
                "text": f"{label}: {item['level'].replace('_', ' ')} {item['weight']:+.1f}",
                "masked": True,
            }
        fields.append(item)
    return {**evidence, "fields": fields}


def mask_side(side: dict[str, Any]) -> dict[str, Any]:
    """One side of a merge preview or suggestion, masked like a profile."""
    return {
        **side,
        "traits": mask_traits(side.get("traits") or {}),
        "identifiers": [
            {**i, "value": mask_identifier(i["kind"], i["value"]), "masked": True}
            for i in side.get("identifiers", [])
        ],
    }
