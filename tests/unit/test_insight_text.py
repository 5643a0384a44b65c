from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from warmline.domain.insight.message_text import prepare, words
from warmline.models.files import array_text, pack, text_array, unpack
from warmline.models.language import detect_language
from warmline.models.ngrams import NgramFeatures

CORPUS = [
    "my card got declined at the shop",
    "card declined again, second time this week",
    "has my replacement card been posted?",
    "i want to cancel a transfer",
    "the transfer to my sister has not arrived",
    "cancel my card please",
]


def test_prepare_names_emoji_and_keeps_plain_text() -> None:
    prepared = prepare("Thanks 😊")
    assert prepared.text == "thanks  smiling face with smiling eyes "
    assert not prepared.emoji_only and prepared.has_letters
    assert prepare("👍🏽").emoji_only  # a skin-tone modifier is part of the emoji
    assert prepare("Hello").text == "hello"
    assert words("can't stop, won't stop 42") == ["can", "stop", "won", "stop", "42"]


def test_features_match_scikit_learn_tfidf() -> None:
    ours = NgramFeatures.fit(CORPUS, min_df=1)
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(CORPUS)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(CORPUS)
    assert ours.word_vocab == sorted(word.vocabulary_)
    assert ours.char_vocab == sorted(char.vocabulary_)
    texts = [*CORPUS, "declined declined card", "nothing known here zzz"]
    got = ours.transform(texts).toarray()
    w = word.transform(texts).toarray()[:, np.argsort(word.get_feature_names_out())]
    c = char.transform(texts).toarray()[:, np.argsort(char.get_feature_names_out())]
    np.testing.assert_allclose(got, np.hstack([w, c]), atol=1e-6)


def test_min_df_prunes_rare_ngrams_and_unknown_text_gives_an_empty_row() -> None:
    features = NgramFeatures.fit(CORPUS, min_df=2)
    assert "card" in features.word_vocab and "sister" not in features.word_vocab
    assert features.transform(["qqqq"]).nnz == 0
    assert features.transform([]).shape == (0, features.size)
    again = NgramFeatures.from_arrays(features.to_arrays("x_"), "x_")
    assert (again.transform(CORPUS) != features.transform(CORPUS)).nnz == 0


def test_model_files_hold_text_and_numbers() -> None:
    data = pack("demo", {"version": 3}, {"names": text_array(["à", "b c"]), "w": np.ones(2)})
    header, arrays = unpack("demo", data)
    assert header == {"kind": "demo", "version": 3}
    assert array_text(arrays["names"]) == ["à", "b c"]


def test_language_detection() -> None:
    english = {"my", "card", "was", "declined", "ok", "thanks"}
    assert detect_language("ok", ["ok"], english) == "en"
    assert detect_language("4417", ["4417"], english) is None
    text = "Meine Karte wurde gestern im Geschäft abgelehnt, was soll ich tun?"
    assert detect_language(text.lower(), words(text.lower()), english) == "de"


def test_pleasantries_around_a_message_are_manners_not_feeling() -> None:
    from warmline.domain.insight.message_text import feelings_text
    from warmline.domain.insight.message_text import without_pleasantries as bare

    assert bare("Good morning. My refund is late again") == "My refund is late again"
    assert bare("hi there, card blocked") == "card blocked"
    assert bare("Hey can you help") == "can you help"
    # A greeting alone, or one word after it, stays; so do words that only start like one.
    assert bare("Hello!") == "Hello!"
    assert bare("hello world") == "hello world"
    assert bare("Highway closed today") == "Highway closed today"
    assert feelings_text("Good afternoon, still waiting").text == "still waiting"
    # Thanks that signs off a message goes; thanks that is the point stays.
    assert bare("Hi, the app logs me out again, thanks!") == "the app logs me out again"
    assert bare("my card is blocked. Thank you") == "my card is blocked"
    assert (
        bare("it is all sorted now, thank you so much!")
        == "it is all sorted now, thank you so much!"
    )
    assert bare("thanks so much, all sorted") == "thanks so much, all sorted"
    assert bare("that's great, thanks") == "that's great, thanks"


def test_negated_features_round_trip_and_stay_off_for_other_models() -> None:
    negated = NgramFeatures.fit(["not good at all", "good"], min_df=1, negation=True)
    assert "not_good" in negated.word_vocab and "good" in negated.word_vocab
    again = NgramFeatures.from_arrays(negated.to_arrays("f_"), "f_")
    assert again.negation and again.word_vocab == negated.word_vocab
    plain = NgramFeatures.fit(["not good at all"], min_df=1)
    assert "not_good" not in plain.word_vocab and not plain.negation
