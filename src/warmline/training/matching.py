"""Learning m and u from the organisation's own records, without labels.

* ``u`` (how often a level turns up between different people) comes from
  random pairs of records; for exact agreement, from value frequencies, which
  is exact and needs no sampling (a shared birthday is too rare to count well).
* ``m`` (how often a level turns up for the same person) is estimated by
  expectation-maximisation over the blocked candidate pairs, in one session per
  kind of blocking key, the way splink does it: pairs found through "same name
  sound and birth date" agree on those fields whoever they are, so that
  session learns m for the other fields only, with u held at its random-pair
  value. Each field's m pools the sessions that could learn it.
* The prior is the expected number of duplicate pairs over all pairs, from a
  last EM pass over all blocked pairs with m and u held; u then loses the few
  true duplicates hidden among the random pairs, which for a field as rare as a
  national id are most of what was counted.
* Term frequencies: how common each first name, surname and postcode is, so that an
  exact agreement on a common value weighs less than on a rare one
  (:meth:`MatchModel.tf_adjustment`).

Every estimate is smoothed towards the starting model with a few pseudo-pairs,
so a level seen rarely (names swapped) keeps a sensible weight, and a field
the data never has (no phones in an import) keeps the starting values.
Deterministic for a seed: pairs are drawn from ``random.Random(seed)``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from warmline.domain.identity.matching.blocking import BLOCK_CAP, blocking_keys
from warmline.domain.identity.matching.model import (
    DEFAULT_MODEL,
    FIELD_LEVELS,
    FIELDS,
    MIN_PROBABILITY,
    MatchModel,
    build_model,
)
from warmline.domain.identity.matching.record import MatchRecord
from warmline.domain.identity.matching.scoring import comparison_levels
from warmline.training.matching_chance import (
    TICK_EVERY,
    WITHIN_POSTCODE,
    Levels,
    Table,
    chance_u,
    exact_agreement,
    known_counts,
    postcode_pairs_count,
    postcode_patterns,
    random_patterns,
    smoothed,
    term_frequencies,
    without_matches,
)

#: Fewer records than this cannot say anything reliable about m and u.
MIN_RECORDS = 100
#: Fewer expected duplicate pairs than this and there is nothing to learn m from.
MIN_MATCHES = 20.0
#: A session with fewer pairs than this is skipped.
MIN_SESSION_PAIRS = 30
#: Random pairs drawn per record to count u on, and the least drawn.
RANDOM_PAIRS_PER_RECORD = 1
MIN_RANDOM_PAIRS = 5_000
#: Pairs sharing a postcode drawn to learn how often neighbours share a street and town.
POSTCODE_PAIRS = 2_000
EM_ITERATIONS = 100
#: EM stops when no estimate moves by more than this in an iteration.
CONVERGED = 1e-5
_PROGRESS_EVERY = 10_000

_ADDRESS = frozenset({"street_number", "street", "locality", "postcode", *WITHIN_POSTCODE})
_NAMES = frozenset({"first_name", "last_name"})
#: The blocking-key kinds EM learns from, and the fields each session leaves out:
#: those the key makes agree, and those that go with them (a postcode's street and
#: town). Household keys (a surname or a house at a postcode, a phone) are left out
#: altogether: the different people they find are relatives, who share a landline,
#: an email, a surname, in ways random pairs do not, and EM would take them for one
#: person whose birth date keeps changing.
SESSIONS: dict[str, frozenset[str]] = {
    # Namesakes sharing an address are mostly parent and child (John Smith senior and
    # junior): the names session leaves the address out so as not to learn from them
    # that a person's birth date changes.
    "nn": _NAMES | _ADDRESS,
    "nd": _NAMES | {"date_of_birth"},
    "dp": _ADDRESS | {"date_of_birth"},
    "dn": frozenset({"date_of_birth", "street_number"}),
    "id": frozenset({"national_id"}),
    "em": frozenset({"email"}),
}

Progress = Callable[[int, int], None]


class NotEnoughData(ValueError):
    """Too few records (or likely duplicates among them) to learn from: keep the current model."""


def train(
    records: Sequence[MatchRecord],
    *,
    seed: int = 0,
    max_pairs: int = 1_000_000,
    progress: Progress | None = None,
    start: MatchModel = DEFAULT_MODEL,
    trained_at: dt.datetime | None = None,
    keys: Sequence[list[str]] | None = None,
) -> MatchModel:
    """Estimate a :class:`MatchModel` from ``records`` without labels.

    ``keys`` are the records' :func:`blocking_keys`, in the same order, when the
    caller already has them (from its key table).

    ``max_pairs`` caps the blocked pairs EM learns m from (sampled when there
    are more) and the random pairs u is counted on (at most
    :data:`RANDOM_PAIRS_PER_RECORD` per record, at least :data:`MIN_RANDOM_PAIRS`).
    ``progress(done, total)`` is called every ten thousand pairs compared.
    Raises :class:`NotEnoughData` below :data:`MIN_RECORDS` records or when EM
    finds fewer than :data:`MIN_MATCHES` likely duplicate pairs: the caller
    keeps its current model.
    """
    n = len(records)
    if n < MIN_RECORDS:
        raise NotEnoughData(
            f"training needs at least {MIN_RECORDS} records, got {n}: keep the current model"
        )
    rng = random.Random(seed)
    total_pairs = n * (n - 1) // 2
    random_count = min(max_pairs, total_pairs, max(MIN_RANDOM_PAIRS, RANDOM_PAIRS_PER_RECORD * n))
    if keys is None:
        keys = [blocking_keys(record) for record in records]
    elif len(keys) != n:
        raise ValueError("keys must hold one list of blocking keys per record")
    blocked, blocked_total = _blocked_pairs(keys, rng, max_pairs)
    tick = _Ticker(progress, random_count + len(blocked))
    random_pairs = random_patterns(records, random_count, rng, tick)
    postcode_pairs = postcode_patterns(records, min(random_count, POSTCODE_PAIRS), rng)
    # Counted by (pattern, kinds of key shared) first: far fewer distinct than pairs.
    by_pattern: Counter[tuple[Levels, frozenset[str]]] = Counter()
    for done, (i, j, kinds) in enumerate(blocked, 1):
        by_pattern[comparison_levels(records[i], records[j]), kinds] += 1
        if not done % TICK_EVERY:
            tick(TICK_EVERY)
    tick(len(blocked) % TICK_EVERY)
    sessions: dict[str, Counter[Levels]] = {kind: Counter() for kind in SESSIONS}
    everything: Counter[Levels] = Counter()
    for (levels, kinds), count in by_pattern.items():
        everything[levels] += count
        for kind in kinds & sessions.keys():
            sessions[kind][levels] += count
    start_m = [[lv.m for lv in f.levels] for f in start.fields]
    start_u = [[lv.u for lv in f.levels] for f in start.fields]
    u_observed = chance_u(random_pairs, postcode_pairs, exact_agreement(records), start_u)
    m = _pooled_m(sessions, start_m, u_observed)
    share = _match_share(everything, m, u_observed)
    expected_matches = share * blocked_total
    if expected_matches < MIN_MATCHES:
        raise NotEnoughData(
            f"only {expected_matches:.0f} likely duplicate pairs among {n} records: "
            "too few to learn from, keep the current model"
        )
    prior = min(max(expected_matches / total_pairs, MIN_PROBABILITY), 0.5)
    u = without_matches(u_observed, m, prior)
    # Among pairs sharing a postcode, duplicates are far more common than among
    # random pairs (a person keeps their postcode): their own share comes out instead.
    sharing, with_postcode = postcode_pairs_count(records)
    if sharing:
        exact = m[FIELDS.index("postcode")][0]
        share_within = min(expected_matches * exact * with_postcode**2 / sharing, 0.9)
        neighbours = without_matches(u_observed, m, share_within)
        for name in WITHIN_POSTCODE:
            u[FIELDS.index(name)] = neighbours[FIELDS.index(name)]
    seen = known_counts(random_pairs, postcode_pairs)
    values = {}
    for f, name in enumerate(FIELDS):
        if seen[f] == 0 or len(FIELD_LEVELS[name]) == 1:
            # Nothing to learn from (the data has no phones), or no "different" to learn
            # against (a one-level field): the starting model's values stand.
            values[name] = {lv.name: (lv.m, lv.u) for lv in start.fields[f].levels}
        else:
            values[name] = {lv: (m[f][k], u[f][k]) for k, lv in enumerate(FIELD_LEVELS[name])}
    frequencies, rare = term_frequencies(records)
    return build_model(
        values,
        prior,
        trained_at=trained_at or dt.datetime.now(dt.UTC),
        records=n,
        pairs=random_count + len(blocked),
        frequencies=frequencies,
        rare=rare,
    )


class _Ticker:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self, pairs: int) -> None:
        """``pairs`` more were compared: report every ten thousand, and at the end."""
        before, self.done = self.done, self.done + pairs
        if (
            pairs
            and self.progress is not None
            and (
                self.done // _PROGRESS_EVERY > before // _PROGRESS_EVERY or self.done == self.total
            )
        ):
            self.progress(self.done, self.total)


def _blocked_pairs(
    keys: Sequence[list[str]], rng: random.Random, max_pairs: int
) -> tuple[list[tuple[int, int, frozenset[str]]], int]:
    """Index pairs sharing a blocking key (blocks over the cap skipped) with the kinds of
    key they share, sampled down to ``max_pairs``; and how many there were before."""
    # With numpy: the (key, record) memberships sorted by key make each block a run,
    # and the pairs of all blocks of one size come out in one step, with no container
    # per block. Against a loop over blocks: 12 ms instead of 18 on FEBRL 3, 3.1 s
    # instead of 4.4 on 100,000 records (most of what is left is the list returned).
    n = len(keys)
    bits = {kind: 1 << bit for bit, kind in enumerate(SESSIONS)}
    key_ids: dict[str, int] = {}
    flat = np.fromiter(
        (key_ids.setdefault(key, len(key_ids)) for record_keys in keys for key in record_keys),
        dtype=np.int64,
    )
    owners = np.repeat(np.arange(n, dtype=np.int64), [len(record_keys) for record_keys in keys])
    order = np.lexsort((owners, flat))
    flat, owners = flat[order], owners[order]
    distinct = np.flatnonzero((np.diff(flat, prepend=-1) != 0) | (np.diff(owners, prepend=-1) != 0))
    flat, owners = flat[distinct], owners[distinct]  # a key listed twice for one record counts once
    starts = np.flatnonzero(np.diff(flat, prepend=-1))
    sizes = np.diff(starts, append=len(flat))
    key_of_id = list(key_ids)  # ids were handed out in insertion order
    code_parts, kind_parts = [], []
    for size in np.unique(sizes[(sizes > 1) & (sizes <= BLOCK_CAP)]).tolist():
        first = starts[sizes == size]
        left, right = np.triu_indices(size, 1)  # members are sorted: i < j
        code_parts.append(owners[first[:, None] + left] * n + owners[first[:, None] + right])
        block_kinds = [bits.get(key_of_id[key][:2], 0) for key in flat[first].tolist()]
        kind_parts.append(np.repeat(np.array(block_kinds, dtype=np.int64), len(left)))
    pairs: dict[int, int] = {}
    if code_parts:
        codes = np.concatenate([part.ravel() for part in code_parts])
        kinds = np.concatenate(kind_parts)
        order = np.argsort(codes, kind="stable")
        codes, kinds = codes[order], kinds[order]
        runs = np.flatnonzero(np.diff(codes, prepend=-1))  # one run per pair
        masks = np.bitwise_or.reduceat(kinds, runs)
        pairs = dict(zip(codes[runs].tolist(), masks.tolist(), strict=True))
    total = len(pairs)
    chosen = list(pairs)  # sorted already
    if total > max_pairs:
        chosen = sorted(rng.sample(chosen, max_pairs))
    names = {
        mask: frozenset(k for k, bit in bits.items() if mask & bit) for mask in set(pairs.values())
    }
    return [(code // n, code % n, names[pairs[code]]) for code in chosen], total


def _pooled_m(sessions: Mapping[str, Counter[Levels]], start_m: Table, u: Table) -> Table:
    """m per field: the expected level counts of the matches of every session that could
    learn the field, pooled, then smoothed towards the starting model."""
    pooled = [[0.0] * len(row) for row in start_m]
    for kind, patterns in sessions.items():
        if sum(patterns.values()) < MIN_SESSION_PAIRS:
            continue
        learn = [name not in SESSIONS[kind] for name in FIELDS]
        for f, counts in enumerate(_session_counts(patterns, start_m, u, learn)):
            if learn[f]:
                pooled[f] = [a + b for a, b in zip(pooled[f], counts, strict=True)]
    return [smoothed(row, prior) for row, prior in zip(pooled, start_m, strict=True)]


def _session_counts(
    patterns: Counter[Levels], m: Table, u: Table, learn: list[bool]
) -> list[list[float]]:
    """EM over one session's level patterns, u held, m learned for the ``learn`` fields
    only (the others are left out of the likelihood). Returns each field's expected
    level counts among the matches.

    Vectorised over distinct patterns (a few thousand, however many pairs): each
    iteration is a handful of numpy operations per field.
    """
    levels = np.array(list(patterns), dtype=np.int64).reshape(-1, len(FIELDS))
    counts = np.array(list(patterns.values()), dtype=np.float64)
    total = float(counts.sum())
    # The appended 0.0 is what index -1 (missing) picks: no evidence either way.
    log_u = [np.append(-np.log(np.array(row)), 0.0) for row in u]
    share = 0.5
    expected = [[0.0] * len(row) for row in m]
    for _ in range(EM_ITERATIONS):
        log_odds = np.full(len(counts), np.log(share / (1 - share)))
        for f, row in enumerate(m):
            if learn[f]:
                log_odds += (np.append(np.log(np.array(row)), 0.0) + log_u[f])[levels[:, f]]
        matched = counts / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))
        new_m = []
        for f, row in enumerate(m):
            if learn[f]:
                mask = levels[:, f] >= 0
                weights = np.bincount(levels[mask, f], weights=matched[mask], minlength=len(row))
                expected[f] = weights.tolist()
                new_m.append(smoothed(expected[f], row))
            else:
                new_m.append(row)
        new_share = min(max(float(matched.sum()) / total, MIN_PROBABILITY), 1 - MIN_PROBABILITY)
        moved = max(
            abs(a - b)
            for old, new in zip(m, new_m, strict=True)
            for a, b in zip(old, new, strict=True)
        )
        m, share = new_m, new_share
        if moved < CONVERGED:
            break
    return expected


def _match_share(patterns: Counter[Levels], m: Table, u: Table) -> float:
    """The share of duplicates among the blocked pairs, by EM with m and u held."""
    if not patterns:
        return 0.0
    levels = np.array(list(patterns), dtype=np.int64).reshape(-1, len(FIELDS))
    counts = np.array(list(patterns.values()), dtype=np.float64)
    log_ratio = np.zeros(len(counts))
    for f, (m_row, u_row) in enumerate(zip(m, u, strict=True)):
        table = np.log(np.array(m_row)) - np.log(np.array(u_row))
        log_ratio += np.append(table, 0.0)[levels[:, f]]
    share = 0.1
    for _ in range(EM_ITERATIONS):
        log_odds = np.clip(log_ratio + np.log(share / (1 - share)), -700, 700)
        new_share = float((counts / (1.0 + np.exp(-log_odds))).sum() / counts.sum())
        new_share = min(max(new_share, MIN_PROBABILITY), 1 - MIN_PROBABILITY)
        if abs(new_share - share) < CONVERGED * share:
            return new_share
        share = new_share
    return share
