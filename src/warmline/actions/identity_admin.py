"""Looking after identity resolution: learn the match model from the organisation's own
records, set the thresholds (and see what they would change), and find duplicates among
existing customers after an import.

Training and dedupe read every customer record's match profile (built from its own
traits and identifiers, see :mod:`warmline.actions.projection.match_index`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.actions.merges import lock_merges, record_merge
from warmline.domain.access.roles import LOCAL_ADMIN, Actor
from warmline.domain.identity.evidence import evidence_json
from warmline.domain.identity.matching import (
    Decision,
    MatchRecord,
    Thresholds,
    apart,
    namesake_at_home,
)
from warmline.domain.identity.matching.dedupe import PairFinding, find_duplicates
from warmline.domain.ids import stable_id
from warmline.errors import Conflict, InvalidRequest
from warmline.storage import identity_queries as iq
from warmline.storage import schema as t
from warmline.storage.engine import writing
from warmline.storage.identity_config import forget_current, load_matching
from warmline.training.matching import NotEnoughData, train
from warmline.training.matching_check import check_pairs, evaluate, worse

DEDUPE = "warmline.dedupe"


def live_records(conn: Connection) -> dict[str, MatchRecord]:
    """Every customer record that is not erased, with its match record."""
    m, c = t.match_profiles, t.customers
    rows = conn.execute(
        sa.select(m.c.origin_id, m.c.record)
        .join(c, c.c.id == m.c.origin_id)
        .where(c.c.status != "erased")
        .order_by(m.c.origin_id)
    )
    return {origin: MatchRecord.from_json(record) for origin, record in rows}


def train_model(
    engine: Engine,
    *,
    seed: int = 0,
    max_pairs: int = 1_000_000,
    progress: Callable[[int, int], None] | None = None,
    actor: Actor = LOCAL_ADMIN,
    force: bool = False,
) -> dict[str, Any]:
    """Learn m/u weights without labels from every record, check the model against the one
    in force on pairs whose truth is known (:mod:`warmline.training.matching_check`), store
    it as the model in force (keeping the thresholds) and return it with both figures.

    A model whose links are less precise, or that would put many more pairs to a person,
    is refused with the figures (``model_worse``), unless ``force``.
    """
    with engine.connect() as conn:
        records = list(live_records(conn).values())
        current = load_matching(conn)
    try:
        model = train(records, seed=seed, max_pairs=max_pairs, progress=progress)
    except NotEnoughData as exc:
        raise InvalidRequest(
            "not_enough_data", str(exc), hint="the model in force stays; train again later"
        ) from None
    pairs = check_pairs(records, seed=seed)
    checked = {
        "in force": evaluate(current.model, current.thresholds, pairs),
        "trained": evaluate(model, current.thresholds, pairs),
    }
    if (why := worse(checked["trained"], checked["in force"])) and not force:
        raise InvalidRequest(
            "model_worse",
            f"the trained model does worse than the one in force on {len(pairs):,} check "
            f"pairs: {'; '.join(why)}. Trained: {checked['trained'].describe()}. "
            f"In force: {checked['in force'].describe()}",
            hint="the model in force stays; train again with more records, or --force",
        )
    thresholds = {"link": current.thresholds.link, "review": current.thresholds.review}
    model_id = "mdl_" + secrets.token_hex(8)
    with writing(engine) as conn, conn.begin():
        conn.execute(t.match_models.update().values(active=False))
        conn.execute(
            t.match_models.insert().values(
                id=model_id,
                trained_at=model.trained_at,
                records=model.records,
                pairs=model.pairs,
                model=model.to_json(),
                thresholds=thresholds,
                active=True,
                trained_by=actor.key_id,
            )
        )
        detail = {"model_id": model_id, "records": model.records, "pairs": model.pairs}
        append_chained(conn, [audit_row(actor, "identity.trained", None, detail)])
    forget_current()
    return {"id": model_id, "model": model, "thresholds": thresholds, "checked": checked}


def set_thresholds(
    engine: Engine, *, link: float, review: float, actor: Actor = LOCAL_ADMIN
) -> Thresholds:
    """Put new link and review thresholds in force (for the model in force)."""
    try:
        thresholds = Thresholds(link=link, review=review)
    except ValueError as exc:
        raise InvalidRequest(
            "invalid_thresholds", str(exc), hint="e.g. --link 0.99 --review 0.9"
        ) from None
    values = {"link": link, "review": review}
    with writing(engine) as conn, conn.begin():
        m = t.match_models
        updated = conn.execute(m.update().where(m.c.active.is_(True)).values(thresholds=values))
        if updated.rowcount == 0:  # the shipped default model, now with thresholds of its own
            conn.execute(
                m.insert().values(
                    id="mdl_" + secrets.token_hex(8),
                    trained_at=dt.datetime.now(dt.UTC),
                    records=0,
                    pairs=0,
                    model={"default": True},
                    thresholds=values,
                    active=True,
                    trained_by=actor.key_id,
                )
            )
        append_chained(conn, [audit_row(actor, "identity.thresholds", None, values)])
    forget_current()
    return thresholds


def threshold_effect(
    engine: Engine, proposed: Thresholds, progress: Callable[[int], None] | None = None
) -> dict[str, Counter[str]]:
    """How the candidate pairs of the memory split into link / review / new under the
    thresholds in force and under ``proposed``."""
    with engine.connect() as conn:
        records = live_records(conn)
        config = load_matching(conn)
    out: dict[str, Counter[str]] = {}
    loosest = Thresholds(
        link=min(config.thresholds.link, proposed.link),
        review=min(config.thresholds.review, proposed.review),
    )
    pairs = find_duplicates(records, config.model, loosest, progress)
    for name, thresholds in (("in force", config.thresholds), ("proposed", proposed)):
        out[name] = Counter(_band(p, thresholds) for p in pairs)
    return out


def _band(pair: PairFinding, thresholds: Thresholds) -> str:
    p = pair.comparison.probability
    if pair.decision.outcome == "link" and p >= thresholds.link:
        return "link"
    return "review" if p >= thresholds.review else "new"


@dataclass
class DedupeReport:
    pairs: int = 0
    merged: int = 0
    suggested: int = 0
    #: Pairs that would link, left alone: their customers are two people.
    held_as_relatives: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    merges: list[str] = field(default_factory=list)


def dedupe(
    engine: Engine,
    *,
    apply: bool,
    progress: Callable[[int], None] | None = None,
    actor: Actor = LOCAL_ADMIN,
) -> DedupeReport:
    """Find duplicates among existing customers with the same scoring as ingest: pairs
    above the link threshold are merged (rule ``dedupe``, undoable), pairs between the
    thresholds become suggestions. ``apply=False`` only counts."""
    with engine.connect() as conn:
        records = live_records(conn)
        config = load_matching(conn)
    findings = find_duplicates(records, config.model, config.thresholds, progress)
    report = DedupeReport(pairs=len(findings))
    now = dt.datetime.now(dt.UTC)
    with writing(engine) as conn:
        transaction = conn.begin()  # one transaction: all of it, or (a dry run) none of it
        lock_merges(conn)
        settled = _decided_pairs(conn)
        members = _members(conn)
        for pair in findings:
            left, right = iq.live_root(conn, pair.left_id), iq.live_root(conn, pair.right_id)
            if left == right:
                report.skipped["already one customer"] += 1
            elif frozenset((pair.left_id, pair.right_id)) in settled:
                report.skipped["decided before by a person"] += 1
            elif pair.decision.outcome == "link":
                # Judged as people: every record of one customer against every record of
                # the other, so a record without a birth date cannot join father and son.
                ours, theirs = (
                    [records[r] for r in members.get(root, {root}) if r in records]
                    for root in (left, right)
                )
                if apart(ours, theirs):
                    report.held_as_relatives += 1  # two people: neither merged nor asked
                    continue
                if said := namesake_at_home(ours, theirs, pair.comparison):
                    decision = Decision("review", (said, *pair.decision.reasons))
                    report.suggested += _suggest_pair(conn, pair._replace(decision=decision), now)
                    continue
                merged = _merge_pair(conn, pair, left, right, actor, now, report)
                if merged is not None:
                    older, newer = merged
                    members[older] = members.get(older, {older}) | members.pop(newer, {newer})
            else:
                report.suggested += _suggest_pair(conn, pair, now)
        if apply:
            transaction.commit()
        else:
            transaction.rollback()
    return report


def _members(conn: Connection) -> dict[str, set[str]]:
    """Live customer -> its records (itself and those merged into it), for customers of
    more than one record."""
    c = t.customers
    members: dict[str, set[str]] = {}
    rows = conn.execute(sa.select(c.c.id, c.c.merged_into).where(c.c.status == "merged"))
    for record, root in rows:
        members.setdefault(root, {root}).add(record)
    return members


def _merge_pair(
    conn: Connection,
    pair: PairFinding,
    left: str,
    right: str,
    actor: Actor,
    now: dt.datetime,
    report: DedupeReport,
) -> tuple[str, str] | None:
    """Merge the newer customer into the older; returns (older, newer), None if refused."""
    c = t.customers
    since = dict(
        conn.execute(sa.select(c.c.id, c.c.created_at).where(c.c.id.in_([left, right]))).all()
    )
    # The newer customer joins the older one, which keeps its id.
    older, newer = sorted((left, right), key=lambda cid: (since[cid], cid))
    try:
        merge = record_merge(
            conn,
            from_id=newer,
            into_id=older,
            actor=actor,
            reason="batch dedupe",
            rule="dedupe",
            suggestion_id=None,
            override_conflicts=False,
            now=now,
            score=pair.comparison.probability,
            evidence=evidence_json(pair.comparison, pair.decision),
        )
    except Conflict:
        report.skipped["conflicting verified identifiers"] += 1
        return None
    report.merged += 1
    report.merges.append(str(merge["id"]))
    return older, newer


def _suggest_pair(conn: Connection, pair: PairFinding, now: dt.datetime) -> int:
    """Record the pair as a suggestion; 0 if it was suggested before."""
    evidence = evidence_json(pair.comparison, pair.decision)
    suggestion_id = stable_id("sug", DEDUPE, pair.left_id, pair.right_id)
    exists = conn.execute(
        sa.select(t.merge_suggestions.c.id).where(t.merge_suggestions.c.id == suggestion_id)
    ).first()
    if exists:
        return 0
    conn.execute(
        t.merge_suggestions.insert().values(
            id=suggestion_id,
            customer_id=max(pair.left_id, pair.right_id),
            candidate_id=min(pair.left_id, pair.right_id),
            source="dedupe",
            status="open",
            score=pair.comparison.probability,
            evidence=evidence,
            reasons=evidence["reasons"],
            created_at=now,
        )
    )
    return 1


def _decided_pairs(conn: Connection) -> set[frozenset[str]]:
    """Pairs a person already ruled on: rejected suggestions and undone merges."""
    s, m = t.merge_suggestions, t.merges
    pairs = {
        frozenset(r)
        for r in conn.execute(
            sa.select(s.c.customer_id, s.c.candidate_id).where(s.c.status == "rejected")
        )
    }
    pairs.update(
        frozenset(r)
        for r in conn.execute(sa.select(m.c.from_id, m.c.into_id).where(m.c.status == "undone"))
    )
    return pairs
