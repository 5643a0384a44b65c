"""Summaries benchmark: the extractive summariser against lead-2 and TextRank, same run.

**Summaries.** Every dialogue of DialogSum's test split (500 dialogues, three human
summaries each; CC BY-NC-SA 4.0, read from ``../shared/data/dialogsum/`` and used
to measure only) is turned into turns (``#Person1#`` as the customer,
``#Person2#`` as the agent; the summariser treats both alike) and summarised by:

* **lead-2**: the first two sentences;
* **TextRank-2**: ``sumy``'s TextRank, two sentences, English stop words and
  stemmer, given our sentence splitter and word tokeniser (its default tokenizer
  needs NLTK data that cannot be downloaded);
* **ours-2**: :func:`warmline.domain.summary.summarise_sentences` with ``k=2``;
* **ours one-line**: :func:`warmline.domain.summary.summarise` (the product's line,
  at most 200 characters), against **lead, 200 chars** (lead sentences cut to the
  same length by the same trimming).

All systems see the same sentences. ROUGE-1/2/L are ``rouge-score``'s F-measures
(Porter stemmer, its default tokeniser) against the three references in the
usual multi-reference way: for each dialogue the best of the three
(``RougeScorer.score_multi``), averaged over dialogues; the mean over the three
references is printed alongside. Dialogues/s times only the summarising, one
process, one core, each system in turn over the whole split.

**Restatement.** See ``restatement_section``.

Table on stdout, then one JSON line with every figure.

    .venv/bin/python benchmarks/summaries.py
    .venv/bin/python benchmarks/summaries.py --data ../shared/data --limit 100
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rouge_score import rouge_scorer
from sumy.nlp.stemmers import Stemmer
from sumy.parsers.plaintext import PlaintextParser
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from warmline.domain.conversation import Turn, conversation_sentences, split_sentences, words
from warmline.domain.summary import summarise, summarise_sentences, trim

REPO = Path(__file__).resolve().parent.parent
METRICS = ("rouge1", "rouge2", "rougeL")
GOAL_DIALOGUES_PER_S = 200
ONE_LINE_CHARS = 200
SEED = 5
_LINE = re.compile(r"^#(Person\d+)#:\s?(.*)$")
SPEAKERS: dict[str, Any] = {"Person1": "customer", "Person2": "agent"}

Summariser = Callable[[Sequence[Turn]], str]


def load_dialogsum(path: Path, limit: int | None) -> list[tuple[list[Turn], list[str]]]:
    """Each test dialogue as turns, with its three reference summaries."""
    out = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            refs = [row[k] for k in ("summary1", "summary2", "summary3") if row.get(k)]
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
    }


def summaries_section(data_dir: Path, limit: int | None) -> dict[str, Any]:
    data = load_dialogsum(data_dir / "dialogsum" / "dialogsum.test.jsonl", limit)
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
    table = Table(title=f"DialogSum test, {len(data)} dialogues: ROUGE F1 x100, best of 3 refs")
    for column in ("system", "R-1", "R-2", "R-L", "R-L mean of refs", "dialogues/s", "chars"):
        table.add_column(column, justify="left" if column == "system" else "right")
    for row in rows:
        table.add_row(
            row["system"],
            f"{row['rouge1_best']:.2f}",
            f"{row['rouge2_best']:.2f}",
            f"{row['rougeL_best']:.2f}",
            f"{row['rougeL_mean']:.2f}",
            f"{row['dialogues_per_s']:,.0f}",
            f"{row['mean_chars']:.0f}",
        )
    Console(width=140).print(table)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=None, help="first N test dialogues only")
    args = parser.parse_args()
    figures = {"summaries": summaries_section(args.data, args.limit)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
