"""Readers for the evaluation data in ``../shared/data`` (never copied into the repository)."""

from __future__ import annotations

import csv
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def banking77(split: str) -> tuple[list[str], list[str]]:
    """Banking77 ``train`` or ``test``: texts and intent labels."""
    with (DATA / "banking77" / f"{split}.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def goemotions_labels() -> list[str]:
    """The Ekman labels, in the order their ids index."""
    return (DATA / "goemotions" / "ekman_labels.txt").read_text(encoding="utf-8").split()


def goemotions(split: str) -> tuple[list[str], list[frozenset[str]]]:
    """GoEmotions Ekman ``train``, ``dev`` or ``test``: texts and their label sets."""
    labels = goemotions_labels()
    texts, sets = [], []
    path = DATA / "goemotions" / f"ekman_{split}.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        text, ids, _ = line.split("\t")
        texts.append(text)
        sets.append(frozenset(labels[int(i)] for i in ids.split(",")))
    return texts, sets
