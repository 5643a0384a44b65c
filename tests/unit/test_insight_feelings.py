"""The fast reading of a message: label, confidence, emotions, frustration, language; and
the bad input every contact centre sees."""

from __future__ import annotations

import numpy as np
import pytest

from warmline.domain.insight.message_text import MAX_CHARS, feelings_text, prepare
from warmline.domain.insight.readings import POLARITY, MessageInsight
from warmline.models.feelings import (
    FEELINGS_FILE,
    POSITIVE_EMOTIONS,
    FeelingsModel,
    analyse_messages,
    decide_polarity,
    default_feelings_model,
    emotion_margin,
)
from warmline.models.files import ModelFileError, pack, shipped


def one(text: str) -> MessageInsight:
    return analyse_messages([text])[0]


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_messages_have_no_feelings(text: str) -> None:
    insight = one(text)
    assert insight.empty and not insight.supported
    assert insight.emotions == () and insight.emotion == "unknown"
    assert (insight.label, insight.confidence, insight.sentiment) == ("neutral", 0.0, 0.0)
    assert insight.frustration == 0.0 and insight.language is None


def test_every_message_gets_a_label_with_its_confidence() -> None:
    found = analyse_messages(
        [
            "Thank you so much, that's sorted it, you've been brilliant",
            "Could you tell me the opening hours of the Leeds branch?",
            "This is absolutely ridiculous, I'm furious with how I've been treated",
        ]
    )
    assert [i.label for i in found] == ["positive", "neutral", "negative"]
    for insight in found:
        assert insight.label in POLARITY and 0.34 < insight.confidence <= 1.0
        assert insight.supported and insight.language == "en" and insight.reading == "fast"


def test_customer_frustration_said_flatly_is_read() -> None:
    flat = one("This is the third time I'm asking about my refund and I'm still waiting.")
    assert flat.label == "negative" and flat.frustration >= 0.5
    assert "third time" in flat.frustration_words and "still waiting" in flat.frustration_words
    assert one("Is the Leeds branch still open on Saturdays?").frustration < 0.5


def test_the_issue_examples_read_as_their_customers_mean_them() -> None:
    furious = one("I am furious, my flight was cancelled again")
    assert furious.label == "negative" and furious.sentiment < 0
    assert furious.frustration >= 0.5 and {"furious", "again"} <= set(furious.frustration_words)
    # No emotion of the other valence on a clearly negative message.
    assert not POSITIVE_EMOTIONS & {label for label, _ in furious.emotions}
    passed = one("I've been passed around three times now and nobody can fix this")
    assert passed.label == "negative" and passed.frustration >= 0.5
    pump = one("Can you just remove it? I'm stuck at the pump.")
    assert pump.emotion not in {"surprise", "joy", "gratitude"}
    resigned = one("Fine, I'll call. Please make sure they know about this.")
    assert resigned.label != "positive" and resigned.frustration >= 0.5


def test_emotions_are_goemotions_labels_with_confidences_over_their_line() -> None:
    model = default_feelings_model()
    assert {"annoyance", "disappointment", "gratitude", "relief", "confusion"} <= set(
        model.emotions
    )
    for insight in analyse_messages(["thanks so much!", "I'm so disappointed in you", "hmm"]):
        labels = [label for label, _ in insight.emotions]
        assert set(labels) <= set(model.emotions) and len(set(labels)) == len(labels)
        assert all(0.5 <= p <= 1.0 for _, p in insight.emotions)
        assert -1.0 <= insight.sentiment <= 1.0
    assert one("thanks so much, really appreciate it").emotion == "gratitude"


def test_emoji_only_messages_are_read_through_their_names() -> None:
    thumbs, angry = analyse_messages(["👍", "😡😡😡"])
    assert thumbs.emoji_only and thumbs.supported and thumbs.language is None
    assert thumbs.label == "positive"
    assert angry.emoji_only and angry.label == "negative"
    assert not one("thanks 👍").emoji_only


def test_other_languages_are_unsupported_not_guessed() -> None:
    french = one("Bonjour, ma carte bancaire ne fonctionne plus depuis hier soir")
    assert french.language == "fr" and not french.supported
    assert french.emotions == () and (french.label, french.confidence) == ("neutral", 0.0)


def test_mixed_language_and_short_english_are_english() -> None:
    mixed = one("Hola, my card got declined yesterday at the shop and I am stuck")
    assert mixed.language == "en" and mixed.label == "negative"
    assert one("ok").language == "en" and one("cheers").supported


def test_all_caps_is_read_like_lower_case_and_counts_as_shouting() -> None:
    shouted = one("WHY IS MY CARD BLOCKED AGAIN, THIS IS A JOKE")
    assert shouted.label == "negative" and shouted.frustration >= 0.5
    assert one("why is my card blocked again, this is a joke").label == "negative"


def test_quoted_agent_text_is_not_the_customers_feeling() -> None:
    quoted = one(
        "It has been ten days and nothing.\n"
        "> Thank you so much for your patience, we are delighted to help!"
    )
    assert feelings_text("ok\n> quoted").text == "ok"
    assert quoted.label == "negative" and "gratitude" not in dict(quoted.emotions)
    reply = one("Still no card.\n\nOn 3 Dec 2026, Acme Bank wrote:\nGreat news, it is on its way!")
    assert reply.label == "negative"


def test_long_messages_are_read_up_to_a_bound() -> None:
    long = "I am so angry about this, nobody ever calls me back. " * 400
    assert len(long) > 20_000
    insight = one(long)
    assert insight.truncated and insight.label == "negative" and insight.frustration >= 0.5
    assert len(prepare(long).text) == MAX_CHARS
    assert not one("short and sweet").truncated


def test_sarcasm_is_read_literally_a_known_limit() -> None:
    # Praise words in a complaint read as praise; only the cue "again" hints at it.
    insight = one("great, declined again, just brilliant")
    assert insight.label == "positive"
    assert "again" not in insight.frustration_words or insight.frustration < 0.9


@pytest.mark.parametrize(
    "text",
    [
        "I am not happy with this service",
        "not impressed at all with how this was handled",
        "the new app doesn't work and I don't like it",
        "your helpline was never helpful, nobody seems to care",
    ],
)
def test_negated_praise_is_not_praise(text: str) -> None:
    # Words after a negator, up to the end of their clause, are their own features.
    insight = one(text)
    assert insight.label == "negative" and insight.sentiment < 0
    assert not POSITIVE_EMOTIONS & {label for label, _ in insight.emotions}


def test_a_negation_reaches_the_end_of_its_clause_only() -> None:
    from warmline.models.ngrams import negated_words

    assert negated_words("i don't like it. great, thanks") == [
        "don",
        "not_like",
        "not_it",
        "great",
        "thanks",
    ]
    assert negated_words("not bad but slow") == ["not", "not_bad", "but", "slow"]
    # "no" is not a negator: "no problem", "no worries" are set phrases.
    assert negated_words("no worries at all") == ["no", "worries", "at", "all"]
    assert one("thanks so much for sorting it").label == "positive"


def test_reassuring_set_phrases_read_literally_a_known_limit() -> None:
    # "no worries", "no problem", "not bad" are read word by word: the words are negative.
    for text in ("no worries", "no problem at all, thanks so much", "not bad at all"):
        assert one(text).label == "negative", text


def test_batch_results_do_not_depend_on_the_batch() -> None:
    texts = ["my card got declined at the till", "", "merci beaucoup", "😡", "thanks!"]
    assert analyse_messages(texts) == [one(text) for text in texts]


def test_unsure_readings_are_marked_for_refinement() -> None:
    model = default_feelings_model()
    found = model.analyse(["thanks so much, you've been brilliant", "hmm ok then"])
    confident, unsure = found
    assert not confident.unsure and confident.confidence >= model.unsure_below
    assert unsure.unsure and unsure.confidence < model.unsure_below


def test_an_emotion_near_its_threshold_makes_a_sure_polarity_unsure() -> None:
    import copy

    text = "thanks so much, you've been brilliant"
    model = copy.copy(default_feelings_model())
    scores = model.scores([feelings_text(text).text])
    assert decide_polarity(scores.polarity, model.fast.shift)[1][0] >= model.unsure_below
    margin = float(emotion_margin(scores.ekman, model.fast.ekman_thresholds)[0])
    model.emotions_unsure_within = margin * 1.01 + 1e-3
    assert model.analyse([text])[0].unsure
    model.emotions_unsure_within = margin * 0.99
    assert not model.analyse([text])[0].unsure
    # Off (an older model file): only the polarity decides.
    model.emotions_unsure_within = 0.0
    assert not model.analyse([text])[0].unsure


def test_model_round_trips_through_bytes() -> None:
    model = default_feelings_model()
    again = FeelingsModel.from_bytes(model.to_bytes())
    texts = ["I can't believe this happened again", "lovely, thank you"]
    assert again.analyse(texts) == model.analyse(texts)
    np.testing.assert_array_equal(again.fast.thresholds, model.fast.thresholds)
    assert again.unsure_below == model.unsure_below and again.blend == model.blend
    assert again.emotion_blend == model.emotion_blend
    assert again.emotions_unsure_within == model.emotions_unsure_within


def test_shipped_model_is_small_and_refuses_other_files() -> None:
    assert len(shipped(FEELINGS_FILE)) < 5_000_000
    with pytest.raises(ModelFileError):
        FeelingsModel.from_bytes(pack("something.else", {}, {}))
    with pytest.raises(ModelFileError):
        FeelingsModel.from_bytes(b"not a model")


def test_the_refined_reading_averages_the_second_opinion_in() -> None:
    from tests.factories import SteadyOpinion

    model = default_feelings_model()
    texts = ["hmm ok then", "thanks so much, you've been brilliant", ""]
    fast = model.analyse(texts)
    refined = model.refine(texts, SteadyOpinion())
    assert [i.reading for i in refined[:2]] == ["refined", "refined"]
    # Still marked by what the fast reading was unsure of; the sentiment moves towards the
    # opinion's (mildly positive) reading by the blend weight.
    assert [i.unsure for i in refined] == [i.unsure for i in fast]
    expected = (1 - model.blend) * fast[0].sentiment + model.blend * 0.3
    assert abs(refined[0].sentiment - expected) < 0.01
    assert not refined[2].supported and refined[2].label == "neutral"


def test_polarity_and_emotions_are_blended_each_with_its_own_weight() -> None:
    from tests.factories import SteadyOpinion

    model = FeelingsModel.from_bytes(default_feelings_model().to_bytes())
    model.blend, model.emotion_blend = 0.5, 0.0
    prepared = ["i can't believe this happened again"]
    fast = model.scores(prepared)
    combined = model.combined(fast, SteadyOpinion().scores(prepared))
    # The opinion reads no emotion: with no weight for emotions they stay the fast ones.
    np.testing.assert_allclose(combined.emotions, fast.emotions)
    np.testing.assert_allclose(
        combined.polarity, 0.5 * fast.polarity + 0.5 * np.array([0.2, 0.3, 0.5])
    )


def test_words_that_show_frustration_are_never_read_as_neutral_or_pleased() -> None:
    model = default_feelings_model()
    resigned = "Fine, I'll call. Please make sure they know about this."
    found = model.analyse([resigned, "third time asking", "thanks, that's sorted it"])
    for reading in found[:2]:
        assert reading.frustration >= 0.5 and reading.frustration_words
        assert reading.label == "negative" and reading.sentiment < 0
        assert reading.confidence >= reading.frustration
        assert not {"approval", "joy", "admiration"} & {e for e, _ in reading.emotions}
    # Gratitude is not frustration.
    assert found[2].label == "positive" and found[2].frustration < 0.5
