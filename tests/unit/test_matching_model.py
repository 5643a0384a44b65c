from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from warmline.domain.identity.matching.model import (
    DEFAULT_MODEL,
    FIELD_LEVELS,
    FIELDS,
    Level,
    MatchModel,
    build_model,
    probability,
    weight_of,
)


def test_weights_are_log2_of_m_over_u() -> None:
    assert Level("exact", 0.9, 0.01).weight == pytest.approx(math.log2(90))
    assert DEFAULT_MODEL.prior_weight == pytest.approx(math.log2(1e-4 / (1 - 1e-4)))
    exact = DEFAULT_MODEL.field_model("date_of_birth").level("exact")
    assert DEFAULT_MODEL.weights[FIELDS.index("date_of_birth")][0] == exact.weight


def test_probability_and_weight_are_inverse() -> None:
    for p in (0.001, 0.5, 0.99, 0.999):
        assert probability(weight_of(p)) == pytest.approx(p)
    assert probability(0.0) == 0.5
    assert probability(100.0) == 1.0 and probability(-100.0) == 0.0


def test_the_default_model_orders_agreement_above_disagreement() -> None:
    # Swapped names are one agreement of both names, so they weigh about what two
    # exact names do together, more than one alone.
    first, last = DEFAULT_MODEL.field_model("first_name"), DEFAULT_MODEL.field_model("last_name")
    both = first.level("exact").weight + last.level("exact").weight
    assert first.level("exact").weight < first.level("swapped").weight <= both
    for field in DEFAULT_MODEL.fields:
        weights = [level.weight for level in field.levels if level.name != "swapped"]
        assert weights[0] == max(weights), field.name  # exact is the strongest
        if len(weights) > 1:
            assert weights[-1] < 0, field.name  # disagreement is evidence against


def test_json_round_trip_keeps_values_and_metadata() -> None:
    trained = build_model(
        {f: dict.fromkeys(levels, (0.5, 0.25)) for f, levels in FIELD_LEVELS.items()},
        prior=0.001,
        trained_at=dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC),
        records=5000,
        pairs=120_000,
    )
    for model in (DEFAULT_MODEL, trained):
        data = json.loads(json.dumps(model.to_json()))
        assert MatchModel.from_json(data) == model
    assert trained.to_json()["trained_at"] == "2026-11-22T09:00:00+00:00"
    assert DEFAULT_MODEL.to_json()["trained_at"] is None


def test_a_model_with_other_fields_or_levels_is_refused() -> None:
    data = DEFAULT_MODEL.to_json()
    del data["fields"]["phone"]
    with pytest.raises(ValueError, match="other fields"):
        MatchModel.from_json(data)
    data = DEFAULT_MODEL.to_json()
    data["fields"]["phone"] = {"exact": {"m": 0.5, "u": 0.1}, "close": {"m": 0.5, "u": 0.9}}
    with pytest.raises(KeyError):
        MatchModel.from_json(data)
    with pytest.raises(ValueError, match="version"):
        MatchModel.from_json({**DEFAULT_MODEL.to_json(), "v": 0})


def test_probabilities_and_times_are_checked() -> None:
    values = {f: dict.fromkeys(levels, (0.5, 0.25)) for f, levels in FIELD_LEVELS.items()}
    with pytest.raises(ValueError, match="prior"):
        build_model(values, prior=1.0)
    values["phone"]["exact"] = (0.0, 0.1)
    with pytest.raises(ValueError, match=r"phone\.exact"):
        build_model(values, prior=0.1)
    values["phone"]["exact"] = (0.5, 0.1)
    with pytest.raises(ValueError, match="timezone"):
        build_model(values, prior=0.1, trained_at=dt.datetime(2026, 1, 1))  # noqa: DTZ001
