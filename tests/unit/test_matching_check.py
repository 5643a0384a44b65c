from __future__ import annotations

from warmline.domain.identity.matching import DEFAULT_MODEL, DEFAULT_THRESHOLDS
from warmline.domain.identity.matching.model import build_model
from warmline.training.matching import train
from warmline.training.matching_check import CheckFigures, check_pairs, evaluate, worse

from .matching_people import make_people

PEOPLE = make_people(2000, duplicate_share=0.3)
RECORDS = list(PEOPLE.records.values())


def test_check_pairs_are_the_same_person_a_relative_a_namesake_and_a_neighbour() -> None:
    pairs = check_pairs(RECORDS, seed=3)
    kinds = {p.kind for p in pairs}
    assert kinds == {"same person", "relative", "namesake", "neighbour"}
    assert all(p.same == (p.kind == "same person") for p in pairs)
    assert check_pairs(RECORDS, seed=3) == pairs  # deterministic for a seed
    # A relative is never written with the same first name, nor a nickname of it.
    for pair in pairs:
        if pair.kind == "relative":
            assert pair.left.first_forms.isdisjoint(pair.right.first_forms)


def test_a_model_that_would_link_or_ask_about_strangers_is_worse() -> None:
    pairs = check_pairs(RECORDS)
    shipped = evaluate(DEFAULT_MODEL, DEFAULT_THRESHOLDS, pairs)
    assert shipped.precision > 0.99 and worse(shipped, shipped) == []
    # A model to which a shared postcode and surname are proof links neighbours...
    values = {f.name: {lv.name: (lv.m, lv.u) for lv in f.levels} for f in DEFAULT_MODEL.fields}
    values["postcode"]["exact"] = (0.99, 1e-9)
    values["last_name"]["exact"] = (0.99, 1e-9)
    careless = evaluate(build_model(values, prior=0.01), DEFAULT_THRESHOLDS, pairs)
    assert worse(careless, shipped)[0].startswith("its links are less precise")
    # ...one to which a shared surname is most of the proof asks about every namesake...
    values = {f.name: {lv.name: (lv.m, lv.u) for lv in f.levels} for f in DEFAULT_MODEL.fields}
    values["last_name"]["exact"] = (0.99, 1e-5)
    chatty = evaluate(build_model(values, prior=DEFAULT_MODEL.prior), DEFAULT_THRESHOLDS, pairs)
    why = worse(chatty, shipped)
    assert len(why) == 1 and why[0].startswith("it would ask a person about")
    assert chatty.true_suggestions / chatty.suggestions < 0.5
    # ...and one learned from the records themselves passes.
    trained = evaluate(train(RECORDS, seed=7), DEFAULT_THRESHOLDS, pairs)
    assert trained.precision >= shipped.precision and worse(trained, shipped) == []


def test_more_questions_about_different_people_are_worse_beyond_a_floor_and_a_growth() -> None:
    current = CheckFigures(1000, 500, 0, 10, 8, 0.5)
    assert worse(CheckFigures(1000, 500, 0, 19, 10, 0.5), current) == []  # 9 wasted: under 10
    assert worse(CheckFigures(1000, 500, 0, 200, 200, 0.9), current) == []  # all one person
    longer = worse(CheckFigures(1000, 500, 0, 60, 10, 0.5), current)
    assert longer == [
        "it would ask a person about 50.0 pairs of different people per 1,000, against 2.0"
    ]
    assert "precision 1.0000" in current.describe()


def test_a_relative_never_holds_ones_own_mobile_nor_a_name_an_initial_fits() -> None:
    import random

    from warmline.domain.identity.matching import record_from
    from warmline.training.matching_check import _relative

    record = record_from(
        {"name": "A Okafor", "date_of_birth": "1980-02-01", "postcode": "LS6 2QT"},
        [("phone", "+447911123456", False), ("phone", "+441134960000", False)],
    )
    rng = random.Random(3)
    for _ in range(50):
        relative = _relative(record, ["aaron", "abigail", "brian", "carol"], rng)
        if relative is None:
            continue
        # The household's landline, never her mobile; never a name "A" may stand for.
        assert relative.phones == ("+441134960000",)
        assert relative.first_name in ("brian", "carol")
