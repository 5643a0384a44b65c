"""Training the feelings model (``scripts/train_insight_models.py`` runs it on SemEval-2017
and GoEmotions).

* One n-gram vocabulary over both data sets' training texts.
* Polarity: a multinomial logistic regression on SemEval-2017's tweets, each class
  weighted by the inverse of its frequency, then a temperature (held-out negative
  log-likelihood, on the dev share). The label is the most probable class as trained,
  with no shift towards any class: a decision tuned to the earlier years' mix (40 %
  positive) would not suit customer messages (mostly negative or neutral) nor the 2017
  test (32 % negative); class-balanced training makes it prior-free.
* Emotions and Ekman groups: one-vs-rest NB-LR (Wang & Manning 2012: each feature scaled
  by how much more often it comes with the label, folded into the weights) on
  GoEmotions' train split, each with the threshold of its best F1 on the dev split.
* With the second opinion's probabilities on the same dev texts, the refined reading's
  blend weights (one for polarity, one for emotions), shift and thresholds are chosen
  there too, and so is what makes the fast reading unsure: its polarity confidence below
  that of the least sure :data:`REFINE_SHARE` of dev's tweets, or an emotion group
  nearer its threshold than in the :data:`REFINE_SHARE` of dev's comments nearest theirs.

No test split is read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, recall_score

from warmline.domain.insight.message_text import feelings_text
from warmline.domain.insight.readings import POLARITY
from warmline.models.feelings import (
    Decisions,
    FeelingsModel,
    Scores,
    decide_polarity,
    emotion_margin,
)
from warmline.models.linear_scores import softmax
from warmline.models.ngrams import NgramFeatures
from warmline.training.emotions import best_f1_threshold, nb_ratios

POLARITY_REGULARISATION = 0.25
EMOTION_REGULARISATION = 1.0
#: The share of messages the refined reading reads again for each of its two reasons: the
#: least sure by fast polarity confidence (of dev's tweets), and those with an emotion
#: group nearest its threshold (of dev's comments). A message may be unsure for both.
REFINE_SHARE = 0.5
_TEMPERATURES = np.exp(np.linspace(np.log(0.3), np.log(4.0), 41))
_BLENDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True, slots=True)
class FeelingsData:
    """One split of the training data."""

    tweets: Sequence[str]
    polarity: Sequence[str]
    """'negative', 'neutral' or 'positive' per tweet."""
    comments: Sequence[str]
    emotions: Sequence[frozenset[str]]
    """GoEmotions' own labels per comment."""
    ekman: Sequence[frozenset[str]]
    """The same comments' Ekman groups."""


@dataclass(frozen=True, slots=True)
class FeelingsTraining:
    """A trained model and what it did on dev (its choices were made there)."""

    model: FeelingsModel
    dev: dict[str, float] = field(default_factory=dict)


def _indicator(sets: Sequence[frozenset[str]], labels: Sequence[str]) -> NDArray[np.int64]:
    return np.array([[label in s for label in labels] for s in sets], dtype=np.int64)


def macro_recall(truth: NDArray[np.int64], chosen: NDArray[np.intp]) -> float:
    return float(recall_score(truth, chosen, labels=[0, 1, 2], average="macro", zero_division=0))


def choose_temperature(logits: NDArray[np.floating], truth: NDArray[np.int64]) -> float:
    """The temperature minimising held-out negative log-likelihood."""
    rows = np.arange(len(truth))
    losses = [
        -float(np.log(np.maximum(softmax(logits / t)[rows, truth], 1e-12)).mean())
        for t in _TEMPERATURES
    ]
    return float(_TEMPERATURES[int(np.argmin(losses))])


def choose_thresholds(
    probabilities: NDArray[np.float32], truth: NDArray[np.int64]
) -> NDArray[np.float32]:
    return np.array(
        [best_f1_threshold(truth[:, k], probabilities[:, k])[0] for k in range(truth.shape[1])],
        np.float32,
    )


def _decisions(scores: Scores, dev: FeelingsData, model: FeelingsModel) -> Decisions:
    return Decisions(
        np.zeros(3, np.float32),  # prior-free (see the module docstring): no shift
        choose_thresholds(scores.emotions, _indicator(dev.emotions, model.emotions)),
        choose_thresholds(scores.ekman, _indicator(dev.ekman, model.ekman_labels)),
    )


def _measure(
    scores: Scores, decisions: Decisions, dev: FeelingsData, model: FeelingsModel
) -> dict[str, float]:
    polarity = np.array([POLARITY.index(y) for y in dev.polarity])
    chosen = decide_polarity(scores.polarity, decisions.shift)[0]
    ekman = _indicator(dev.ekman, model.ekman_labels)
    emotions = _indicator(dev.emotions, model.emotions)
    return {
        "polarity_macro_recall": macro_recall(polarity, chosen),
        "ekman_macro_f1": float(
            f1_score(
                ekman, scores.ekman >= decisions.ekman_thresholds, average="macro", zero_division=0
            )
        ),
        "emotion_macro_f1": float(
            f1_score(
                emotions, scores.emotions >= decisions.thresholds, average="macro", zero_division=0
            )
        ),
    }


def _split(scores: Scores, tweets: int) -> tuple[Scores, Scores]:
    """Scores of the dev tweets, and of the dev comments (scored after them)."""
    head, tail = np.arange(tweets), np.arange(tweets, len(scores.polarity))
    return scores.rows(head), scores.rows(tail)


def _merge(tweets: Scores, comments: Scores) -> Scores:
    """Polarity from the tweets, emotions and Ekman groups from the comments."""
    return Scores(tweets.polarity, comments.emotions, comments.ekman)


def train_feelings_model(
    train: FeelingsData,
    dev: FeelingsData,
    emotion_labels: Sequence[str],
    ekman_labels: Sequence[str],
    *,
    second_opinion: Scores | None = None,
    min_df: int = 2,
) -> FeelingsTraining:
    """Fit the fast model, choose its decisions on ``dev``; with ``second_opinion`` (the
    encoder's probabilities on dev's tweets, then its comments), the refined ones too."""
    tweets = [feelings_text(t).text for t in train.tweets]
    comments = [feelings_text(t).text for t in train.comments]
    features = NgramFeatures.fit([*tweets, *comments], min_df=min_df, negation=True)
    x_tweets, x_comments = features.transform(tweets), features.transform(comments)
    polarity = np.array([POLARITY.index(y) for y in train.polarity])
    head = LogisticRegression(
        C=POLARITY_REGULARISATION, max_iter=3000, class_weight="balanced"
    ).fit(x_tweets, polarity)
    columns, biases = [head.coef_.T], [head.intercept_]
    for labels, sets in ((emotion_labels, train.emotions), (ekman_labels, train.ekman)):
        y = _indicator(sets, labels)
        for k in range(len(labels)):
            w, b = _nb_lr(x_comments, y[:, k])
            columns.append(w[:, None])
            biases.append(np.array([b]))
    neutral = Decisions(
        np.zeros(3, np.float32),
        np.full(len(emotion_labels), 0.5, np.float32),
        np.full(len(ekman_labels), 0.5, np.float32),
    )
    model = FeelingsModel(
        features,
        emotion_labels,
        ekman_labels,
        np.hstack(columns),
        np.concatenate(biases),
        temperature=1.0,
        fast=neutral,
        refined=neutral,
    )
    # Choices are made on the model as it will be stored (int8 weights).
    model = FeelingsModel.from_bytes(model.to_bytes())
    dev_texts = [feelings_text(t).text for t in [*dev.tweets, *dev.comments]]
    raw = model.features.transform(dev_texts) @ model.weights + model.bias
    truth = np.array([POLARITY.index(y) for y in dev.polarity])
    model.temperature = choose_temperature(raw[: len(dev.tweets), :3], truth)
    fast_tweets, fast_comments = _split(model.scores(dev_texts), len(dev.tweets))
    fast = _merge(fast_tweets, fast_comments)
    model.fast = _decisions(fast, dev, model)
    report = {f"fast_{k}": v for k, v in _measure(fast, model.fast, dev, model).items()}
    model.refined = model.fast
    confidence = decide_polarity(fast_tweets.polarity, model.fast.shift)[1]
    model.unsure_below = float(np.quantile(confidence, REFINE_SHARE))
    margins = emotion_margin(fast_comments.ekman, model.fast.ekman_thresholds)
    model.emotions_unsure_within = float(np.quantile(margins, REFINE_SHARE))
    if second_opinion is not None:
        opinion = _merge(*_split(second_opinion, len(dev.tweets)))
        # Polarity and emotions each get the weight that reads dev best: the encoder may
        # be the better judge of one and not of the other.
        polarity_scores: dict[float, float] = {}
        emotion_scores: dict[float, float] = {}
        for blend in _BLENDS:
            model.blend = model.emotion_blend = blend
            combined = model.combined(fast, opinion)
            measured = _measure(combined, _decisions(combined, dev, model), dev, model)
            polarity_scores[blend] = measured["polarity_macro_recall"]
            emotion_scores[blend] = measured["ekman_macro_f1"] + measured["emotion_macro_f1"]
        model.blend = max(_BLENDS, key=lambda b: (polarity_scores[b], -abs(b - 0.5)))
        model.emotion_blend = max(_BLENDS, key=lambda b: (emotion_scores[b], -abs(b - 0.5)))
        model.refined = _decisions(model.combined(fast, opinion), dev, model)
        combined = model.combined(fast, opinion)
        report |= {
            f"refined_{k}": v for k, v in _measure(combined, model.refined, dev, model).items()
        }
        report |= {
            f"opinion_{k}": v
            for k, v in _measure(opinion, _decisions(opinion, dev, model), dev, model).items()
        }
        # What reading only the unsure share again gives on dev (each message is unsure
        # by its own polarity and emotions; dev's tweets are judged on polarity, its
        # comments on Ekman groups).
        tweets_unsure, comments_unsure = model.unsure(fast_tweets), model.unsure(fast_comments)
        chosen = np.where(
            tweets_unsure,
            decide_polarity(combined.polarity, model.refined.shift)[0],
            decide_polarity(fast_tweets.polarity, model.fast.shift)[0],
        )
        mixed = np.where(
            comments_unsure[:, None],
            combined.ekman >= model.refined.ekman_thresholds,
            fast_comments.ekman >= model.fast.ekman_thresholds,
        )
        report["unsure_share_tweets"] = float(tweets_unsure.mean())
        report["unsure_share_comments"] = float(comments_unsure.mean())
        report["blend"], report["emotion_blend"] = model.blend, model.emotion_blend
        report["refined_unsure_only_polarity_macro_recall"] = macro_recall(truth, chosen)
        report["refined_unsure_only_ekman_macro_f1"] = float(
            f1_score(
                _indicator(dev.ekman, model.ekman_labels), mixed, average="macro", zero_division=0
            )
        )
    return FeelingsTraining(FeelingsModel.from_bytes(model.to_bytes()), report)


def _nb_lr(x: csr_matrix, y: NDArray[np.int64]) -> tuple[NDArray[np.float64], float]:
    ratio = nb_ratios(x, y)
    fit = LogisticRegression(C=EMOTION_REGULARISATION, max_iter=2000).fit(
        x.multiply(ratio).tocsr(), y
    )
    return fit.coef_.ravel() * ratio, float(fit.intercept_[0])
