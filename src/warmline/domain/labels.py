"""Labels from other systems, as words an agent reads."""

from __future__ import annotations


def humanise(label: str | None) -> str | None:
    """'card_declined' -> 'card declined'; 'payment.failed' -> 'payment failed'."""
    if not label:
        return None
    return label.replace("_", " ").replace(".", " ").strip()
