"""The risk on the card: the score and why, in a line an agent reads at a glance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Signals the card names (the strongest first).
CARD_SIGNALS = 3


def risk_item(customer: Mapping[str, Any]) -> dict[str, Any] | None:
    """The card's risk from the customer row's ``risk_*`` columns; None without a score."""
    score = customer.get("risk_score")
    if not score:
        return None
    signals = list(customer.get("risk_signals") or [])[:CARD_SIGNALS]
    return {
        "score": int(score),
        "at_risk": customer.get("risk_above_since") is not None,
        "since": customer.get("risk_above_since"),
        "signals": [
            {"signal": s["signal"], "weight": s["weight"], "evidence": s["evidence"]}
            for s in signals
        ],
        "words": "; ".join(s["evidence"] for s in signals),
    }
