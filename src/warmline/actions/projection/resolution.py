"""Resolving an event's customer reference to a landing: which record, which customer.

In order:

1. An identifier names a record (:func:`warmline.domain.identity.resolution.resolve`). If the
   match is vouched for (verified on the event), or the event carries no traits, that
   is the record. Otherwise the traits are checked against the record: when they
   disagree with it and do not reach the link threshold together (a shared household
   phone or email), the event gets a new record that also holds the shared
   identifier, and a merge suggestion says why. When the event lands on the named
   record and its traits also link records of other customers (that are not two
   people with the named record), those are joined to it as bridges (rule
   ``auto_link``, undoable): the same person recorded apart, under a mistyped
   identifier or before it was known.
2. A shared identifier held by several records that are all one customer (merged)
   names that customer, through a new record merged into it (rule
   ``shared_identifier``), so undoing the merge that joined them sets it free again.
3. Otherwise the traits are scored against candidate records (Fellegi-Sunter, see
   :mod:`warmline.domain.identity.matching`; records of one customer count as one): above the
   link threshold the event gets a new record merged into the best candidate's
   customer (rule ``auto_link``, undoable; a link that relied on records being one
   customer falls away if they are parted), and any other record it links too (and is
   not two people with the first) is joined the same way; between the thresholds a new
   record and a suggestion; below them a new customer.

Merges and suggestions made here get ids derived from the event, so a rebuild
finds them again instead of making new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from warmline import events as ev
from warmline.actions.projection.batch import Batch
from warmline.actions.projection.rows import BRIDGE, Landing, Outcome, new_row
from warmline.domain.identity.evidence import decide_pair, evidence_json
from warmline.domain.identity.identifiers import UNNORMALISED, Identifier, is_mobile
from warmline.domain.identity.matching import (
    Comparison,
    CustomerOf,
    Decision,
    MatchRecord,
    MatchResult,
    apart,
    assess,
    compare,
    namesake_at_home,
    person_record,
    resolve_against,
    two_people,
)
from warmline.domain.identity.matching.model import FIELDS
from warmline.domain.identity.resolution import Holder, resolve, shareable
from warmline.domain.ids import stable_id
from warmline.storage import schema as t
from warmline.storage.bulk import insert_rows
from warmline.storage.chunking import chunks
from warmline.storage.identity_config import MatchingConfig, current_matching

INGEST_ACTOR = "warmline.ingest"
#: First-name levels that say "the same first name" (a landline joins only those).
_SAME_FIRST_NAME = frozenset({"exact", "nickname", "close", "swapped"})
Resolved = tuple[Landing, Outcome, frozenset[tuple[str, str]]]


class Resolver:
    """One batch's resolution state: the matching configuration and what it created."""

    def __init__(self, batch: Batch) -> None:
        self.p = batch
        self._config: MatchingConfig | None = None
        self.merges: dict[str, dict[str, Any]] = {}
        self.suggestions: dict[str, dict[str, Any]] = {}
        #: Customers a record showed to be the customer it linked to: the batch joins them
        #: once its rows are written (:func:`warmline.actions.ingest.project_batch`).
        self.bridged: set[str] = set()

    @property
    def config(self) -> MatchingConfig:
        if self._config is None:
            self._config = current_matching(self.p.conn)
        return self._config

    def resolve(self, ref: ev.CustomerRef, event: ev.Event) -> Resolved:
        p = self.p
        idents = [i.to_identifier() for i in ref.identifiers]
        holders = {
            (i.kind, i.value): [
                Holder(o.origin_id, o.verified) for o in p.owners[(i.kind, i.value)]
            ]
            for i in idents
        }
        found = resolve(idents, holders)
        probe = p.index.probe(ref)
        if found.customer_id is not None:
            origin = found.customer_id
            named = _named(idents, holders)
            if probe is not None and not found.verified and len(named) > 1:
                # The first record an identifier names may be a relative's (the family
                # email); another identifier of the event may name the person themselves.
                origin = self._agreeing(probe, named) or origin
            if probe is None or found.verified:
                resolved = self._known(origin)
            else:
                unnormalised = frozenset(
                    (i.kind, i.value) for i in idents if i.quality == UNNORMALISED
                )
                resolved = self._check_unvouched(event, probe, origin, holders, unnormalised)
            if resolved[1].resolution == "known":
                if len(named) > 1:
                    self._join_holders(event, probe, origin, named)
                if probe is not None:
                    self._join_matching(event, probe, origin)
            return resolved
        roots = {p.live(c) for c in found.candidates}
        if len(roots) == 1 and len(found.candidates) > 1:
            # Several records hold it, and they are all one customer now.
            root = roots.pop()
            evidence = {"holders": list(found.candidates), "reasons": ["shares an identifier"]}
            return self._linked(event, root, "shared_identifier", None, evidence, "known")
        if probe is not None:
            candidates = p.index.candidates(probe, also=found.candidates)
            customer_of = CustomerOf(candidates, p.live)
            model, thresholds = self.config.model, self.config.thresholds
            result = resolve_against(
                probe, candidates, model, thresholds, customer_of, self.records_of
            )
            best, comparison = result.best_id, result.comparison
            if best is not None:  # the customers of the candidates that scored, in one read
                p.load_customers([best, *(o.candidate_id for o in result.others)])
            if best is not None and comparison is not None:
                if result.decision.outcome == "link":
                    evidence = evidence_json(comparison, result.decision)
                    if grouped := self._grouped(probe, candidates, result, customer_of):
                        evidence["grouped"] = grouped
                    score = comparison.probability
                    resolved = self._linked(
                        event, customer_of[best], "auto_link", score, evidence, "linked", best
                    )
                    self._bridges(event, probe, resolved[0].origin_id, result, customer_of, grouped)
                    return resolved
                new = p.new_record(event)
                self._suggest(event, new, best, comparison, result.decision)
                outcome = Outcome(new, None, new, "review", (p.live(best),))
                return Landing(new, new), outcome, frozenset()
        new = p.new_record(event)
        kind = "ambiguous" if found.candidates else "new"
        outcome = Outcome(new, None, new, kind, tuple(sorted(roots)))
        return Landing(new, new), outcome, frozenset()

    def _grouped(
        self,
        probe: MatchRecord,
        candidates: dict[str, MatchRecord],
        result: MatchResult,
        customer_of: Mapping[str, str],
    ) -> list[str]:
        """Records that had to be one customer for this link: without that, the record
        would match "two people" about as well and be a review. Undoing the merge that
        joined them undoes this link too (see :mod:`warmline.actions.projection.clustering`)."""
        assert result.best_id is not None
        home = customer_of[result.best_id]
        same = [
            o.candidate_id
            for o in result.others
            if o.decision.outcome == "link" and customer_of[o.candidate_id] == home
        ]
        if not same:
            return []
        alone = resolve_against(probe, candidates, self.config.model, self.config.thresholds)
        return [] if alone.decision.outcome == "link" else sorted([result.best_id, *same])

    def _bridges(
        self,
        event: ev.Event,
        probe: MatchRecord,
        new: str,
        result: MatchResult,
        customer_of: Mapping[str, str],
        grouped: list[str],
    ) -> None:
        """The record also links other records that are not two people with the best: it
        shows they are one person. Each such record is joined to it (rule ``auto_link``,
        recorded and undoable like any merge); joining records of one customer already
        changes nothing, so this does not depend on earlier merges either."""
        assert result.best_id is not None
        ours: list[MatchRecord] | None = None
        for other in result.others:
            if other.decision.outcome != "link":
                continue
            if customer_of[other.candidate_id] != customer_of[result.best_id]:
                if ours is None:
                    ours = [probe, *self.records_of(result.best_id)]
                theirs = self.records_of(other.candidate_id)
                if apart(ours, theirs) or namesake_at_home(ours, theirs, other.comparison):
                    continue  # two people, or no telling which of two of one name
            self._bridge(event, other.candidate_id, new, other.comparison, other.decision, grouped)
            if customer_of[other.candidate_id] != customer_of[result.best_id]:
                self.bridged.update((customer_of[other.candidate_id], customer_of[result.best_id]))

    def _agreeing(self, probe: MatchRecord, named: list[tuple[str, Identifier]]) -> str | None:
        """The first record the event's identifiers name that its traits do not contradict,
        judged as a person (every record of its customer)."""
        model = self.config.model
        for record_id, _ in named:
            record = self.p.index.profile(record_id).record
            comparison = compare(probe, record, model)
            if _contradicts(comparison, probe, record):
                continue
            records = self.records_of(record_id)
            if len(records) == 1 or not apart([probe], records):
                return record_id
        return None

    def _join_holders(
        self,
        event: ev.Event,
        probe: MatchRecord | None,
        origin: str,
        named: list[tuple[str, Identifier]],
    ) -> None:
        """The event's other identifiers name records of other customers: the same person
        recorded apart (a voice record holding only the mobile, a chat record holding only
        the email). Each is joined to the event's record as a bridge (recorded, undoable)
        unless the records disagree, or the customers are two people; a landline (often a
        household's) joins only a record whose first name agrees."""
        p = self.p
        home = p.live(origin)
        basis = probe if probe is not None else p.index.profile(origin).record
        ours: list[MatchRecord] | None = None
        model = self.config.model
        for record_id, ident in named:
            if record_id == origin or p.live(record_id) == home:
                continue
            record = p.index.profile(record_id).record
            comparison = compare(basis, record, model)
            if _contradicts(comparison, basis, record) and not (
                _own(ident) and _renamed_or_moved(comparison, basis, record)
            ):
                continue  # but one's own email or mobile under a new surname or address
            if ident.quality == UNNORMALISED or (
                ident.kind == "phone"
                and not is_mobile(ident.value)
                and comparison.level("first_name") not in _SAME_FIRST_NAME
            ):
                continue
            if ours is None:
                ours = [basis, *self.records_of(origin)]
            if apart(ours, self.records_of(record_id)):
                continue
            reason = f"holds this event's {ident.kind.replace('_', ' ')}"
            self._bridge(event, record_id, origin, comparison, Decision("link", (reason,)), [])
            self.bridged.update((p.live(record_id), home))

    def _join_matching(self, event: ev.Event, probe: MatchRecord, origin: str) -> None:
        """An identifier named the event's record; its traits may also link records of
        other customers: the same person recorded apart (a mistyped identifier, a record
        from before the identifier was known). Each such record is joined to the named
        one as a bridge (recorded, undoable), unless the two must be two people. Records
        already of this customer are left alone (one bridge per event and record would
        pile up with every update a known customer sends)."""
        p = self.p
        home = p.live(origin)
        ours: list[MatchRecord] | None = None
        person: MatchRecord | None = None
        model, thresholds = self.config.model, self.config.thresholds
        for candidate, record in p.index.candidates(probe).items():
            if candidate == origin or p.live(candidate) == home:
                continue
            assessed = assess(probe, record, model, thresholds)
            if assessed is None or assessed[1].outcome != "link":
                # What the customer's other records know may link it (the name as the
                # event gives it, the postcode another record holds).
                if person is None:
                    ours = [probe, *self.records_of(origin)]
                    person = person_record(probe, ours)
                if person is probe:
                    continue
                assessed = assess(person, record, model, thresholds)
                if assessed is None or assessed[1].outcome != "link":
                    continue
            if ours is None:
                ours = [probe, *self.records_of(origin)]
            theirs = self.records_of(candidate)
            if apart(ours, theirs) or namesake_at_home(ours, theirs, assessed[0]):
                continue  # the event matches both, and they are two people: not ours to join
            self._bridge(event, candidate, origin, *assessed, grouped=[])
            self.bridged.update((p.live(candidate), home))

    def _bridge(
        self,
        event: ev.Event,
        other: str,
        into: str,
        comparison: Comparison,
        matched: Decision,
        grouped: list[str],
    ) -> None:
        """Record the merge of record ``other`` into ``into``: the event's record matches
        both, so they are one person."""
        reason = "this record matches both: they are one person"
        evidence = evidence_json(comparison, Decision("link", (reason, *matched.reasons)))
        # Made at the same event time as the event's own link, and after it: replaying the
        # merges (an undo, a rebuild) must join them in that order (see actions/clustering.py).
        evidence[BRIDGE] = True
        if grouped:  # stands or falls with the link it came with
            evidence["grouped"] = grouped
        merge_id = stable_id("mrg", event.source, event.id, other)
        self.merges[merge_id] = self._merge_row(
            merge_id, other, into, comparison.probability, evidence, event
        )

    def records_of(self, origin: str) -> list[MatchRecord]:
        """Every record of the customer ``origin`` belongs to: what the relatives rules
        judge a person by (see ``matching.apart``)."""
        p = self.p
        members = p.members(origin)
        p.index.load_candidates(members)
        return [p.index.profile(member).record for member in members]

    def _known(self, origin: str) -> Resolved:
        live = self.p.live(origin)
        return Landing(live, origin), Outcome(live, None, origin, "known"), frozenset()

    def _check_unvouched(
        self,
        event: ev.Event,
        probe: MatchRecord,
        origin: str,
        holders: dict[tuple[str, str], list[Holder]],
        unnormalised: frozenset[tuple[str, str]],
    ) -> Resolved:
        """An unverified identifier named ``origin``: do the event's traits agree?
        (``unnormalised``: the event's identifiers kept as written.)"""
        p = self.p
        record = p.index.profile(origin).record
        comparison, decision = decide_pair(probe, record, self.config.model, self.config.thresholds)
        shared = frozenset(
            key for key, hs in holders.items() if any(h.customer_id == origin for h in hs)
        )
        own = any(
            key not in unnormalised
            and (key[0] == "email" or (key[0] == "phone" and is_mobile(key[1])))
            for key in shared
        )
        if (
            decision.outcome == "link"
            or not _contradicts(comparison, probe, record)
            or (own and _renamed_or_moved(comparison, probe, record))
        ):
            # The identifier says so and nothing in the record says otherwise (but a new
            # surname or address, under one person's own email or mobile); nor may
            # anything known of the customer (a record without a birth date cannot make the
            # son one customer with the father, by the family email).
            records = self.records_of(origin)
            if len(records) == 1 or not apart([probe], records):
                return self._known(origin)
            decision = Decision("new", decision.reasons)  # the customer's relative
        # Somebody else with the same phone or email: never joined; a question for a
        # person only when the traits say it may well be one person.
        new = p.new_record(event)
        asked = decision.outcome == "review" and not shared <= unnormalised
        if asked:  # text kept as written ("n/a") is no reason to ask anyone anything
            self._suggest(event, new, origin, comparison, decision)
        outcome = Outcome(new, None, new, "review" if asked else "new", (p.live(origin),))
        return Landing(new, new), outcome, shared

    def _linked(
        self,
        event: ev.Event,
        root: str,
        rule: str,
        score: float | None,
        evidence: dict[str, Any],
        resolution: str,
        into: str | None = None,
    ) -> Resolved:
        """A new record for the event, joined to customer ``root`` (unless rebuilding).

        The merge is recorded into ``into``, the record the event matched (default: the
        root): were that record parted from ``root`` later, the new one goes with it."""
        p = self.p
        new = p.new_record(event)
        merge_id = stable_id("mrg", event.source, event.id)
        self.merges[merge_id] = self._merge_row(
            merge_id, new, into or root, score, evidence, event, rule
        )
        if not p.apply_merges:
            return Landing(new, new), Outcome(new, None, new, resolution), frozenset()
        p.join_new(new, root)
        return Landing(root, new), Outcome(root, None, new, resolution), frozenset()

    @staticmethod
    def _merge_row(
        merge_id: str,
        from_id: str,
        into_id: str,
        score: float | None,
        evidence: dict[str, Any],
        event: ev.Event,
        rule: str = "auto_link",
    ) -> dict[str, Any]:
        return new_row(
            t.merges,
            id=merge_id,
            from_id=from_id,
            into_id=into_id,
            rule=rule,
            score=score,
            evidence=evidence,
            actor=INGEST_ACTOR,
            made_at=event.time,
        )

    def _suggest(
        self,
        event: ev.Event,
        new: str,
        candidate: str,
        comparison: Comparison,
        decision: Decision,
        *key: str,
    ) -> None:
        evidence = evidence_json(comparison, decision)
        suggestion_id = stable_id("sug", event.source, event.id, *key)
        self.suggestions[suggestion_id] = {
            "id": suggestion_id,
            "customer_id": new,
            "candidate_id": candidate,
            "source": "ingest",
            "status": "open",
            "score": comparison.probability,
            "evidence": evidence,
            "reasons": evidence["reasons"],
            "created_at": event.time,
            "customer_answer": None,
            "answered_by": None,
            "answered_at": None,
            "decided_at": None,
            "decided_by": None,
            "decision_note": None,
            "merge_id": None,
        }

    def flush(self) -> None:
        """Record the batch's merges and suggestions (a rebuild finds them stored)."""
        conn = self.p.conn
        for table, rows in ((t.merges, self.merges), (t.merge_suggestions, self.suggestions)):
            if not rows:
                continue
            stored: set[str] = set()
            for chunk in chunks(rows):
                stored.update(
                    conn.execute(sa.select(table.c.id).where(table.c.id.in_(chunk))).scalars()
                )
            fresh = [row for key, row in rows.items() if key not in stored]
            if fresh:
                insert_rows(conn, table, fresh)
            rows.clear()


def _named(
    idents: list[Identifier], holders: dict[tuple[str, str], list[Holder]]
) -> list[tuple[str, Identifier]]:
    """The records the event's identifiers name one by one (an identifier held by one
    record, or verified on one of several), personal identifiers first."""
    named: dict[str, Identifier] = {}
    for ident in sorted(idents, key=shareable):
        owners = holders.get((ident.kind, ident.value), [])
        verified = [o for o in owners if o.verified]
        if len(owners) == 1:
            named.setdefault(owners[0].customer_id, ident)
        elif len(verified) == 1 and not shareable(ident):
            named.setdefault(verified[0].customer_id, ident)
    return list(named.items())


#: What a life changes: the surname (a marriage) and the address (a move).
_LIFE_CHANGES = frozenset(
    FIELDS.index(name)
    for name in ("last_name", "street_number", "street", "locality", "postcode",
                 "street_within_postcode", "locality_within_postcode")
)  # fmt: skip


def _renamed_or_moved(comparison: Comparison, new: MatchRecord, record: MatchRecord) -> bool:
    """Whether the records disagree only on what a life changes (the surname, the
    address) while the first names agree and nothing says two people: under one
    person's own email or mobile, the same person married or moved."""
    if comparison.level("first_name") not in _SAME_FIRST_NAME - {"swapped"}:
        return False
    disagree = [i for i, weight in enumerate(comparison.weights) if weight < 0]
    return all(i in _LIFE_CHANGES for i in disagree) and not two_people(new, record, comparison)


def _own(ident: Identifier) -> bool:
    """Whether an identifier is most likely one person's own: an email address, or a mobile
    number, kept normalised (a landline is often a household's)."""
    if ident.quality == UNNORMALISED:
        return False
    return ident.kind == "email" or (ident.kind == "phone" and is_mobile(ident.value))


def _contradicts(comparison: Comparison, new: MatchRecord, record: MatchRecord) -> bool:
    """Whether a record's traits speak against the event's: a field that disagrees, or
    something that says two people."""
    return any(weight < 0 for weight in comparison.weights) or bool(
        two_people(new, record, comparison)
    )
