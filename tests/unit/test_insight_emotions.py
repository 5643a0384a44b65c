from __future__ import annotations

import numpy as np
import pytest

from warmline.domain.insight.message_text import MAX_CHARS, prepare
from warmline.models.emotions import (
    EMOTION_FILE,
    EmotionModel,
    MessageInsight,
    analyse_messages,
    default_emotion_model,
)
from warmline.models.files import ModelFileError, pack, shipped

EKMAN = {"anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"}


def one(text: str) -> MessageInsight:
    return analyse_messages([text])[0]


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_messages_have_no_feelings(text: str) -> None:
    insight = one(text)
    assert insight.empty
    assert insight.emotions == ()
    assert insight.emotion == "unknown"
    assert insight.sentiment == 0.0
    assert insight.language is None
    assert not insight.supported


def test_clear_feelings_are_recognised() -> None:
    scared, grateful, furious = analyse_messages(
        [
            "I'm really scared someone has stolen my money",
            "Thank you very much, you have been brilliant, I really appreciate it",
            "This is absolutely ridiculous, I am furious with how I've been treated",
        ]
    )
    assert scared.emotion == "fear" and scared.sentiment < 0
    assert grateful.emotion == "joy" and grateful.sentiment > 0.5
    assert furious.emotion == "anger" and furious.sentiment < 0
    assert all(i.language == "en" and i.supported for i in (scared, grateful, furious))


def test_labels_sentiment_and_order_are_well_formed() -> None:
    for insight in analyse_messages(["ok thanks", "why was my card refused just now??", "hmm"]):
        labels = [label for label, _ in insight.emotions]
        assert labels and set(labels) <= EKMAN and len(set(labels)) == len(labels)
        assert all(0.0 <= p <= 1.0 for _, p in insight.emotions)
        assert -1.0 <= insight.sentiment <= 1.0


def test_emoji_only_messages_are_read_through_their_names() -> None:
    thumbs, hearts = analyse_messages(["👍", "❤️❤️"])
    assert thumbs.emoji_only and thumbs.supported and thumbs.language is None
    assert thumbs.sentiment > 0 and thumbs.emotion == "joy"
    assert hearts.emoji_only and hearts.sentiment > 0
    assert not one("thanks 👍").emoji_only


def test_other_languages_are_unsupported_not_guessed() -> None:
    french = one("Bonjour, ma carte bancaire ne fonctionne plus depuis hier soir")
    assert french.language == "fr"
    assert not french.supported
    assert french.emotions == () and french.emotion == "unknown"
    assert french.sentiment == 0.0


def test_mixed_language_and_short_english_are_english() -> None:
    assert one("Hola, my card got declined yesterday at the shop").language == "en"
    assert one("ok").language == "en"
    assert one("cheers").supported


def test_gibberish_has_no_language_and_no_feelings() -> None:
    insight = one("asdf qwzx")
    assert insight.language is None
    assert not insight.supported and insight.emotions == ()


def test_long_messages_are_read_up_to_a_bound() -> None:
    long = "I am so angry about this. " * 400
    insight = one(long)
    assert insight.truncated and insight.emotion == "anger"
    assert len(prepare(long).text) == MAX_CHARS
    assert not one("short and sweet").truncated


def test_sarcasm_is_read_literally_a_known_limit() -> None:
    # The model reads words, not intent: praise words in a complaint come out positive.
    insight = one("great, declined again, just brilliant")
    assert insight.sentiment > 0


def test_batch_results_do_not_depend_on_the_batch() -> None:
    texts = ["my card got declined at the till", "", "merci beaucoup", "😡", "thanks!"]
    together = analyse_messages(texts)
    assert together == [one(text) for text in texts]


def test_model_round_trips_through_bytes() -> None:
    model = default_emotion_model()
    again = EmotionModel.from_bytes(model.to_bytes())
    texts = ["I can't believe this happened again", "lovely, thank you"]
    assert again.analyse(texts) == model.analyse(texts)
    np.testing.assert_array_equal(again.thresholds, model.thresholds)


def test_shipped_model_is_small_and_refuses_other_files() -> None:
    assert len(shipped(EMOTION_FILE)) < 4_000_000
    with pytest.raises(ModelFileError):
        EmotionModel.from_bytes(pack("something.else", {}, {}))
    with pytest.raises(ModelFileError):
        EmotionModel.from_bytes(b"not a model")
