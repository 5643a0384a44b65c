"""Insight benchmark: Warmline's emotion, sentiment and reason models against baselines.

Everything runs on one core (thread counts are pinned before numpy is imported) and
each baseline is trained and measured in the same run, on ``../shared/data``:

* **emotions**: GoEmotions Ekman test macro-F1 of the shipped model against a
  one-vs-rest TF-IDF logistic regression (word 1-2-grams + char_wb 2-5-grams, its
  thresholds tuned on dev like ours), and batch throughput of ``analyse_messages``
  (language detection and input flags included) on GoEmotions and on Banking77's
  short, contact-centre-like messages;
* **sentiment**: sign accuracy on GoEmotions test messages that are clearly positive
  (joy only) or negative (anger, disgust, fear, sadness only), against VADER;
* **reasons**: Banking77 test accuracy (best reason, and top 3) of the shipped model
  (trained on the train split only; its linear model, and the fine-tuned MiniLM second
  opinion it asks about the messages it is least sure of) against word + char TF-IDF
  logistic regression, and batch throughput of ``ReasonModel.predict``; the linear
  model alone is measured too, with the share of test messages it asked about (the
  second opinion is the folder ``WARMLINE_REASON_ENCODER`` names, built by
  ``scripts/train_reason_encoder.py``; without it the shipped model is the linear one);
* **unknown reasons**: with and without the topic gate, for several confidence
  thresholds, the share of Banking77 test messages kept (and their accuracy) against
  the share of GoEmotions test comments (off-topic for a bank) called unknown; the
  gate and the shipped threshold were trained and chosen on Banking77 train and
  GoEmotions train, never on these;
* **ingest with insight on against off**: the demo world's events (about a fifth of them
  customer messages) ingested through ``ingest_events`` into fresh SQLite files, twice
  each way, alternating, with ``synchronous=OFF`` so the disk does not hide the CPU cost;
  the best run of each way counts;
* **reason before speaking**: the demo world's history replayed; associations learned
  on everything before a cut-off two years before "now", then each later contact's
  reason predicted from its context at contact start (open cases, promises, recent
  activities and contacts), top-1 and top-3, against the most frequent reasons of the
  learning period.

The feelings sections (SemEval-2017 polarity, frustration, unknown reasons on
out-of-scope text) are described in ``insight_feelings.py``.

    .venv/bin/python benchmarks/insight.py [--quick] [--customers 1000] [--only SECTION ...]
"""

from __future__ import annotations

import os

# One core, as the goals are stated: pin thread pools before numpy loads.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from insight_data import banking77, goemotions, goemotions_labels
from insight_feelings import frustration_section, gate_section, polarity_section, rows
from insight_replay import before, histories
from warmline.actions.ingest import ingest_events
from warmline.actions.insight_refine import refine_all
from warmline.demo.world import generate_world
from warmline.domain.insight.associations import learn_associations
from warmline.domain.insight.contact_context import context_at
from warmline.domain.insight.likely_reasons import rank_likely_reasons
from warmline.domain.insight.message_text import prepare
from warmline.domain.insight.readings import MessageInsight
from warmline.models import warm_up
from warmline.models.feelings import FeelingsModel, analyse_messages, default_feelings_model
from warmline.models.feelings_encoder import feelings_encoder_installed, shipped_feelings_opinion
from warmline.models.reasons import GATE, ReasonModel, default_reason_model
from warmline.storage import schema as t
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade
from warmline.training.emotions import best_f1_threshold

err = Console(stderr=True)
BATCH = 1000


def per_second(
    run: Callable[[Sequence[str]], object], texts: Sequence[str], repeats: int = 3
) -> float:
    """Messages per second through ``run`` in batches of :data:`BATCH` (median of repeats)."""
    run(texts[:BATCH])  # warm up: lazy loading and caches are not what we measure
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for i in range(0, len(texts), BATCH):
            run(texts[i : i + BATCH])
        rates.append(len(texts) / (time.perf_counter() - started))
    return statistics.median(rates)


def tfidf_views() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    """The baseline's two TF-IDF views (the reference recipe in FIELD-NOTES)."""
    return (
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )


class TfidfBaseline:
    """Word + char TF-IDF with logistic regression, fitted in this run."""

    def __init__(self, texts: Sequence[str]):
        self.word, self.char = tfidf_views()
        self.x = hstack([self.word.fit_transform(texts), self.char.fit_transform(texts)]).tocsr()

    def transform(self, texts: Sequence[str]) -> Any:
        return hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()


def indicator(sets: Sequence[frozenset[str]], labels: Sequence[str]) -> np.ndarray:
    return np.array([[label in s for label in labels] for s in sets], dtype=np.int64)


def feelings_opinion() -> Any:
    """The shipped feelings encoder, or None while none is shipped."""
    return shipped_feelings_opinion() if feelings_encoder_installed() else None


def served(model: FeelingsModel, texts: Sequence[str], opinion: Any) -> list[MessageInsight]:
    """The readings the memory ends up with: the fast one, and the refined one for the
    messages the fast one was unsure of (what the refinement pass writes; nothing without
    an encoder)."""
    found = model.analyse(texts)
    if opinion is None:
        return found
    unsure = [i for i, insight in enumerate(found) if insight.unsure]
    for i, insight in zip(unsure, model.refine([texts[i] for i in unsure], opinion), strict=True):
        found[i] = insight
    return found


def emotions_section(quick: bool) -> dict[str, Any]:
    labels = goemotions_labels()
    train, train_sets = goemotions("train")
    dev, dev_sets = goemotions("dev")
    test, test_sets = goemotions("test")
    if quick:
        train, train_sets = train[:8000], train_sets[:8000]
    y_test = indicator(test_sets, labels)

    err.print("emotions: shipped model, fast and refined")
    model = default_feelings_model()
    opinion = feelings_opinion()
    prepared_labels = list(model.ekman_labels)
    order = [prepared_labels.index(label) for label in labels]
    fast = model.ekman(test)[:, order].astype(np.int64)
    fast_f1 = float(f1_score(y_test, fast, average="macro", zero_division=0))
    ours = model.analyse(test)
    unsure = np.array([i.unsure for i in ours])
    refined = fast.copy()
    refined_f1 = everything_f1 = None
    if opinion is not None:
        asked = [test[i] for i in np.flatnonzero(unsure)]
        refined[unsure] = model.ekman(asked, opinion)[:, order]
        refined_f1 = float(f1_score(y_test, refined, average="macro", zero_division=0))
        everything = model.ekman(test, opinion)[:, order].astype(np.int64)
        everything_f1 = float(f1_score(y_test, everything, average="macro", zero_division=0))
    original, original_sets = goemotions("test", original=True)
    emotion_labels = list(model.emotions)
    truth27 = indicator(original_sets, emotion_labels)
    said = [served(model, original, opinion)]
    found27 = np.array(
        [[any(e == k for e, _ in i.emotions) for k in emotion_labels] for i in said[0]],
        dtype=np.int64,
    )
    original_f1 = float(f1_score(truth27, found27, average="macro", zero_division=0))
    ours_rate = per_second(analyse_messages, test)
    banking_texts = banking77("test")[0]
    short_rate = per_second(analyse_messages, banking_texts)
    unsupported = sum(not i.supported for i in ours) / len(ours)

    err.print("emotions: baseline (one-vs-rest TF-IDF logistic regression)")
    started = time.perf_counter()
    base = TfidfBaseline(train)
    y_train, y_dev = indicator(train_sets, labels), indicator(dev_sets, labels)
    fits, thresholds = [], []
    x_dev = base.transform(dev)
    for k in range(len(labels)):
        fit = LogisticRegression(C=1.0, max_iter=2000).fit(base.x, y_train[:, k])
        fits.append(fit)
        thresholds.append(best_f1_threshold(y_dev[:, k], fit.predict_proba(x_dev)[:, 1])[0])
    base_train_s = time.perf_counter() - started

    def base_predict(texts: Sequence[str]) -> np.ndarray:
        x = base.transform(texts)
        return np.array([f.predict_proba(x)[:, 1] for f in fits]).T

    p_test = base_predict(test)
    base_pred = (p_test >= np.array(thresholds)).astype(np.int64)
    base_f1 = float(f1_score(y_test, base_pred, average="macro", zero_division=0))
    base_rate = per_second(base_predict, test)
    per_class = f1_score(y_test, refined, average=None, zero_division=0)
    return {
        "emotion_macro_f1": round(fast_f1, 4),
        "emotion_macro_f1_refined": None if refined_f1 is None else round(refined_f1, 4),
        "emotion_macro_f1_all_refined": None if everything_f1 is None else round(everything_f1, 4),
        "emotion_refined_share": round(float(unsure.mean()), 4),
        "emotion_macro_f1_baseline": round(base_f1, 4),
        "emotion_f1_by_label": {
            k: round(float(v), 3) for k, v in zip(labels, per_class, strict=True)
        },
        "emotion27_macro_f1_refined": round(original_f1, 4),
        "emotion_messages_per_s": round(ours_rate),
        "emotion_messages_per_s_baseline": round(base_rate),
        "insight_us_per_short_message": round(1e6 / short_rate, 1),
        "emotion_unsupported_share": round(unsupported, 4),
        "emotion_baseline_train_s": round(base_train_s, 1),
        "feelings_model_bytes": len(model.to_bytes()),
    }


def reasons_section(quick: bool) -> dict[str, Any]:
    train, train_labels = banking77("train")
    test, test_labels = banking77("test")
    truth = np.array(test_labels)

    err.print("reasons: shipped model")
    model = default_reason_model()
    found = model.predict(test)
    best = np.array([p.top[0][0] if p.top else "" for p in found])
    top3 = np.mean(
        [t in {label for label, _ in p.top} for p, t in zip(found, test_labels, strict=True)]
    )
    known = np.array([p.label is not None for p in found])
    rate = per_second(model.predict, test)

    err.print("reasons: the shipped linear model alone (no second opinion)")
    linear = ReasonModel.from_bytes(model.to_bytes())
    linear_best = np.array([p.top[0][0] if p.top else "" for p in linear.predict(test)])
    linear_rate = per_second(linear.predict, test)
    opinion = model.second_opinion
    asked = 0.0
    if opinion is not None:
        probabilities, on_topic = linear.scores([prepare(t) for t in test])
        unsure = (probabilities.max(axis=1) < opinion.below) & (on_topic >= GATE)
        asked = float(unsure.mean())

    err.print("reasons: baseline (word + char TF-IDF logistic regression)")
    started = time.perf_counter()
    base = TfidfBaseline(train[:3000] if quick else train)
    fit = LogisticRegression(C=10.0, max_iter=3000).fit(
        base.x, train_labels[:3000] if quick else train_labels
    )
    base_train_s = time.perf_counter() - started

    def base_predict(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(fit.predict(base.transform(texts)))

    base_accuracy = float((base_predict(test) == truth).mean())
    base_rate = per_second(base_predict, test)

    err.print("reasons: unknown-detection trade-off")
    off_topic = goemotions("test")[0]
    # Copies, so the default stays untouched.
    gated = ReasonModel.from_bytes(model.to_bytes(), second_opinion=opinion)
    ungated = ReasonModel(
        gated.features,
        gated.labels,
        gated.weights,
        gated.embedding_weights,
        gated.bias,
        temperature=gated.temperature,
        languages=sorted(gated.languages),
        second_opinion=opinion,
    )
    shipped = round(model.threshold, 3)
    trade_off = []
    settings = [(gated, t) for t in sorted({0.1, shipped, 0.4, 0.6})]
    settings += [(ungated, t) for t in (0.4, 0.6, 0.8)]
    for probe, threshold in settings:
        probe.threshold = threshold
        inside = probe.predict(test)
        kept = np.array([p.label is not None for p in inside])
        right = np.array([p.label == t for p, t in zip(inside, test_labels, strict=True)])
        outside = probe.predict(off_topic)
        trade_off.append(
            {
                "threshold": threshold,
                "topic_gate": probe.gate is not None,
                "shipped": probe.gate is not None and threshold == shipped,
                "test_kept": round(float(kept.mean()), 4),
                "accuracy_when_kept": round(float(right[kept].mean()), 4),
                "off_topic_unknown": round(float(np.mean([p.label is None for p in outside])), 4),
            }
        )
    return {
        "reason_accuracy": round(float((best == truth).mean()), 4),
        "reason_top3_accuracy": round(float(top3), 4),
        "reason_accuracy_baseline": round(base_accuracy, 4),
        "reason_messages_per_s": round(rate),
        "reason_accuracy_linear_only": round(float((linear_best == truth).mean()), 4),
        "reason_messages_per_s_linear_only": round(linear_rate),
        "reason_second_opinion_share": round(asked, 4),
        "reason_messages_per_s_baseline": round(base_rate),
        "reason_baseline_train_s": round(base_train_s, 1),
        "reason_threshold": round(model.threshold, 3),
        "reason_test_unknown_share": round(float(1 - known.mean()), 4),
        "reason_accuracy_when_known": round(float((best == truth)[known].mean()), 4),
        "reason_model_bytes": len(model.to_bytes()),
        "reason_unknown_trade_off": trade_off,
    }


def before_speaking_section(customers: int) -> dict[str, Any]:
    err.print(f"reason before speaking: replaying the demo world ({customers} customers)")
    now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
    cutoff = now - dt.timedelta(days=2 * 365)
    world = histories(generate_world(customers=customers, seed=7, now=now))
    started = time.perf_counter()
    learned = learn_associations(before(h, cutoff) for h in world.values())
    learn_s = time.perf_counter() - started
    common = [r for r, _ in sorted(learned.reasons.items(), key=lambda kv: -kv[1])[:3]]
    n = top1 = top3 = base1 = base3 = 0
    started = time.perf_counter()
    for history in world.values():
        for contact in history.interactions:
            if contact.began < cutoff or not contact.reason:
                continue
            ranked = rank_likely_reasons(context_at(history, contact.began), learned, contact.began)
            names = [r.reason for r in ranked[:3]]
            n += 1
            top1 += names[:1] == [contact.reason]
            top3 += contact.reason in names
            base1 += common[0] == contact.reason
            base3 += contact.reason in common
    per_contact = (time.perf_counter() - started) / max(n, 1)
    return {
        "before_speaking_contacts": n,
        "before_speaking_learned_from": learned.contacts,
        "before_speaking_top1": round(top1 / n, 4),
        "before_speaking_top3": round(top3 / n, 4),
        "before_speaking_top1_baseline": round(base1 / n, 4),
        "before_speaking_top3_baseline": round(base3 / n, 4),
        "before_speaking_learn_s": round(learn_s, 2),
        "before_speaking_us_per_contact": round(per_contact * 1e6, 1),
    }


def refine_pass(engine: Any) -> tuple[int, float]:
    """The refinement pass over what ingest marked due: how many, in how many seconds."""
    with engine.connect() as conn:
        due = conn.execute(
            sa.select(sa.func.count()).where(t.messages.c.refine_due.is_(True))
        ).scalar_one()
    started = time.perf_counter()
    refine_all(engine)
    return int(due), time.perf_counter() - started


def ingest_section(customers: int) -> dict[str, Any]:
    """Ingest throughput with insight on and off, same events, same process."""
    err.print(f"ingest with insight on and off ({customers} demo customers)")
    now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
    batches = list(generate_world(customers=customers, seed=11, now=now))
    events = sum(map(len, batches))
    messages = sum(
        1
        for batch in batches
        for e in batch
        if e["type"] == "message.posted" and e["data"]["speaker"] == "customer"
    )
    best: dict[bool, float] = {}
    warm_up()  # models load once per process (a server does it at start-up)
    with tempfile.TemporaryDirectory() as folder:
        for run, insight in enumerate((False, True, False, True)):
            engine = make_engine(f"sqlite:///{folder}/ingest{run}.db", sqlite_synchronous="OFF")
            upgrade(engine)
            started = time.perf_counter()
            for batch in batches:
                ingest_events(engine, batch, insight=insight)
            seconds = time.perf_counter() - started
            if insight and run == 3:
                refined = refine_pass(engine) if feelings_encoder_installed() else (0, 0.0)
            engine.dispose()
            best[insight] = min(best.get(insight, seconds), seconds)
    due, refine_s = refined
    return {
        "refine_pass_messages": due,
        "refine_pass_messages_per_s": round(due / refine_s) if refine_s else 0,
        "refine_pass_keeps_up_with_messages_per_s": round(messages / refine_s) if refine_s else 0,
        "ingest_events": events,
        "ingest_customer_messages": messages,
        "ingest_eps_insight_off": round(events / best[False]),
        "ingest_eps_insight_on": round(events / best[True]),
        "ingest_insight_ratio": round(best[False] / best[True], 3),
    }


def fast_labels(texts: Sequence[str]) -> list[str]:
    """The labels Warmline stores at ingest (the fast reading)."""
    return [i.label for i in analyse_messages(texts)]


def served_labels(texts: Sequence[str]) -> list[str]:
    """The labels the memory ends up with once the refinement pass has run."""
    return [i.label for i in served(default_feelings_model(), texts, feelings_opinion())]


def frustration_reader(texts: Sequence[str]) -> list[tuple[str, float, bool]]:
    from warmline.domain.insight.feeling_words import message_feeling

    found = served(default_feelings_model(), texts, feelings_opinion())
    return [
        (i.label, i.frustration, (f := message_feeling(i)) is not None and f.key == "frustration")
        for i in found
    ]


def table(figures: dict[str, Any]) -> Table:
    out = Table(title="Insight: Warmline against baselines (one core, same run)")
    for column in ("measure", "Warmline", "baseline", "goal"):
        out.add_column(column)
    f = figures
    for row in rows(f):
        out.add_row(*row)
    if "emotion_macro_f1" not in f:
        return out
    out.add_row(
        "GoEmotions Ekman test macro-F1, fast reading",
        f"{f['emotion_macro_f1']:.3f}",
        f"{f['emotion_macro_f1_baseline']:.3f} (TF-IDF OvR LR)",
        "",
    )
    if f["emotion_macro_f1_refined"] is None:
        out.add_row(
            f"  refined ({f['emotion_refined_share']:.0%} of messages marked to read again)",
            "no encoder shipped",
            "BERT 0.64 (published)",
            ">= 0.64",
        )
    else:
        out.add_row(
            f"  refined ({f['emotion_refined_share']:.0%} of messages read again; "
            f"all read again: {f['emotion_macro_f1_all_refined']:.3f})",
            f"{f['emotion_macro_f1_refined']:.3f}",
            "BERT 0.64 (published)",
            ">= 0.64",
        )
    out.add_row(
        "GoEmotions 27 emotions + neutral, test macro-F1 (as stored)",
        f"{f['emotion27_macro_f1_refined']:.3f}",
        "",
        "",
    )
    out.add_row(
        "fast reading messages/s (GoEmotions, batches of 1000)",
        f"{f['emotion_messages_per_s']:,}",
        f"{f['emotion_messages_per_s_baseline']:,}",
        ">= 2,000",
    )
    out.add_row(
        "insight µs per short message (Banking77 texts)",
        f"{f['insight_us_per_short_message']}",
        "",
        "well under 100",
    )
    if "reason_accuracy" not in f:
        return out
    out.add_row(
        "Banking77 test accuracy (best reason)",
        f"{f['reason_accuracy']:.3f}",
        f"{f['reason_accuracy_baseline']:.3f} (TF-IDF LR)",
        ">= 0.94",
    )
    out.add_row("Banking77 test top-3 accuracy", f"{f['reason_top3_accuracy']:.3f}", "", "")
    out.add_row(
        "reason messages/s (batches of 1000)",
        f"{f['reason_messages_per_s']:,}",
        f"{f['reason_messages_per_s_baseline']:,}",
        ">= 2,000",
    )
    out.add_row(
        "  the linear model alone: accuracy, messages/s (the second opinion "
        f"was asked about {f['reason_second_opinion_share']:.1%} of test)",
        f"{f['reason_accuracy_linear_only']:.3f}, {f['reason_messages_per_s_linear_only']:,}/s",
        "",
        "",
    )
    if "ingest_eps_insight_on" not in f:
        return out
    out.add_row(
        f"ingest events/s, insight on ({f['ingest_events']:,} demo events, "
        f"{f['ingest_customer_messages']:,} customer messages)",
        f"{f['ingest_eps_insight_on']:,} ({f['ingest_insight_ratio']:.0%} of off)",
        f"{f['ingest_eps_insight_off']:,} (insight off)",
        ">= 70 % of off",
    )
    if f["refine_pass_messages"]:
        out.add_row(
            f"refinement pass after that ingest ({f['refine_pass_messages']:,} messages due): "
            "refined/s; customer messages/s it keeps up with",
            f"{f['refine_pass_messages_per_s']:,}; "
            f"{f['refine_pass_keeps_up_with_messages_per_s']:,}",
            "",
            ">= 300",
        )
    out.add_row(
        f"reason before speaking, top-1 ({f['before_speaking_contacts']:,} replayed contacts)",
        f"{f['before_speaking_top1']:.3f}",
        f"{f['before_speaking_top1_baseline']:.3f} (most frequent reason)",
        "",
    )
    out.add_row(
        "reason before speaking, top-3",
        f"{f['before_speaking_top3']:.3f}",
        f"{f['before_speaking_top3_baseline']:.3f} (three most frequent)",
        "",
    )
    out.add_row(
        "reason before speaking, µs per contact (context to ranking)",
        f"{f['before_speaking_us_per_contact']}",
        "",
        "",
    )
    for row in f.get("reason_unknown_trade_off", []):
        gate = "topic gate + " if row["topic_gate"] else "no gate, "
        out.add_row(
            f"unknown: {gate}confidence < {row['threshold']}"
            + (" (shipped)" if row["shipped"] else ""),
            f"keeps {row['test_kept']:.1%} of test, {row['accuracy_when_kept']:.1%} right",
            f"{row['off_topic_unknown']:.1%} of off-topic unknown",
            "",
        )
    return out


SECTIONS = ("polarity", "frustration", "gate", "emotions", "reasons", "before", "ingest")


class Figures(dict[str, Any]):
    """The figures so far; each section's are also said on stderr as they come, so a run
    that fails later keeps what it measured."""

    def update(self, more: Any = (), /, **kwargs: Any) -> None:
        super().update(more, **kwargs)
        err.print(json.dumps(dict(more)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller baselines, for a smoke run")
    parser.add_argument("--customers", type=int, default=1000, help="demo customers to replay")
    parser.add_argument(
        "--ingest-customers", type=int, default=400, help="demo customers to ingest, on and off"
    )
    parser.add_argument("--only", nargs="*", choices=SECTIONS, help="run these sections only")
    args = parser.parse_args()
    wanted = set(args.only or SECTIONS)
    figures = Figures()
    if "polarity" in wanted:
        err.print("polarity: SemEval-2017 test, ours against VADER and TF-IDF LR")
        figures.update(
            polarity_section(
                fast_labels,
                served_labels,
                default_feelings_model(),
                feelings_opinion(),
                args.quick,
            )
        )
    if "frustration" in wanted:
        err.print("frustration: GoEmotions test")
        figures.update(frustration_section(frustration_reader))
    if "gate" in wanted:
        err.print("unknown reasons: out-of-scope text")
        figures.update(gate_section(default_reason_model()))
    if "emotions" in wanted:
        figures.update(emotions_section(args.quick))
    if "reasons" in wanted:
        figures.update(reasons_section(args.quick))
    if "before" in wanted:
        figures.update(before_speaking_section(args.customers))
    if "ingest" in wanted:
        figures.update(ingest_section(args.ingest_customers))
    Console(width=120).print(table(figures))
    print(json.dumps({"benchmark": "insight", **figures}))


if __name__ == "__main__":
    main()
