"""The feelings sections of ``benchmarks/insight.py``: polarity on SemEval-2017, frustration
on GoEmotions, and unknown reasons on out-of-scope text, all read from ``../shared/data``.

* **polarity**: SemEval-2017 Task 4A test (2017), macro-averaged recall (the task's
  measure) and accuracy of the labels Warmline stores, against VADER (compound at the
  usual +-0.05) and a word + char TF-IDF logistic regression (class-balanced) trained on
  the same train split, all in this run; messages/s of the fast path;
* **frustration**: GoEmotions test comments, frustrated when their raters chose
  annoyance, anger or disappointment (GoEmotions has no "frustration" of its own; these
  three are the fed-up feelings it does have): ROC AUC of the frustration score and F1 of
  the desk's "frustrated", against VADER's negativity;
* **unknown reasons**: the share of out-of-scope text the reason model calls unknown
  (GoEmotions test comments, SemEval-2017 test tweets that say nothing about money, lines
  of DialogSum test dialogues not about money), and Banking77 test accuracy with
  unknown counted wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, recall_score, roc_auc_score

from insight_data import (
    POLARITY,
    banking77,
    dialogsum_lines,
    goemotions,
    not_about_money,
    semeval2017,
)

#: GoEmotions' emotions that say a reader is fed up: the frustrated side of the set.
FED_UP = frozenset({"annoyance", "anger", "disappointment"})
BATCH = 1000

#: Reads messages into (label, frustration score, desk says frustrated) per message.
Reader = Callable[[Sequence[str]], list[tuple[str, float, bool]]]


def rate(run: Callable[[Sequence[str]], object], texts: Sequence[str], repeats: int = 3) -> float:
    """Messages per second through ``run`` in batches of :data:`BATCH` (median of repeats)."""
    run(texts[:BATCH])
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for i in range(0, len(texts), BATCH):
            run(texts[i : i + BATCH])
        rates.append(len(texts) / (time.perf_counter() - started))
    return float(np.median(rates))


def polarity_scores(truth: Sequence[str], predicted: Sequence[str]) -> tuple[float, float]:
    """Macro-averaged recall and accuracy."""
    return (
        float(recall_score(truth, predicted, labels=list(POLARITY), average="macro")),
        float(accuracy_score(truth, predicted)),
    )


def vader_label(compound: float) -> str:
    return "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"


def tfidf_polarity(train: Sequence[str], labels: Sequence[str]) -> Callable[[Sequence[str]], Any]:
    """The baseline: word 1-2-gram + char_wb 2-5-gram TF-IDF, balanced logistic regression."""
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    x = hstack([word.fit_transform(train), char.fit_transform(train)]).tocsr()
    fit = LogisticRegression(C=0.5, max_iter=3000, class_weight="balanced").fit(x, labels)

    def predict(texts: Sequence[str]) -> Any:
        return fit.predict(hstack([word.transform(texts), char.transform(texts)]).tocsr())

    return predict


def polarity_section(
    fast_labels: Callable[[Sequence[str]], list[str]],
    served_labels: Callable[[Sequence[str]], list[str]],
    model: Any,
    opinion: Any,
    quick: bool,
) -> dict[str, Any]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    train, train_labels = semeval2017("train")
    test, truth = semeval2017("test")
    fast = fast_labels(test)
    recall, accuracy = polarity_scores(truth, fast)
    served = served_labels(test)
    served_recall, served_accuracy = polarity_scores(truth, served)
    unsure = [t for t, i in zip(test, model.analyse(test), strict=True) if i.unsure]
    sample = test[: 400 if quick else 2000]
    all_recall = sample_recall = refine_rate = None
    if opinion is not None:
        everything = [i.label for i in model.refine(sample, opinion)]
        all_recall, _ = polarity_scores(truth[: len(sample)], everything)
        sample_recall, _ = polarity_scores(truth[: len(sample)], served[: len(sample)])
        started = time.perf_counter()
        model.refine(unsure[:1000], opinion)
        refine_rate = min(len(unsure), 1000) / (time.perf_counter() - started)
    vader = SentimentIntensityAnalyzer()
    vader_labels = [vader_label(vader.polarity_scores(t)["compound"]) for t in test]
    vader_recall, vader_accuracy = polarity_scores(truth, vader_labels)
    if quick:
        train, train_labels = train[:10000], train_labels[:10000]
    baseline = tfidf_polarity(train, train_labels)
    base_recall, base_accuracy = polarity_scores(truth, list(baseline(test)))
    per_class = recall_score(truth, served, labels=list(POLARITY), average=None)
    share = len(unsure) / len(test)
    return {
        "semeval_test_messages": len(test),
        "semeval_macro_recall": round(recall, 4),
        "semeval_accuracy": round(accuracy, 4),
        "semeval_macro_recall_refined": round(served_recall, 4),
        "semeval_accuracy_refined": round(served_accuracy, 4),
        "semeval_refined_share": round(share, 4),
        "semeval_sample_macro_recall_all_refined": all_recall and round(all_recall, 4),
        "semeval_sample_macro_recall_refined": sample_recall and round(sample_recall, 4),
        "semeval_sample_messages": len(sample),
        "semeval_recall_by_label": {
            k: round(float(v), 3) for k, v in zip(POLARITY, per_class, strict=True)
        },
        "semeval_macro_recall_vader": round(vader_recall, 4),
        "semeval_accuracy_vader": round(vader_accuracy, 4),
        "semeval_macro_recall_tfidf": round(base_recall, 4),
        "semeval_accuracy_tfidf": round(base_accuracy, 4),
        "semeval_fast_messages_per_s": round(rate(fast_labels, test)),
        # The baseline's speed in the same run: the machine is shared, the ratio holds.
        "semeval_vader_messages_per_s": round(
            rate(lambda batch: [vader.polarity_scores(t) for t in batch], test)
        ),
        "refine_messages_per_s": refine_rate and round(refine_rate),
        "refine_keeps_up_with_messages_per_s": refine_rate
        and round(refine_rate / max(share, 1e-9)),
    }


def frustration_set() -> tuple[list[str], np.ndarray]:
    texts, labels = goemotions("test", original=True)
    return texts, np.array([int(bool(found & FED_UP)) for found in labels])


def frustration_section(read: Reader) -> dict[str, Any]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts, truth = frustration_set()
    found = read(texts)
    score = np.array([s for _, s, _ in found])
    said = np.array([f for _, _, f in found])
    vader = SentimentIntensityAnalyzer()
    compound = np.array([vader.polarity_scores(t)["compound"] for t in texts])
    return {
        "frustration_messages": len(texts),
        "frustration_share": round(float(truth.mean()), 3),
        "frustration_auc": round(float(roc_auc_score(truth, score)), 4),
        "frustration_f1": round(float(f1_score(truth, said)), 4),
        "frustration_precision": round(float(said[truth == 1].sum() / max(said.sum(), 1)), 4),
        "frustration_recall": round(float(said[truth == 1].mean()), 4),
        "frustration_auc_vader": round(float(roc_auc_score(truth, -compound)), 4),
        "frustration_f1_vader": round(float(f1_score(truth, compound <= -0.05)), 4),
    }


def gate_section(model: Any) -> dict[str, Any]:
    test, labels = banking77("test")
    found = model.predict(test)
    right = np.array([p.label == t for p, t in zip(found, labels, strict=True)])
    out: dict[str, Any] = {
        "gate_in_scope_accuracy_unknown_wrong": round(float(right.mean()), 4),
        "gate_in_scope_unknown_share": round(float(np.mean([p.label is None for p in found])), 4),
    }
    sets = {
        "goemotions_test": goemotions("test")[0],
        "semeval_test": not_about_money(semeval2017("test")[0]),
        "dialogsum_test": dialogsum_lines("test"),
    }
    total = unknown = 0
    for name, texts in sets.items():
        called = [p.label is None for p in model.predict(texts)]
        out[f"gate_out_of_scope_unknown_{name}"] = round(float(np.mean(called)), 4)
        total += len(called)
        unknown += sum(called)
    out["gate_out_of_scope_messages"] = total
    out["gate_out_of_scope_unknown"] = round(unknown / total, 4)
    return out


def rows(f: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Table rows for the figures these sections measured."""
    out = []
    if "semeval_macro_recall" in f:
        out += [
            (
                f"SemEval-2017 test macro-averaged recall ({f['semeval_test_messages']:,} "
                "tweets), fast reading",
                f"{f['semeval_macro_recall']:.3f}",
                f"VADER {f['semeval_macro_recall_vader']:.3f}; "
                f"TF-IDF LR {f['semeval_macro_recall_tfidf']:.3f}",
                "",
            ),
            (
                f"  refined ({f['semeval_refined_share']:.0%} read again by the encoder); "
                f"first {f['semeval_sample_messages']:,} with all read again: "
                f"{f['semeval_sample_macro_recall_all_refined']:.3f} against "
                f"{f['semeval_sample_macro_recall_refined']:.3f}"
                if f["refine_messages_per_s"]
                else f"  refined ({f['semeval_refined_share']:.0%} marked to read again): "
                "no encoder shipped, the fast reading stays",
                f"{f['semeval_macro_recall_refined']:.3f}",
                "RoBERTa-base 0.713 (published)",
                ">= 0.72",
            ),
            (
                "SemEval-2017 test accuracy, fast / refined",
                f"{f['semeval_accuracy']:.3f} / {f['semeval_accuracy_refined']:.3f}",
                f"VADER {f['semeval_accuracy_vader']:.3f}; "
                f"TF-IDF LR {f['semeval_accuracy_tfidf']:.3f}",
                "",
            ),
            (
                "fast reading messages/s (SemEval test, batches of 1000)",
                f"{f['semeval_fast_messages_per_s']:,} "
                f"({f['semeval_fast_messages_per_s'] / f['semeval_vader_messages_per_s']:.1f} "
                "x VADER)",
                f"VADER {f['semeval_vader_messages_per_s']:,}",
                ">= 2,000",
            ),
            (
                "refined reading: messages read again per s; the message stream it keeps up with",
                f"{f['refine_messages_per_s']:,}; {f['refine_keeps_up_with_messages_per_s']:,}"
                if f["refine_messages_per_s"]
                else "no encoder shipped",
                "",
                ">= 300",
            ),
        ]
    if "frustration_auc" in f:
        out += [
            (
                f"frustration ROC AUC (GoEmotions test, {f['frustration_messages']:,} comments, "
                f"{f['frustration_share']:.0%} annoyed, angry or disappointed)",
                f"{f['frustration_auc']:.3f}",
                f"VADER negativity {f['frustration_auc_vader']:.3f}",
                "",
            ),
            (
                "frustration F1 of the desk's word (precision, recall)",
                f"{f['frustration_f1']:.3f} ({f['frustration_precision']:.2f}, "
                f"{f['frustration_recall']:.2f})",
                f"VADER compound <= -0.05: {f['frustration_f1_vader']:.3f}",
                "",
            ),
        ]
    if "gate_out_of_scope_unknown" in f:
        out += [
            (
                f"out of scope called unknown ({f['gate_out_of_scope_messages']:,} lines: "
                f"GoEmotions {f['gate_out_of_scope_unknown_goemotions_test']:.1%}, SemEval "
                f"{f['gate_out_of_scope_unknown_semeval_test']:.1%}, DialogSum "
                f"{f['gate_out_of_scope_unknown_dialogsum_test']:.1%})",
                f"{f['gate_out_of_scope_unknown']:.1%}",
                "",
                ">= 95 %",
            ),
            (
                "Banking77 test accuracy, unknown counted wrong",
                f"{f['gate_in_scope_accuracy_unknown_wrong']:.3f} "
                f"({f['gate_in_scope_unknown_share']:.1%} unknown)",
                "",
                ">= 0.93",
            ),
        ]
    return out
