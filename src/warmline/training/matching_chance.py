"""How often different people agree by chance: the u side of the model.

* Exact agreement comes from value frequencies: the probability that two
  records drawn at random share a value is the sum over values of their
  squared shares, which needs no sampling (a shared birthday, one pair in
  thirty thousand, is too rare to count well in a sample).
* The other levels (a close spelling, a typo'd date) come from random pairs.
* Street and town within one postcode come from random pairs that share a
  postcode: how often neighbours agree on them.
* Once the share of duplicates is known, the few true duplicates hidden among
  the random pairs are taken out again (:func:`without_matches`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from operator import attrgetter

from warmline.domain.identity.matching.model import FIELDS, MIN_PROBABILITY, TF_FIELDS
from warmline.domain.identity.matching.record import MatchRecord
from warmline.domain.identity.matching.scoring import (
    MISSING,
    comparison_levels,
    street_and_town_levels,
)

Levels = tuple[int, ...]
Table = list[list[float]]
#: Pseudo-pairs pulling each estimate towards the starting model.
SMOOTHING = 2.0
#: Taking the hidden matches out of u never lowers a level's u below this share of it.
UNMATCHED_FLOOR = 0.01
#: ...nor, for a trait (a name, a birth date, an address), below this share of it: different
#: people share traits by chance at the rate their value frequencies say, and the share
#: of duplicates is an estimate (households, which share a surname, an address and a
#: landline, make it high); taken out whole, a birth date shared by chance came out a
#: million to one, and a birthday alone linked two strangers.
TRAIT_FLOOR = 0.25
_IDENTIFIER_FIELDS = frozenset(FIELDS.index(name) for name in ("email", "phone", "national_id"))
#: Fields learned from pairs that share a postcode rather than from random pairs.
WITHIN_POSTCODE = ("street_within_postcode", "locality_within_postcode")
_STREET_WITHIN, _TOWN_WITHIN = (FIELDS.index(name) for name in WITHIN_POSTCODE)

_Column = Callable[[MatchRecord], str | None]
_PLAIN_COLUMNS = ("last_name", "date_of_birth", "street_number", "street", "locality", "postcode")
_COLUMNS: dict[str, _Column] = {
    "first_name": lambda r: None if r.lone_name else r.first_name,
    **{name: attrgetter(name) for name in _PLAIN_COLUMNS},
}
_IDENTIFIER_SETS: dict[str, Callable[[MatchRecord], tuple[str, ...]]] = {
    "email": attrgetter("emails"),
    "phone": attrgetter("phones"),
    "national_id": attrgetter("national_ids"),
}


def exact_agreement(records: Sequence[MatchRecord]) -> list[float | None]:
    """Per field (in :data:`FIELDS` order), the probability that two different records
    with the field known agree on it exactly, from value frequencies.

    Identifier sets (emails, phones, national ids) count a pair once per value the
    two records share, over the records holding any: exact while no two records
    share two values. Counted, not sampled: two people sharing a national id are so
    rare that a few thousand random pairs hold none, or one true duplicate, and u
    swung a hundredfold with the seed. None for the catch-all identifier field,
    which has no level but "exact".
    """
    rates: dict[str, float | None] = {}
    for name, column in _COLUMNS.items():
        rates[name] = _shared_share(Counter(v for v in map(column, records) if v))
    for name, values_of in _IDENTIFIER_SETS.items():
        holders = [values for values in map(values_of, records) if values]
        counts = Counter(value for values in holders for value in values)
        k = len(holders)
        rates[name] = sum(c * (c - 1) for c in counts.values()) / (k * (k - 1)) if k > 1 else None
    within = (_COLUMNS["street"], _COLUMNS["locality"])
    for name, column in zip(WITHIN_POSTCODE, within, strict=True):
        both = Counter((r.postcode, value) for r in records if r.postcode and (value := column(r)))
        postcodes: Counter[str] = Counter()
        for (postcode, _), count in both.items():
            postcodes[postcode] += count
        same = sum(c * (c - 1) for c in both.values())
        pairs = sum(c * (c - 1) for c in postcodes.values())
        rates[name] = same / pairs if pairs else None
    return [rates.get(name) for name in FIELDS]


def postcode_pairs_count(records: Sequence[MatchRecord]) -> tuple[int, float]:
    """How many pairs of records share a postcode, and the share of records with one."""
    counts = Counter(r.postcode for r in records if r.postcode)
    known = sum(counts.values())
    return sum(c * (c - 1) // 2 for c in counts.values()), known / max(len(records), 1)


def _shared_share(counts: Counter[str]) -> float | None:
    known = sum(counts.values())
    if known < 2:
        return None
    return sum(c * (c - 1) for c in counts.values()) / (known * (known - 1))


#: Pairs compared between two calls of a ``tick``.
TICK_EVERY = 1_000


def random_patterns(
    records: Sequence[MatchRecord], count: int, rng: random.Random, tick: Callable[[int], None]
) -> Counter[Levels]:
    """The level patterns of ``count`` random pairs of different records;
    ``tick(pairs)`` says how many were compared, every :data:`TICK_EVERY` and at the end."""
    n = len(records)
    patterns: Counter[Levels] = Counter()
    for done in range(1, count + 1):
        i, j = _two_of(n, rng)
        patterns[comparison_levels(records[i], records[j])] += 1
        if not done % TICK_EVERY:
            tick(TICK_EVERY)
    tick(count % TICK_EVERY)
    return patterns


def postcode_patterns(
    records: Sequence[MatchRecord], count: int, rng: random.Random
) -> Counter[Levels]:
    """The level patterns of up to ``count`` random pairs of records sharing a postcode.

    Only the street and town within the postcode are compared (the other fields
    are left :data:`MISSING`): those two are all these pairs are drawn to teach.
    """
    groups: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        if record.postcode:
            groups.setdefault(record.postcode, []).append(index)
    shared = [members for members in groups.values() if len(members) > 1]
    patterns: Counter[Levels] = Counter()
    if not shared:
        return patterns
    weights = [len(m) * (len(m) - 1) for m in shared]
    nothing = [MISSING] * len(FIELDS)
    for members in rng.choices(shared, weights, k=count):
        a, b = _two_of(len(members), rng)
        pattern = nothing.copy()
        pattern[_STREET_WITHIN], pattern[_TOWN_WITHIN] = street_and_town_levels(
            records[members[a]], records[members[b]]
        )
        patterns[tuple(pattern)] += 1
    return patterns


def _two_of(n: int, rng: random.Random) -> tuple[int, int]:
    """Two different indexes below ``n``, uniformly: from ``rng.random()``, which is
    uniform enough for sampling and a third of the cost of two ``randrange`` calls."""
    i = int(rng.random() * n)
    j = int(rng.random() * (n - 1))
    return i, j + (j >= i)


def chance_u(
    random_pairs: Counter[Levels],
    postcode_pairs: Counter[Levels],
    exact: list[float | None],
    start: Table,
) -> Table:
    """u per field and level: from the pairs' level shares, smoothed towards ``start``,
    with each field's exact rate from value frequencies where there is one."""
    shares = _shares(random_pairs, start)
    within = _shares(postcode_pairs, start)
    for name in WITHIN_POSTCODE:
        f = FIELDS.index(name)
        shares[f] = within[f]
    for f, rate in enumerate(exact):
        if rate is None or len(shares[f]) < 2:
            continue
        rest = sum(shares[f][1:])
        shares[f] = [max(rate, MIN_PROBABILITY)] + [
            max((1 - rate) * share / rest, MIN_PROBABILITY) for share in shares[f][1:]
        ]
    return shares


def known_counts(random_pairs: Counter[Levels], postcode_pairs: Counter[Levels]) -> list[int]:
    """Per field, how many sampled pairs had it known on both sides."""
    counts = [0] * len(FIELDS)
    for patterns, fields in (
        (random_pairs, set(FIELDS) - set(WITHIN_POSTCODE)),
        (postcode_pairs, set(WITHIN_POSTCODE)),
    ):
        wanted = [name in fields for name in FIELDS]
        for pattern, count in patterns.items():
            for f, level in enumerate(pattern):
                if level >= 0 and wanted[f]:
                    counts[f] += count
    return counts


def without_matches(u: Table, m: Table, prior: float) -> Table:
    """u with the true duplicates hidden among random pairs taken out.

    A random pair is a duplicate with probability ``prior``; for a level as rare as
    an equal national id those few duplicates are most of what was counted. A trait's
    u keeps at least a quarter of what was counted (:data:`TRAIT_FLOOR`).
    """
    out = []
    for f, (u_row, m_row) in enumerate(zip(u, m, strict=True)):
        floor = UNMATCHED_FLOOR if f in _IDENTIFIER_FIELDS else TRAIT_FLOOR
        row = [
            max((uf - prior * mf) / (1 - prior), uf * floor, MIN_PROBABILITY)
            for uf, mf in zip(u_row, m_row, strict=True)
        ]
        total = sum(row)
        out.append([value / total for value in row])
    return out


def smoothed(counts: Sequence[float], prior: Sequence[float]) -> list[float]:
    """Shares of ``counts`` with :data:`SMOOTHING` pseudo-counts spread as ``prior``."""
    total = sum(counts) + SMOOTHING
    return [
        max((c + SMOOTHING * p) / total, MIN_PROBABILITY)
        for c, p in zip(counts, prior, strict=True)
    ]


def _shares(patterns: Counter[Levels], start: Table) -> Table:
    counts = [[0.0] * len(row) for row in start]
    for pattern, count in patterns.items():
        for f, level in enumerate(pattern):
            if level >= 0:
                counts[f][level] += count
    return [smoothed(row, prior) for row, prior in zip(counts, start, strict=True)]


#: Most values per field a trained model keeps the frequency of (the commonest).
TF_VALUES = 5_000


def term_frequencies(
    records: Sequence[MatchRecord],
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Per term-frequency field, the share of the records knowing it that hold each value
    seen more than once (the commonest :data:`TF_VALUES`), and the share a value seen once
    stands for; fields known on fewer than two records are left out."""
    shares: dict[str, dict[str, float]] = {}
    rare: dict[str, float] = {}
    for name in TF_FIELDS:
        column = _COLUMNS[name]
        counts = Counter(v for v in map(column, records) if v)
        known = sum(counts.values())
        if known < 2:
            continue
        common = [(v, c) for v, c in counts.most_common(TF_VALUES) if c > 1]
        shares[name] = {value: count / known for value, count in common}
        rare[name] = 1 / known
    return shares, rare
