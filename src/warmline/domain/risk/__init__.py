"""Early warning: how likely a customer is to leave, from what the memory shows, with every
signal's weight and evidence (:mod:`.signals`) and how they combine (:mod:`.score`).
Pure logic on plain data."""

from __future__ import annotations

from warmline.domain.risk.score import Risk, RiskInputs, RiskPolicy, assess
from warmline.domain.risk.signals import WEIGHTS, Signal

__all__ = ["WEIGHTS", "Risk", "RiskInputs", "RiskPolicy", "Signal", "assess"]
