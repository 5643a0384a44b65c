"""Training the feelings model on made-up texts: its decisions, and what makes a reading
unsure, are chosen on dev. The texts are generated here from a few cue words and filler
(no data set's rows): enough for the training to run end to end, not to read anything."""

from __future__ import annotations

import itertools

import numpy as np

from warmline.domain.insight.message_text import feelings_text
from warmline.models.feelings import FeelingsModel, Scores, emotion_margin
from warmline.training.feelings import REFINE_SHARE, FeelingsData, train_feelings_model

EMOTIONS = ("annoyance", "gratitude", "neutral")
EKMAN = ("anger", "joy", "neutral")
#: Cue words per class, and filler words they are mixed with.
POLARITY_CUES = {
    "negative": ("awful", "broken"),
    "neutral": ("tuesday", "form"),
    "positive": ("lovely", "brilliant"),
}
EMOTION_CUES = {
    "annoyance": ("ugh", "annoying"),
    "gratitude": ("thanks", "grateful"),
    "neutral": ("meeting", "noon"),
}
EKMAN_OF = {"annoyance": "anger", "gratitude": "joy", "neutral": "neutral"}
FILLER = ("alpha", "bravo", "charlie", "delta")


def made_up(cues: tuple[str, ...], copies: int) -> list[str]:
    pairs = itertools.islice(itertools.cycle(itertools.product(cues, FILLER)), copies * 3)
    return [f"{cue} {filler} {cue}" for cue, filler in pairs]


def data(copies: int) -> FeelingsData:
    tweets = [(t, y) for y, cues in POLARITY_CUES.items() for t in made_up(cues, copies)]
    comments = [(c, e) for e, cues in EMOTION_CUES.items() for c in made_up(cues, copies)]
    return FeelingsData(
        [t for t, _ in tweets],
        [y for _, y in tweets],
        [c for c, _ in comments],
        [frozenset({e}) for _, e in comments],
        [frozenset({EKMAN_OF[e]}) for _, e in comments],
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
