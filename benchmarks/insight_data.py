"""Readers for the evaluation data in ``../shared/data`` (never copied into the repository)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
#: SemEval-2017's train file holds every earlier year; this share of it (by a hash of the
#: text, so the same tweets every time) is held back as the dev split for choices.
SEMEVAL_DEV_SHARE = 10
POLARITY = ("negative", "neutral", "positive")


def banking77(split: str) -> tuple[list[str], list[str]]:
    """Banking77 ``train`` or ``test``: texts and intent labels."""
    with (DATA / "banking77" / f"{split}.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def goemotions_labels() -> list[str]:
    """The Ekman labels, in the order their ids index."""
    return (DATA / "goemotions" / "ekman_labels.txt").read_text(encoding="utf-8").split()


def goemotions_original_labels() -> list[str]:
    """GoEmotions' own 27 emotions and neutral, in the order their ids index."""
    return (DATA / "goemotions" / "original_labels.txt").read_text(encoding="utf-8").split()


def goemotions(split: str, *, original: bool = False) -> tuple[list[str], list[frozenset[str]]]:
    """GoEmotions ``train``, ``dev`` or ``test``: texts and their label sets (Ekman's
    grouping, or with ``original`` the 27 emotions and neutral)."""
    labels = goemotions_original_labels() if original else goemotions_labels()
    texts, sets = [], []
    path = DATA / "goemotions" / f"{'original' if original else 'ekman'}_{split}.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        text, ids, _ = line.split("\t")
        texts.append(text)
        sets.append(frozenset(labels[int(i)] for i in ids.split(",")))
    return texts, sets


def _semeval_dev(text: str) -> bool:
    return (
        int(hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest(), 16) % 100
        < SEMEVAL_DEV_SHARE
    )


def semeval2017(split: str) -> tuple[list[str], list[str]]:
    """SemEval-2017 Task 4A: ``train`` (2013-2016, all of it), ``fit`` (train without dev),
    ``dev`` (:data:`SEMEVAL_DEV_SHARE` % of train) or ``test`` (2017): texts and labels."""
    name = "test" if split == "test" else "train"
    with (DATA / "semeval2017" / f"{name}.tsv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if split in ("fit", "dev"):
        rows = [r for r in rows if _semeval_dev(r["text"]) == (split == "dev")]
    return [r["text"] for r in rows], [r["label"] for r in rows]


#: A dialogue whose topic or summary has one of these words may be about banking.
MONEY_WORDS = re.compile(
    r"\b(bank\w*|account\w*|money|loan\w*|credit|debit|card\w*|cash\w*|deposit\w*|"
    r"withdraw\w*|cheque\w*|check(s|ing)?|atm|currenc\w*|exchang\w*|pay\w*|salar\w*|"
    r"transfer\w*|mortgage\w*|insur\w*|financ\w*|dollars?|pounds?|pin|fee\w*|interest|"
    r"saving\w*|invest\w*|refund\w*|bill\w*|pric\w*|cost\w*|buy\w*|purchas\w*)\b",
    re.IGNORECASE,
)


def dialogsum_lines(split: str, *, min_words: int = 3) -> list[str]:
    """Lines (speaker tags removed, at least ``min_words`` words) of the DialogSum
    ``dev`` or ``test`` dialogues that are not about money: out of scope for a bank."""
    lines = []
    path = DATA / "dialogsum" / f"dialogsum.{split}.jsonl"
    for row in path.read_text(encoding="utf-8").splitlines():
        dialogue = json.loads(row)
        about = " ".join(
            [dialogue.get("topic", ""), dialogue.get("summary", ""), dialogue["dialogue"]]
        )
        if MONEY_WORDS.search(about):
            continue
        for line in dialogue["dialogue"].splitlines():
            said = line.split(":", 1)[1].strip() if ":" in line else line.strip()
            if len(said.split()) >= min_words:
                lines.append(said)
    return lines


def not_about_money(texts: list[str]) -> list[str]:
    """The texts with none of :data:`MONEY_WORDS` (tweets to a bank are not off-topic)."""
    return [text for text in texts if not MONEY_WORDS.search(text)]
