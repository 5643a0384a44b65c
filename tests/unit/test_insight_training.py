"""Training the feelings model on a few lines of our own: its decisions, and what makes a
reading unsure, are chosen on dev."""

from __future__ import annotations

import numpy as np

from warmline.domain.insight.message_text import feelings_text
from warmline.models.feelings import FeelingsModel, Scores, emotion_margin
from warmline.training.feelings import REFINE_SHARE, FeelingsData, train_feelings_model

EMOTIONS = ("annoyance", "gratitude", "neutral")
EKMAN = ("anger", "joy", "neutral")
TWEETS = [
    ("the app crashed again and nobody answers", "negative"),
    ("still waiting for my refund, awful", "negative"),
    ("my card was declined twice today, terrible", "negative"),
    ("the branch opens at nine tomorrow", "neutral"),
    ("I moved house last week", "neutral"),
    ("the statement arrives on the first", "neutral"),
    ("thank you, brilliant help today", "positive"),
    ("lovely staff, sorted it quickly", "positive"),
    ("great service, really happy", "positive"),
]
COMMENTS = [
    ("this is so annoying, again", {"annoyance"}, {"anger"}),
    ("ugh, still broken, annoying", {"annoyance"}, {"anger"}),
    ("thanks so much, that helped", {"gratitude"}, {"joy"}),
    ("thank you, really kind", {"gratitude"}, {"joy"}),
    ("the meeting is on tuesday", {"neutral"}, {"neutral"}),
    ("I read it yesterday", {"neutral"}, {"neutral"}),
]


def data(copies: int) -> FeelingsData:
    tweets = TWEETS * copies
    comments = COMMENTS * copies
    return FeelingsData(
        [t for t, _ in tweets],
        [y for _, y in tweets],
        [c for c, _, _ in comments],
        [frozenset(e) for _, e, _ in comments],
        [frozenset(k) for _, _, k in comments],
    )


def opinion(dev: FeelingsData) -> Scores:
    """A second opinion that knows the answers (tweets first, then comments)."""
    rows = len(dev.tweets) + len(dev.comments)
    polarity = np.full((rows, 3), 1 / 3, np.float32)
    for i, y in enumerate(dev.polarity):
        polarity[i] = 0.1
        polarity[i, ("negative", "neutral", "positive").index(y)] = 0.8
    emotions = np.full((rows, len(EMOTIONS)), 0.1, np.float32)
    ekman = np.full((rows, len(EKMAN)), 0.1, np.float32)
    for j, (found, groups) in enumerate(zip(dev.emotions, dev.ekman, strict=True)):
        row = len(dev.tweets) + j
        emotions[row, [EMOTIONS.index(e) for e in found]] = 0.9
        ekman[row, [EKMAN.index(k) for k in groups]] = 0.9
    return Scores(polarity, emotions, ekman)


def test_what_makes_a_reading_unsure_is_chosen_on_dev() -> None:
    train, dev = data(4), data(2)
    trained = train_feelings_model(
        train, dev, EMOTIONS, EKMAN, second_opinion=opinion(dev), min_df=1
    )
    model = trained.model
    assert model.unsure_below > 0 and model.emotions_unsure_within > 0
    # The emotion cut is the REFINE_SHARE quantile of dev comments' distance to a threshold.
    fast = model.scores([feelings_text(c).text for c in dev.comments])
    margins = emotion_margin(fast.ekman, model.fast.ekman_thresholds)
    assert np.isclose(np.quantile(margins, REFINE_SHARE), model.emotions_unsure_within, atol=1e-4)
    # Each of dev's two kinds is judged with its own unsure share, both reported.
    for key in ("unsure_share_tweets", "unsure_share_comments"):
        assert 0.0 < trained.dev[key] <= 1.0, key
    assert 0.0 <= trained.dev["refined_unsure_only_ekman_macro_f1"] <= 1.0
    # It survives the model file.
    again = FeelingsModel.from_bytes(model.to_bytes())
    assert again.emotions_unsure_within == model.emotions_unsure_within
