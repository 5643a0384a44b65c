"""Comparing two records field by field: levels, weights and evidence a person can read.

:func:`comparison_levels` is the hot path (a few equality tests and
``rapidfuzz`` calls, a few microseconds a pair); :func:`match_weight` adds up
the model's weights for those levels; :func:`compare` also says, per field,
what was compared and what it weighed ("first name: Bob ~ Robert (nickname)
+4.2"), for the best candidates only.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import getitem
from typing import NamedTuple

from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.fuzz import token_set_ratio

from warmline.domain.identity.matching.model import (
    FIELD_LEVELS,
    FIELDS,
    TF_FIELDS,
    MatchModel,
    probability,
)
from warmline.domain.identity.matching.record import (
    Address,
    MatchRecord,
    is_formal_name,
    name_forms,
)

_jaro_winkler = JaroWinkler.normalized_similarity
_osa = OSA.distance

#: The level of a field unknown on either side: it adds no evidence either way.
MISSING = -1

#: Jaro-Winkler similarity at or above which two names or streets are "close", "similar".
CLOSE, SIMILAR = 0.92, 0.80
#: token_set_ratio (0-100) at or above which two localities are "close", "similar".
LOCALITY_CLOSE, LOCALITY_SIMILAR = 90.0, 70.0

_NAME_INDEXES = (FIELDS.index("first_name"), FIELDS.index("last_name"))
#: The fields between the date of birth and the national id, MISSING in
#: :func:`person_levels`.
_BETWEEN = (MISSING,) * (FIELDS.index("national_id") - FIELDS.index("date_of_birth") - 1)
_FIRST = FIELD_LEVELS["first_name"]
F_EXACT, F_NICKNAME, F_SWAPPED, F_CLOSE, F_SIMILAR, F_DIFFERENT = (
    _FIRST.index(n) for n in ("exact", "nickname", "swapped", "close", "similar", "different")
)
_LAST = FIELD_LEVELS["last_name"]
L_EXACT, L_CLOSE, L_SIMILAR, L_DIFFERENT = (
    _LAST.index(n) for n in ("exact", "close", "similar", "different")
)
# Fields whose levels are (exact, close, similar, different) and (exact, different).
S_EXACT, S_CLOSE, S_SIMILAR, S_DIFFERENT = range(4)
EXACT, DIFFERENT = 0, 1
D_EXACT, D_TYPO, D_SWAPPED, D_YEAR, D_DIFFERENT = range(5)
P_EXACT, P_TYPO, P_AREA, P_DIFFERENT = range(4)
N_EXACT, N_TYPO, N_DIFFERENT = range(3)
assert FIELD_LEVELS["street"] == ("exact", "close", "similar", "different")
assert FIELD_LEVELS["street"] == FIELD_LEVELS["locality"] == FIELD_LEVELS["street_within_postcode"]
assert FIELD_LEVELS["street"] == FIELD_LEVELS["locality_within_postcode"]
assert FIELD_LEVELS["date_of_birth"][D_SWAPPED] == "day_month_swapped"
assert FIELD_LEVELS["postcode"][P_AREA] == "area"

_LABELS = {
    "exact": "exact match",
    "nickname": "nickname",
    "swapped": "first and last names swapped",
    "close": "close spelling",
    "similar": "similar spelling",
    "different": "different",
    "typo": "one typo",
    "day_month_swapped": "day and month swapped",
    "same_year": "same year",
    "area": "same area",
}
_FIELD_LABELS = {
    "street_within_postcode": "street (same postcode)",
    "locality_within_postcode": "town (same postcode)",
}
#: Fields whose values are masked for agents: the integrator masks them in evidence too.
SENSITIVE_FIELDS = frozenset(
    {"date_of_birth", "street_number", "street", "locality", "postcode", "email", "phone",
     "national_id", "other_identifier", "street_within_postcode", "locality_within_postcode"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one field contributed: its level, the two values as shown, the weight in bits."""

    field: str
    level: str
    left: str
    right: str
    weight: float

    @property
    def sensitive(self) -> bool:
        """Whether the values are personal data an agent sees masked."""
        return self.field in SENSITIVE_FIELDS

    def describe(self) -> str:
        """One line for a supervisor: "first name: Bob ~ Robert (nickname) +4.2"."""
        label = _FIELD_LABELS.get(self.field) or self.field.replace("_", " ")
        if self.level == "exact":
            return f"{label}: exact match {self.weight:+.1f}"
        sign = "≠" if self.level == "different" else "~"
        return (
            f"{label}: {self.left} {sign} {self.right} ({_LABELS[self.level]}) {self.weight:+.1f}"
        )


class Comparison(NamedTuple):
    """The comparison of two records: levels and weights per field, total weight, probability.

    ``levels`` holds the level index of every field in :data:`FIELDS` order
    (:data:`MISSING` where a side is unknown) and ``weights`` its match weight in
    bits (0.0 where missing); ``weight`` is their sum plus the prior's.
    :attr:`evidence` says the same in words, built only when asked for.
    """

    left: MatchRecord
    right: MatchRecord
    levels: tuple[int, ...]
    weights: tuple[float, ...]
    weight: float
    probability: float

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        """Per known field: its level, the two values as shown, its weight."""
        return tuple(
            self._evidence(index, name)
            for index, name in enumerate(FIELDS)
            if self.levels[index] >= 0
        )

    def evidence_of(self, field: str) -> Evidence | None:
        """The evidence of one field (None if it is unknown on either side), without
        building the others'."""
        index = FIELDS.index(field)
        return self._evidence(index, field) if self.levels[index] >= 0 else None

    def _evidence(self, index: int, name: str) -> Evidence:
        return Evidence(
            field=name,
            level=FIELD_LEVELS[name][self.levels[index]],
            left=_shown(name, self.left, self.right),
            right=_shown(name, self.right, self.left),
            weight=round(self.weights[index], 2),
        )

    def level(self, field: str) -> str | None:
        """The level name of ``field``, or None if it was unknown on either side."""
        index = self.levels[FIELDS.index(field)]
        return None if index == MISSING else FIELD_LEVELS[field][index]


def comparison_levels(a: MatchRecord, b: MatchRecord) -> tuple[int, ...]:
    """The level index of every field for the pair, in :data:`FIELDS` order."""
    # The hot path of matching: missing and equal values are settled inline, and
    # only fields that differ pay for a similarity function.
    first, last = _name_levels(a, b)
    if (a.former_last_names or b.former_last_names) and last not in (L_EXACT, MISSING):
        last = _former_last_level(a, b, last)
    x, y = a.date_of_birth, b.date_of_birth
    dob = MISSING if not x or not y else D_EXACT if x == y else _date_level(x, y)
    x, y = a.street_number, b.street_number
    number = MISSING if not x or not y else EXACT if x == y else DIFFERENT
    x, y = a.postcode, b.postcode
    postcode = MISSING if not x or not y else P_EXACT if x == y else _postcode_level(x, y)
    street, locality = street_and_town_levels(a, b)
    if (a.former_addresses or b.former_addresses) and postcode != P_EXACT:
        # One of them lived where the other says: compared on that address instead.
        number, street, locality, postcode = _former_address_levels(
            a, b, (number, street, locality, postcode)
        )
    if postcode == P_EXACT:
        # Within one postcode the street and town are scored as fields of their own,
        # against how often neighbours share them: scored as if independent of the
        # postcode, one agreement would count two or three times over.
        street_within, locality_within, street, locality = street, locality, MISSING, MISSING
    else:
        street_within = locality_within = MISSING
    return (
        first,
        last,
        dob,
        number,
        street,
        locality,
        postcode,
        street_within,
        locality_within,
        _shared_level(a.emails, b.emails) if a.emails and b.emails else MISSING,
        _shared_level(a.phones, b.phones) if a.phones and b.phones else MISSING,
        _national_id_level(a.national_ids, b.national_ids)
        if a.national_ids and b.national_ids
        else MISSING,
        _other_identifier_level(a.identifiers, b.identifiers)
        if a.identifiers and b.identifiers
        else MISSING,
    )


def person_levels(a: MatchRecord, b: MatchRecord) -> tuple[int, ...]:
    """:func:`comparison_levels` of the fields that tell one person from another (the
    names, the date of birth, the national id), in :data:`FIELDS` order, every other
    field MISSING: what the relatives rules read, at a fraction of the cost."""
    first, last = _name_levels(a, b)
    x, y = a.date_of_birth, b.date_of_birth
    dob = MISSING if not x or not y else D_EXACT if x == y else _date_level(x, y)
    national = (
        _national_id_level(a.national_ids, b.national_ids)
        if a.national_ids and b.national_ids
        else MISSING
    )
    return (first, last, dob, *_BETWEEN, national, MISSING)


def national_ids_agree(a: MatchRecord, b: MatchRecord) -> bool:
    """Whether the pair holds one national id (equal, or one typo apart)."""
    return bool(a.national_ids and b.national_ids) and _national_id_level(
        a.national_ids, b.national_ids
    ) in (N_EXACT, N_TYPO)


def street_and_town_levels(a: MatchRecord, b: MatchRecord) -> tuple[int, int]:
    """The levels of the street names and of the towns (the rest of the address)."""
    return _street_town(a.street, b.street, a.locality, b.locality)


def _street_town(xs: str | None, ys: str | None, xl: str | None, yl: str | None) -> tuple[int, int]:
    street = MISSING if not xs or not ys else S_EXACT if xs == ys else _similarity_level(xs, ys)
    locality = MISSING if not xl or not yl else S_EXACT if xl == yl else _locality_level(xl, yl)
    return street, locality


def _former_last_level(a: MatchRecord, b: MatchRecord, level: int) -> int:
    """A surname that is the other's former one (a maiden name) agrees exactly."""
    ours = {a.last_name, *a.former_last_names}
    theirs = {b.last_name, *b.former_last_names}
    return L_EXACT if ours & theirs - {None} else level


def _former_address_levels(
    a: MatchRecord, b: MatchRecord, now: tuple[int, int, int, int]
) -> tuple[int, int, int, int]:
    """(number, street, locality, postcode) levels on an address one of them lived at that
    the other gives, when there is one with the same postcode (or number and street)."""
    ours = [(a.street_number, a.street, a.locality, a.postcode), *a.former_addresses]
    theirs = [(b.street_number, b.street, b.locality, b.postcode), *b.former_addresses]
    for i, (xn, xs, xl, xp) in enumerate(ours):
        for j, (yn, ys, yl, yp) in enumerate(theirs):
            if i == j == 0:
                continue  # the addresses they give now: compared already
            if (xp and xp == yp) or (xn and xn == yn and xs and xs == ys):
                street, locality = _street_town(xs, ys, xl, yl)
                number = MISSING if not xn or not yn else EXACT if xn == yn else DIFFERENT
                postcode = MISSING if not xp or not yp else P_EXACT if xp == yp else P_DIFFERENT
                return number, street, locality, postcode
    return now


#: The parts of an address: a move changes them all at once.
_ADDRESS_INDEXES = tuple(
    FIELDS.index(name) for name in ("street_number", "street", "locality", "postcode")
)


def weight_of_levels(levels: tuple[int, ...], model: MatchModel) -> float:
    """Total match weight in bits (prior included) of a pair's levels."""
    # map over the two sequences: no per-field Python frame, the hot path's sum
    weights = tuple(map(getitem, model.lookup, levels))
    return model.prior_weight + sum(_one_address(weights))


def _one_address(weights: tuple[float, ...]) -> tuple[float, ...]:
    """``weights`` with a different address counted once: only the part of the address
    that speaks most against the pair (mostly the postcode) keeps its weight.

    A move changes the house number, the street, the town and the postcode together;
    scored as independent fields, one move would count three or four times over against
    a person who moved (the same name and birth date at a new address), though it is one
    fact. Parts that agree keep their weight."""
    against = [i for i in _ADDRESS_INDEXES if weights[i] < 0]
    if len(against) < 2:
        return weights
    worst = min(against, key=weights.__getitem__)
    return tuple(0.0 if i in against and i != worst else w for i, w in enumerate(weights))


def match_weight(a: MatchRecord, b: MatchRecord, model: MatchModel) -> float:
    """Total match weight in bits of the pair (the fast path: no evidence is built)."""
    return weight_of_levels(comparison_levels(a, b), model)


def compare(
    a: MatchRecord, b: MatchRecord, model: MatchModel, levels: tuple[int, ...] | None = None
) -> Comparison:
    """Compare two records: per-field levels and weights, total match weight, probability.

    ``levels`` may be passed when :func:`comparison_levels` was already called for the pair.
    """
    if levels is None:
        levels = comparison_levels(a, b)
    weights = _one_address(tuple(map(getitem, model.lookup, levels)))
    if model.frequencies:
        weights = _tf_adjusted(a, levels, weights, model)
    weight = model.prior_weight + sum(weights)
    return Comparison(a, b, levels, weights, weight, probability(weight))


_TF_INDEXES = tuple((FIELDS.index(name), name) for name in TF_FIELDS)


def _tf_adjusted(
    a: MatchRecord, levels: tuple[int, ...], weights: tuple[float, ...], model: MatchModel
) -> tuple[float, ...]:
    """``weights`` with each exact agreement on a term-frequency field weighed by how
    common the shared value is."""
    adjusted: list[float] | None = None
    for index, name in _TF_INDEXES:
        if levels[index] != 0:
            continue
        value = a.last_name if a.lone_name and index in _NAME_INDEXES else getattr(a, name)
        if value is None:
            continue
        if adjusted is None:
            adjusted = list(weights)
        adjusted[index] += model.tf_adjustment(name, value)
    return weights if adjusted is None else tuple(adjusted)


def _name_levels(a: MatchRecord, b: MatchRecord) -> tuple[int, int]:
    if a.lone_name or b.lone_name:
        return _lone_name_levels(a, b) if a.lone_name else _lone_name_levels(b, a)
    af, al, bf, bl = a.first_name, a.last_name, b.first_name, b.last_name
    first = (F_EXACT if af == bf else _first_level(a, b)) if af and bf else MISSING
    last = (L_EXACT if al == bl else _last_level(al, bl)) if al and bl else MISSING
    if (
        af and al and bf and bl
        and first not in (F_EXACT, F_NICKNAME)
        and last != L_EXACT
        # Swapped names start with each other's letters: a cheap gate before two
        # similarity calls that almost every pair of different people would fail.
        and af[0] == bl[0] and al[0] == bf[0]
    ):  # fmt: skip
        crosswise = sorted((_jaro_winkler(af, bl), _jaro_winkler(al, bf)))
        # One name may carry a typo as well: one close, the other at least similar.
        if crosswise[0] >= SIMILAR and crosswise[1] >= CLOSE:
            return F_SWAPPED, MISSING
    return first, last


def _lone_name_levels(lone: MatchRecord, other: MatchRecord) -> tuple[int, int]:
    """A single name against the other record's names: scored on the one it is closer to."""
    token = lone.last_name
    if not token:
        return MISSING, MISSING
    if other.lone_name:
        return MISSING, _last_level(token, other.last_name) if other.last_name else MISSING
    similarity = _jaro_winkler
    to_last = similarity(token, other.last_name) if other.last_name else -1.0
    to_first = similarity(token, other.first_name) if other.first_name else -1.0
    if to_last < 0 and to_first < 0:
        return MISSING, MISSING
    if to_last >= to_first:
        return MISSING, _last_level(token, other.last_name or "")
    return _first_level(lone, other, token), MISSING


def _first_level(a: MatchRecord, b: MatchRecord, a_first: str | None = None) -> int:
    x = a_first or a.first_name or ""
    y = b.first_name or ""
    if x == y:
        return F_EXACT
    forms = a.first_forms if a_first is None else name_forms(x)
    if not forms.isdisjoint(b.first_forms) and (
        y in forms or x in b.first_forms or not (is_formal_name(x) and is_formal_name(y))
    ):
        return F_NICKNAME
    level = _spelling_level(x, y)
    if level > F_CLOSE and (a.former_first_names or b.former_first_names):
        # The first names either record was given before ("Daniel", now "Dan").
        for ours in (x, *a.former_first_names):
            for theirs in (y, *b.former_first_names):
                level = min(level, F_EXACT if ours == theirs else _spelling_level(ours, theirs))
    return level


def _spelling_level(x: str, y: str) -> int:
    """Close, similar or different, for two unequal first names. An initial ("J") is
    similar to a name it begins ("John") or a formal name it stands for ("W" and Bill,
    for William), and says nothing either way: it is no evidence of one person, nor of
    two."""
    if len(x) == 1 or len(y) == 1:
        return F_SIMILAR if initial_fits(x, y) else F_DIFFERENT
    similarity = _jaro_winkler(x, y)
    if similarity >= CLOSE:
        return F_CLOSE
    return F_SIMILAR if similarity >= SIMILAR else F_DIFFERENT


def initial_fits(x: str, y: str) -> bool:
    """Whether two first names, one an initial, may be one name: the initial begins the
    other, or a formal name the other may be a nickname of ("W" and "Bill": William)."""
    if x[0] == y[0]:
        return True
    initial, name = (x, y) if len(x) == 1 else (y, x)
    return any(form[0] == initial for form in name_forms(name))


def _last_level(x: str, y: str) -> int:
    if x == y:
        return L_EXACT
    similarity = _jaro_winkler(x, y)
    if similarity >= CLOSE:
        return L_CLOSE
    return L_SIMILAR if similarity >= SIMILAR else L_DIFFERENT


def _similarity_level(x: str, y: str) -> int:
    """Close, similar or different, for two unequal strings (Jaro-Winkler)."""
    similarity = _jaro_winkler(x, y)
    if similarity >= CLOSE:
        return S_CLOSE
    return S_SIMILAR if similarity >= SIMILAR else S_DIFFERENT


def _locality_level(x: str, y: str) -> int:
    """Close, similar or different, for two unequal localities: by shared words, so a
    locality that leaves out a part (the building, the state) is still close."""
    similarity = token_set_ratio(x, y, score_cutoff=LOCALITY_SIMILAR)
    if similarity >= LOCALITY_CLOSE:
        return S_CLOSE
    return S_SIMILAR if similarity >= LOCALITY_SIMILAR else S_DIFFERENT


def _date_level(x: str, y: str) -> int:
    """Typo, day and month swapped, same year or different, for two unequal ISO dates."""
    if _osa(x, y) <= 1:
        return D_TYPO
    same_year = x[:4] == y[:4]
    if same_year and x[5:7] == y[8:10] and x[8:10] == y[5:7]:
        return D_SWAPPED
    return D_YEAR if same_year else D_DIFFERENT


def _postcode_level(x: str, y: str) -> int:
    """Typo, same area or different, for two unequal postcodes."""
    if _osa(x, y) <= 1:
        return P_TYPO
    # The area: a UK-style outward code (all but the last three characters), or the
    # leading digits of a numeric postcode.
    cut = len(x) - 3 if len(x) >= 5 and not x.isdigit() else len(x) - 2
    return P_AREA if cut > 0 and x[:cut] == y[:cut] and len(x) == len(y) else P_DIFFERENT


def _shared_level(xs: tuple[str, ...], ys: tuple[str, ...]) -> int:
    for x in xs:
        if x in ys:
            return EXACT
    return DIFFERENT


def _national_id_level(xs: tuple[str, ...], ys: tuple[str, ...]) -> int:
    best = N_DIFFERENT
    for x in xs:
        for y in ys:
            if x == y:
                return N_EXACT
            if _osa(x, y) <= 1:
                best = N_TYPO
    return best


def _other_identifier_level(
    xs: tuple[tuple[str, str], ...], ys: tuple[tuple[str, str], ...]
) -> int:
    for pair in xs:
        if pair in ys:
            return EXACT
    return MISSING


def _shown(field: str, record: MatchRecord, other: MatchRecord) -> str:
    """The value of ``field`` on ``record`` as a person reads it."""
    if field in ("first_name", "last_name"):
        if record.lone_name:
            return (record.last_name or "").title()
        value = record.first_name if field == "first_name" else record.last_name
        if field == "first_name" and other.lone_name:
            value = record.first_name
        return (value or "").title()
    if field == "email":
        return _best_shared(record.emails, other.emails)
    if field == "phone":
        return _best_shared(record.phones, other.phones)
    if field == "national_id":
        return _best_shared(record.national_ids, other.national_ids)
    if field == "other_identifier":
        shared = [f"{k}:{v}" for k, v in record.identifiers if (k, v) in other.identifiers]
        return shared[0] if shared else ""
    part = field.removesuffix("_within_postcode")
    value = getattr(record, part)
    if part in _ADDRESS_PARTS and (record.former_addresses or other.former_addresses):
        # Compared on an address one of them lived at before: show that one.
        address = _compared_address(record, other)
        if address is not None:
            value = address[_ADDRESS_PARTS.index(part)]
            return f"{(value or '').upper() if part == 'postcode' else value or ''} (before)"
    return (value or "").upper() if field == "postcode" else str(value or "")


_ADDRESS_PARTS = ("street_number", "street", "locality", "postcode")


def _compared_address(record: MatchRecord, other: MatchRecord) -> Address | None:
    """The former address of ``record`` the comparison used, if it used one."""
    if record.postcode and record.postcode == other.postcode:
        return None
    theirs = [(other.street_number, other.street, other.locality, other.postcode)]
    theirs += other.former_addresses
    for xn, xs, xl, xp in record.former_addresses:
        for yn, ys, _, yp in theirs:
            if (xp and xp == yp) or (xn and xn == yn and xs and xs == ys):
                return xn, xs, xl, xp
    return None


def _best_shared(values: tuple[str, ...], others: tuple[str, ...]) -> str:
    for value in values:
        if value in others:
            return value
    return ", ".join(values)
