"""The Fellegi-Sunter model: per field, comparison levels with their m and u probabilities.

``m`` is how often a level is seen when two records are the same person, ``u``
how often when they are not; a level's match weight is ``log2(m / u)`` bits,
and a pair's total weight is the prior's log-odds plus the weights of its
levels (a field unknown on either side adds nothing). Which fields and levels
exist is fixed by :data:`FIELD_LEVELS` (the comparison code in
:mod:`warmline.domain.identity.matching.scoring` produces them); the probabilities are
learned by :func:`warmline.training.matching.train` or come from
:data:`DEFAULT_MODEL`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Bump when the JSON shape changes.
JSON_VERSION = 1

#: Fields in comparison order, each with its levels from agreement to disagreement.
#: "swapped" (first and last names crosswise) is scored on the first name alone, the
#: last name then adding nothing: it is one joint agreement of both names.
FIELD_LEVELS: dict[str, tuple[str, ...]] = {
    "first_name": ("exact", "nickname", "swapped", "close", "similar", "different"),
    "last_name": ("exact", "close", "similar", "different"),
    "date_of_birth": ("exact", "typo", "day_month_swapped", "same_year", "different"),
    "street_number": ("exact", "different"),
    "street": ("exact", "close", "similar", "different"),
    "locality": ("exact", "close", "similar", "different"),
    "postcode": ("exact", "typo", "area", "different"),
    # The street and town again, scored instead of the two above when the postcodes
    # agree: against how often different people with one postcode share them (nearly
    # always where a postcode is a street, seldom where it is a whole suburb).
    "street_within_postcode": ("exact", "close", "similar", "different"),
    "locality_within_postcode": ("exact", "close", "similar", "different"),
    "email": ("exact", "different"),
    "phone": ("exact", "different"),
    "national_id": ("exact", "typo", "different"),
    "other_identifier": ("exact",),
}
FIELDS = tuple(FIELD_LEVELS)
#: Smallest probability a trained m or u may take: keeps every weight finite.
MIN_PROBABILITY = 1e-6
#: Fields whose exact agreement is weighed by how common the value is (term-frequency
#: adjustment, as splink does): two Smiths agree less than two Okafors, two records in a
#: postcode of a thousand households less than two in a postcode of ten.
TF_FIELDS = ("first_name", "last_name", "postcode")
#: Most bits a term frequency may add to or take from an exact agreement.
MAX_TF_BITS = 8.0


@dataclass(frozen=True, slots=True)
class Level:
    """One comparison level of a field, with its m and u probabilities."""

    name: str
    m: float
    u: float

    @property
    def weight(self) -> float:
        """The level's match weight in bits: ``log2(m / u)``."""
        return math.log2(self.m / self.u)


@dataclass(frozen=True, slots=True)
class FieldModel:
    """The levels of one field, in :data:`FIELD_LEVELS` order."""

    name: str
    levels: tuple[Level, ...]

    def level(self, name: str) -> Level:
        """The level called ``name`` (KeyError if the field has none)."""
        for level in self.levels:
            if level.name == name:
                return level
        raise KeyError(f"{self.name} has no level {name!r}")


@dataclass(frozen=True, slots=True)
class MatchModel:
    """m and u per field and level, the prior, and what the model was trained on.

    ``prior`` (lambda) is the probability that two records drawn at random are the
    same person. ``trained_at`` is None for the shipped default; ``records`` and
    ``pairs`` are the data size training saw (records, and compared pairs).
    """

    fields: tuple[FieldModel, ...]
    prior: float
    trained_at: dt.datetime | None = None
    records: int = 0
    pairs: int = 0
    #: Per :data:`TF_FIELDS` field, the share of records (that know it) holding each common
    #: value; a value not listed is as rare as ``rare[field]``. Empty: no adjustment (the
    #: shipped default knows no memory's values).
    frequencies: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    rare: Mapping[str, float] = field(default_factory=dict)
    #: Derived: weight of level ``j`` of field ``i`` at ``weights[i][j]``, in FIELDS order.
    weights: tuple[tuple[float, ...], ...] = field(init=False, repr=False, compare=False)
    #: Derived: the prior as a match weight in bits, ``log2(prior / (1 - prior))``.
    prior_weight: float = field(init=False, repr=False, compare=False)
    #: Derived: ``weights`` with a 0.0 appended to each field's row, so that level -1
    #: (unknown on a side) looks up "no evidence" without a test.
    lookup: tuple[tuple[float, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = tuple(f.name for f in self.fields)
        if names != FIELDS:
            raise ValueError(f"a match model needs the fields {FIELDS}, got {names}")
        for field_model in self.fields:
            expected = FIELD_LEVELS[field_model.name]
            got = tuple(level.name for level in field_model.levels)
            if got != expected:
                raise ValueError(f"{field_model.name} needs the levels {expected}, got {got}")
            for level in field_model.levels:
                if not (0 < level.m <= 1 and 0 < level.u <= 1):
                    raise ValueError(f"{field_model.name}.{level.name}: m and u must be in (0, 1]")
        if not 0 < self.prior < 1:
            raise ValueError("prior must be between 0 and 1")
        if self.trained_at is not None and self.trained_at.utcoffset() is None:
            raise ValueError("trained_at must be timezone-aware (UTC)")
        for name, table in self.frequencies.items():
            if name not in TF_FIELDS or not 0 < self.rare.get(name, 0) <= 1:
                raise ValueError(
                    f"term frequencies of {name}: a field in TF_FIELDS, with a rare share"
                )
            if any(not 0 < share <= 1 for share in table.values()):
                raise ValueError(f"term frequencies of {name} must be shares in (0, 1]")
        object.__setattr__(
            self, "weights", tuple(tuple(lv.weight for lv in f.levels) for f in self.fields)
        )
        object.__setattr__(self, "prior_weight", weight_of(self.prior))
        object.__setattr__(self, "lookup", tuple((*row, 0.0) for row in self.weights))

    def field_model(self, name: str) -> FieldModel:
        """The model of field ``name``."""
        return self.fields[FIELDS.index(name)]

    def tf_adjustment(self, name: str, value: str) -> float:
        """Bits to add to an exact agreement on ``value`` of field ``name``:
        ``log2(u / share)``, where u is how often two records agree on the field at all
        and share how often a record holds this value; positive for a rare value."""
        table = self.frequencies.get(name)
        if not table:
            return 0.0
        share = table.get(value) or self.rare[name]
        u = self.fields[FIELDS.index(name)].levels[0].u
        return max(-MAX_TF_BITS, min(MAX_TF_BITS, math.log2(u / share)))

    def to_json(self) -> dict[str, Any]:
        """A plain JSON-able dict of the model."""
        return {
            "v": JSON_VERSION,
            "prior": self.prior,
            "trained_at": self.trained_at.isoformat() if self.trained_at else None,
            "records": self.records,
            "pairs": self.pairs,
            **({"frequencies": self.frequencies, "rare": self.rare} if self.frequencies else {}),
            "fields": {
                f.name: {lv.name: {"m": lv.m, "u": lv.u} for lv in f.levels} for f in self.fields
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MatchModel:
        """Rebuild a model from :meth:`to_json` output.

        ValueError if it is another version or does not have today's fields and levels
        (a model stored by an older Warmline): retrain, or use :data:`DEFAULT_MODEL`.
        """
        if data.get("v") != JSON_VERSION:
            raise ValueError(f"match model JSON version {data.get('v')!r} is not {JSON_VERSION}")
        stored = data["fields"]
        if set(stored) != set(FIELDS):
            raise ValueError("the stored match model has other fields than this Warmline")
        trained = data.get("trained_at")
        return cls(
            fields=tuple(
                FieldModel(
                    name,
                    tuple(_stored_level(stored[name], level) for level in levels),
                )
                for name, levels in FIELD_LEVELS.items()
            ),
            prior=float(data["prior"]),
            trained_at=dt.datetime.fromisoformat(trained) if trained else None,
            records=int(data.get("records", 0)),
            pairs=int(data.get("pairs", 0)),
            frequencies={
                name: {str(v): float(share) for v, share in table.items()}
                for name, table in data.get("frequencies", {}).items()
                if name in TF_FIELDS
            },
            rare={name: float(share) for name, share in data.get("rare", {}).items()},
        )


def _stored_level(stored: Mapping[str, Any], level: str) -> Level:
    return Level(level, float(stored[level]["m"]), float(stored[level]["u"]))


def probability(weight: float) -> float:
    """The match probability of a total match weight in bits."""
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    odds: float = 2.0**weight
    return odds / (1 + odds)


def weight_of(probability: float) -> float:
    """The match weight in bits of a match probability (inverse of :func:`probability`)."""
    return math.log2(probability / (1 - probability))


def build_model(
    values: Mapping[str, Mapping[str, tuple[float, float]]],
    prior: float,
    *,
    trained_at: dt.datetime | None = None,
    records: int = 0,
    pairs: int = 0,
    frequencies: Mapping[str, Mapping[str, float]] | None = None,
    rare: Mapping[str, float] | None = None,
) -> MatchModel:
    """A model from ``{field: {level: (m, u)}}``, fields and levels in any order."""
    return MatchModel(
        fields=tuple(
            FieldModel(name, tuple(Level(lv, *values[name][lv]) for lv in levels))
            for name, levels in FIELD_LEVELS.items()
        ),
        prior=prior,
        trained_at=trained_at,
        records=records,
        pairs=pairs,
        frequencies=frequencies or {},
        rare=rare or {},
    )


# The shipped default: m and u by hand from what is known of person data (name
# frequencies, a birthday shared by 1 in ~30,000 random pairs, typo rates of
# a few per cent), so a fresh install matches sensibly before it is trained.
DEFAULT_MODEL = build_model(
    {
        "first_name": {
            "exact": (0.82, 0.012), "nickname": (0.05, 0.003), "swapped": (0.02, 2e-6),
            "close": (0.06, 0.004), "similar": (0.03, 0.03), "different": (0.03, 0.951),
        },
        "last_name": {
            "exact": (0.86, 0.004), "close": (0.07, 0.003), "similar": (0.03, 0.02),
            "different": (0.04, 0.973),
        },
        "date_of_birth": {
            "exact": (0.88, 4e-5), "typo": (0.07, 0.002), "day_month_swapped": (0.01, 1e-5),
            "same_year": (0.02, 0.012), "different": (0.02, 0.986),
        },
        "street_number": {"exact": (0.85, 0.03), "different": (0.15, 0.97)},
        "street": {
            "exact": (0.8, 0.002), "close": (0.08, 0.002), "similar": (0.04, 0.03),
            "different": (0.08, 0.966),
        },
        "locality": {
            "exact": (0.6, 0.01), "close": (0.2, 0.02), "similar": (0.1, 0.1),
            "different": (0.1, 0.87),
        },
        "postcode": {
            "exact": (0.85, 0.002), "typo": (0.06, 0.01), "area": (0.03, 0.05),
            "different": (0.06, 0.938),
        },
        "street_within_postcode": {
            "exact": (0.85, 0.5), "close": (0.08, 0.1), "similar": (0.03, 0.1),
            "different": (0.04, 0.3),
        },
        "locality_within_postcode": {
            "exact": (0.75, 0.5), "close": (0.15, 0.2), "similar": (0.05, 0.1),
            "different": (0.05, 0.2),
        },
        "email": {"exact": (0.6, 1e-5), "different": (0.4, 0.99999)},
        "phone": {"exact": (0.6, 1e-4), "different": (0.4, 0.9999)},
        "national_id": {"exact": (0.9, 1e-6), "typo": (0.06, 5e-5), "different": (0.04, 0.99995)},
        "other_identifier": {"exact": (1.0, 1e-5)},
    },
    prior=1e-4,
)  # fmt: skip
