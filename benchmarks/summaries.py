"""Summaries benchmark: the extractive summariser against lead-2 and TextRank, same run.

**Summaries.** Every dialogue of DialogSum's test split (500 dialogues, three human
summaries each; CC BY-NC-SA 4.0, read from ``../shared/data/dialogsum/`` and used
to measure only) is turned into turns (``#Person1#`` as the customer,
``#Person2#`` as the agent; the summariser treats both alike) and summarised by:

* **lead-2**: the first two sentences;
* **TextRank-2**: ``sumy``'s TextRank, two sentences, English stop words and
  stemmer, given our sentence splitter and word tokeniser (its default tokenizer
  needs NLTK data that cannot be downloaded);
* **ours-2**: :func:`warmline.domain.conversation.summary.summarise_sentences` with ``k=2``;
* **ours one-line**: :func:`warmline.domain.conversation.summary.summarise` (the product's line,
  at most 200 characters), against **lead, 200 chars** (lead sentences cut to the
  same length by the same trimming).

All systems see the same sentences. "Greeting-led" is the share of outputs that
open with a greeting, thanks or formula ("Hello", "Thank you", "Of course", "How
can I help"), by a pattern of this script's own rather than the summariser's lists.
ROUGE-1/2/L are ``rouge-score``'s F-measures
(Porter stemmer, its default tokeniser) against the three references in the
usual multi-reference way: for each dialogue the best of the three
(``RougeScorer.score_multi``), averaged over dialogues; the mean over the three
references is printed alongside. Dialogues/s times only the summarising, one
process, one core, each system in turn over the whole split.

**Restatement.** Labelled pairs from Banking77 (CC BY 4.0, ``../shared/data/banking77/``):
a positive is two different queries of the same intent, a negative two queries of
different intents; balanced and seeded. Pairs from the TRAIN split pick each
method's threshold by the product's rule (the lowest threshold on a 0.025 grid
with precision >= 0.90); pairs from the TEST split measure it. Compared, same run:
WordLlama cosine (ours, :func:`warmline.domain.effort.restatement.find_restatement`, one
call per pair as the product makes it), rapidfuzz's token-set ratio, content-word
Jaccard, and TF-IDF cosine on character 2-5-grams (IDF fitted on Banking77
train). ROC AUC, precision, recall and F1 at the threshold, the threshold sweep
for ours, and pairs/s.

**Problem statements.** Recall of :func:`problem_lines` on Banking77 test queries
(each is a customer's problem statement or request; there are no negatives there,
so precision is covered by the unit tests' pleasantries only).

Table on stdout, then one JSON line with every figure.

    .venv/bin/python benchmarks/summaries.py
    .venv/bin/python benchmarks/summaries.py --data ../shared/data --limit 100
    .venv/bin/python benchmarks/summaries.py --split dev   # where choices are checked (1 ref)
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz import utils as fuzz_utils
from rich.console import Console
from rich.table import Table
from rouge_score import rouge_scorer
from sklearn.feature_extraction.text import TfidfVectorizer
from sumy.nlp.stemmers import Stemmer
from sumy.parsers.plaintext import PlaintextParser
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from warmline.domain.conversation.problem_statement import problem_lines
from warmline.domain.conversation.summary import summarise, summarise_sentences, trim
from warmline.domain.conversation.turns import (
    Turn,
    content_words,
    conversation_sentences,
    split_sentences,
    words,
)
from warmline.domain.effort.restatement import THRESHOLD as RESTATEMENT_THRESHOLD
from warmline.domain.effort.restatement import find_restatement
from warmline.models.word_vectors import sentence_vectors

REPO = Path(__file__).resolve().parent.parent
METRICS = ("rouge1", "rouge2", "rougeL")
GOAL_DIALOGUES_PER_S = 200
ONE_LINE_CHARS = 200
SEED = 5
_LINE = re.compile(r"^#(Person\d+)#:\s?(.*)$")
# How a summary that opens with a pleasantry starts; kept apart from the product's lists
# so the figure does not grade the summariser by its own rule.
_PLEASANTRY_OPENING = re.compile(
    r"^\W*(?:hi|hello|hey|good\s+(?:morning|afternoon|evening)|morning|thanks|thank\s+you"
    r"|cheers|bye|goodbye|of\s+course|you're\s+welcome|how\s+are\s+you|how\s+can\s+i\s+help"
    r"|excuse\s+me|nice\s+to\s+meet\s+you)\b",
    re.IGNORECASE,
)
SPEAKERS: dict[str, Any] = {"Person1": "customer", "Person2": "agent"}

TARGET_PRECISION = 0.90
THRESHOLD_GRID = [round(i * 0.025, 3) for i in range(-8, 41)]

Summariser = Callable[[Sequence[Turn]], str]
Similarity = Callable[[str, str], float]
Pair = tuple[str, str, bool]
PRF = tuple[float, float, float]


def load_dialogsum(path: Path, limit: int | None) -> list[tuple[list[Turn], list[str]]]:
    """Each dialogue of a split as turns, with its reference summaries."""
    out = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            # The test split has three references, the dev split one.
            refs = [row[k] for k in ("summary1", "summary2", "summary3", "summary") if row.get(k)]
            out.append((dialogue_turns(row["dialogue"]), refs))
            if limit and len(out) >= limit:
                break
    return out


def dialogue_turns(dialogue: str) -> list[Turn]:
    turns: list[Turn] = []
    for raw in dialogue.split("\n"):
        match = _LINE.match(raw.strip())
        if match:
            turns.append(Turn(SPEAKERS.get(match.group(1), "agent"), match.group(2)))
        elif turns and raw.strip():
            turns[-1] = Turn(turns[-1].speaker, f"{turns[-1].text} {raw.strip()}")
    return turns


class OurTokenizer:
    """The sentence splitter and word tokeniser sumy is given (NLTK's need downloads)."""

    language = "english"

    def to_sentences(self, paragraph: str) -> list[str]:
        return split_sentences(paragraph)

    def to_words(self, sentence: str) -> list[str]:
        return words(sentence)


def textrank(k: int) -> Summariser:
    summarizer = TextRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    tokenizer = OurTokenizer()

    def run(turns: Sequence[Turn]) -> str:
        # One turn per paragraph, so sentence splitting matches the other systems.
        parser = PlaintextParser.from_string("\n\n".join(t.text for t in turns), tokenizer)
        return " ".join(str(s) for s in summarizer(parser.document, k))

    return run


def lead(k: int) -> Summariser:
    def run(turns: Sequence[Turn]) -> str:
        return " ".join(s.text for s in conversation_sentences(turns)[:k])

    return run


def lead_chars(max_chars: int) -> Summariser:
    def run(turns: Sequence[Turn]) -> str:
        return trim(" ".join(s.text for s in conversation_sentences(turns)[:10]), max_chars)

    return run


def ours(k: int) -> Summariser:
    def run(turns: Sequence[Turn]) -> str:
        return " ".join(summarise_sentences(turns, k))

    return run


def ours_one_line(turns: Sequence[Turn]) -> str:
    return summarise(turns, max_chars=ONE_LINE_CHARS)


def score_system(
    name: str,
    system: Summariser,
    data: Sequence[tuple[list[Turn], list[str]]],
    per_dialogue: dict[str, list[float]],
) -> dict[str, Any]:
    """ROUGE (best-of-references and mean-over-references) and speed of one system."""
    started = time.perf_counter()
    outputs = [system(turns) for turns, _ in data]
    elapsed = time.perf_counter() - started
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    best: dict[str, list[float]] = {m: [] for m in METRICS}
    mean: dict[str, list[float]] = {m: [] for m in METRICS}
    for output, (_, refs) in zip(outputs, data, strict=True):
        multi = scorer.score_multi(refs, output)
        singles = [scorer.score(ref, output) for ref in refs]
        for metric in METRICS:
            best[metric].append(multi[metric].fmeasure)
            mean[metric].append(statistics.fmean(s[metric].fmeasure for s in singles))
    per_dialogue[name] = best["rougeL"]
    return {
        "system": name,
        **{f"{m}_best": round(100 * statistics.fmean(best[m]), 2) for m in METRICS},
        **{f"{m}_mean": round(100 * statistics.fmean(mean[m]), 2) for m in METRICS},
        "dialogues_per_s": round(len(data) / elapsed, 1),
        "mean_chars": round(statistics.fmean(len(o) for o in outputs), 1),
        "pleasantry_led_pct": round(
            100 * sum(1 for o in outputs if _PLEASANTRY_OPENING.match(o)) / len(outputs), 1
        ),
        "empty": sum(1 for o in outputs if not o.strip()),
    }


def summaries_section(data_dir: Path, limit: int | None, split: str = "test") -> dict[str, Any]:
    data = load_dialogsum(data_dir / "dialogsum" / f"dialogsum.{split}.jsonl", limit)
    systems: list[tuple[str, Summariser]] = [
        ("lead-2", lead(2)),
        ("TextRank-2 (sumy)", textrank(2)),
        ("ours-2", ours(2)),
        (f"lead, {ONE_LINE_CHARS} chars", lead_chars(ONE_LINE_CHARS)),
        ("ours one-line", ours_one_line),
    ]
    rows = []
    per_dialogue: dict[str, list[float]] = {}
    for name, system in systems:
        print(f"scoring {name} ...", file=sys.stderr)
        rows.append(score_system(name, system, data, per_dialogue))
    print_table(
        f"DialogSum {split}, {len(data)} dialogues: ROUGE F1 x100, best of "
        f"{max(len(refs) for _, refs in data)} refs",
        ("system", "R-1", "R-2", "R-L", "R-L mean of refs", "dialogues/s", "chars", "greeting-led"),
        [
            (
                row["system"],
                *(f"{row[k]:.2f}" for k in ("rouge1_best", "rouge2_best", "rougeL_best")),
                f"{row['rougeL_mean']:.2f}",
                f"{row['dialogues_per_s']:,.0f}",
                f"{row['mean_chars']:.0f}",
                f"{row['pleasantry_led_pct']:.1f} %",
            )
            for row in rows
        ],
    )
    by_name = {row["system"]: row for row in rows}
    ours_row = by_name["ours-2"]
    goal = (
        ours_row["rougeL_best"] > by_name["lead-2"]["rougeL_best"]
        and ours_row["rougeL_best"] > by_name["TextRank-2 (sumy)"]["rougeL_best"]
        and ours_row["dialogues_per_s"] >= GOAL_DIALOGUES_PER_S
        and by_name["ours one-line"]["dialogues_per_s"] >= GOAL_DIALOGUES_PER_S
    )
    margins = {
        baseline: paired_bootstrap(per_dialogue["ours-2"], per_dialogue[baseline])
        for baseline in ("lead-2", "TextRank-2 (sumy)")
    }
    for baseline, (delta, low, high) in margins.items():
        print(f"ours-2 minus {baseline}, R-L best: {delta:+.2f} (95% CI {low:+.2f} to {high:+.2f})")
    print(f"goal (ROUGE-L above lead-2 and TextRank at >= {GOAL_DIALOGUES_PER_S}/s): {goal}")
    return {
        "split": split,
        "dialogues": len(data),
        "systems": rows,
        "rougeL_margin_ci95": {k: list(v) for k, v in margins.items()},
        "goal_met": goal,
    }


def paired_bootstrap(
    ours_scores: Sequence[float], baseline: Sequence[float], rounds: int = 2000
) -> tuple[float, float, float]:
    """Mean difference x100 and its 95% percentile bootstrap interval (dialogues resampled)."""
    rng = random.Random(SEED)
    diffs = [a - b for a, b in zip(ours_scores, baseline, strict=True)]
    means = sorted(statistics.fmean(rng.choices(diffs, k=len(diffs))) for _ in range(rounds))
    low, high = means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1]
    return (round(100 * statistics.fmean(diffs), 2), round(100 * low, 2), round(100 * high, 2))


def banking77(path: Path) -> dict[str, list[str]]:
    """Queries by intent."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            by_intent[row["category"]].append(row["text"])
    return dict(by_intent)


def labelled_pairs(by_intent: dict[str, list[str]], n: int, seed: int) -> list[Pair]:
    """``n`` same-intent pairs and ``n`` different-intent pairs, interleaved, seeded."""
    rng = random.Random(seed)
    intents = sorted(by_intent)
    pairs: list[Pair] = []
    for _ in range(n):
        same = rng.choice(intents)
        first, second = rng.sample(by_intent[same], 2)
        pairs.append((first, second, True))
        one, other = rng.sample(intents, 2)
        pairs.append((rng.choice(by_intent[one]), rng.choice(by_intent[other]), False))
    return pairs


def precision_recall(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> PRF:
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and y)
    fp = sum(1 for s, y in zip(scores, labels, strict=True) if s >= threshold and not y)
    fn = sum(1 for s, y in zip(scores, labels, strict=True) if s < threshold and y)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return (round(precision, 3), round(recall, 3), round(f1, 3))


def pick_threshold(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """The product's rule: the lowest grid threshold with precision >= the target."""
    for threshold in THRESHOLD_GRID:
        if precision_recall(scores, labels, threshold)[0] >= TARGET_PRECISION:
            return threshold
    return THRESHOLD_GRID[-1]


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Probability a random positive outscores a random negative (ties count half)."""
    negatives = sorted(s for s, y in zip(scores, labels, strict=True) if not y)
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    wins = sum(
        bisect.bisect_left(negatives, p)
        + 0.5 * (bisect.bisect_right(negatives, p) - bisect.bisect_left(negatives, p))
        for p in positives
    )
    return round(wins / (len(positives) * len(negatives)), 3)


def ours_score(a: str, b: str) -> float:
    found = find_restatement([a], b, sentence_vectors, threshold=-1.0)
    return found.score if found else 0.0


def restatement_methods(train_texts: Sequence[str]) -> list[tuple[str, Similarity]]:
    char_tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    char_tfidf.fit(train_texts)

    def tfidf(a: str, b: str) -> float:
        matrix = char_tfidf.transform([a, b])
        return float((matrix[0] @ matrix[1].T).toarray()[0, 0])

    def jaccard(a: str, b: str) -> float:
        first, second = set(content_words(a)), set(content_words(b))
        return len(first & second) / len(first | second) if first | second else 0.0

    def token_set(a: str, b: str) -> float:
        return fuzz.token_set_ratio(a, b, processor=fuzz_utils.default_process) / 100

    return [
        ("WordLlama cosine (ours)", ours_score),
        ("rapidfuzz token-set ratio", token_set),
        ("content-word Jaccard", jaccard),
        ("TF-IDF char 2-5 cosine", tfidf),
    ]


def restatement_section(data_dir: Path, n: int) -> dict[str, Any]:
    train = banking77(data_dir / "banking77" / "train.csv")
    test = banking77(data_dir / "banking77" / "test.csv")
    train_pairs = labelled_pairs(train, n, SEED)
    test_pairs = labelled_pairs(test, n, SEED + 1)
    train_labels = [y for *_, y in train_pairs]
    test_labels = [y for *_, y in test_pairs]
    ours_score("warm up", "the model")  # loading the embeddings is not a comparison
    rows = []
    ours_test: list[float] = []
    for name, method in restatement_methods([t for texts in train.values() for t in texts]):
        print(f"pairs: {name} ...", file=sys.stderr)
        threshold = pick_threshold([method(a, b) for a, b, _ in train_pairs], train_labels)
        started = time.perf_counter()
        scores = [method(a, b) for a, b, _ in test_pairs]
        elapsed = time.perf_counter() - started
        precision, recall, f1 = precision_recall(scores, test_labels, threshold)
        rows.append(
            {
                "method": name,
                "threshold_from_train": threshold,
                "auc": roc_auc(scores, test_labels),
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "pairs_per_s": round(len(test_pairs) / elapsed),
            }
        )
        if name.endswith("(ours)"):
            ours_test = scores
    print_table(
        f"Restatement: Banking77 test, {n} same-intent + {n} different-intent pairs",
        ("method", "threshold (train)", "AUC", "P", "R", "F1", "pairs/s"),
        [
            (
                row["method"],
                *(f"{row[k]:.3f}" for k in ("threshold_from_train", "auc", "precision")),
                *(f"{row[k]:.3f}" for k in ("recall", "f1")),
                f"{row['pairs_per_s']:,}",
            )
            for row in rows
        ],
    )
    sweep = []
    for threshold in [t for t in THRESHOLD_GRID if 0.2 <= t <= 0.6]:
        precision, recall, f1 = precision_recall(ours_test, test_labels, threshold)
        sweep.append({"threshold": threshold, "precision": precision, "recall": recall, "f1": f1})
    print_table(
        "Threshold sweep, WordLlama cosine, Banking77 test pairs",
        ("threshold", "P", "R", "F1"),
        [
            (
                f"{row['threshold']:.3f}"
                + (" (product)" if abs(row["threshold"] - RESTATEMENT_THRESHOLD) < 1e-9 else ""),
                *(f"{row[k]:.3f}" for k in ("precision", "recall", "f1")),
            )
            for row in sweep
        ],
    )
    at_product = precision_recall(ours_test, test_labels, RESTATEMENT_THRESHOLD)
    print(
        f"product threshold {RESTATEMENT_THRESHOLD}: precision {at_product[0]:.3f}, "
        f"recall {at_product[1]:.3f} (train picks {rows[0]['threshold_from_train']:.3f})"
    )
    return {
        "pairs_per_class": n,
        "methods": rows,
        "product_threshold": RESTATEMENT_THRESHOLD,
        "product_precision": at_product[0],
        "product_recall": at_product[1],
        "sweep": sweep,
    }


def problem_lines_section(data_dir: Path) -> dict[str, Any]:
    queries = [q for qs in banking77(data_dir / "banking77" / "test.csv").values() for q in qs]
    started = time.perf_counter()
    found = sum(1 for q in queries if problem_lines([Turn("customer", q)]))
    elapsed = time.perf_counter() - started
    recall = round(found / len(queries), 3)
    print(
        f"problem statements: {found:,} of {len(queries):,} Banking77 test queries "
        f"found (recall {recall:.3f}), {len(queries) / elapsed:,.0f} lines/s"
    )
    return {"queries": len(queries), "recall": recall, "lines_per_s": round(len(queries) / elapsed)}


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table on stdout, first column left-aligned, figures right-aligned."""
    table = Table(title=title)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    Console(width=140).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=None, help="first N dialogues only")
    parser.add_argument(
        "--split",
        choices=("test", "dev"),
        default="test",
        help="DialogSum split: choices are checked on dev (one reference), reported on test",
    )
    parser.add_argument("--pairs", type=int, default=2000, help="pairs per class and split")
    args = parser.parse_args()
    figures = {
        "summaries": summaries_section(args.data, args.limit, args.split),
        "restatement": restatement_section(args.data, args.pairs),
        "problem_lines": problem_lines_section(args.data),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
