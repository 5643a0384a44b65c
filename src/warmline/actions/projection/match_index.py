"""The match index inside a projection batch: one profile per customer record, and its
blocking keys, kept in step with the record's own traits and identifiers.

A profile is built from the record's OWN traits and identifiers only (never from the
customer it may have been merged into), so what an event matches does not depend on
merges. Candidates for a new record come from the stored keys (looked up once per
batch) and from the records this batch created or changed (an in-batch index), so
duplicates inside one import find each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from warmline import events as ev
from warmline.domain.identity.identifiers import UNNORMALISED
from warmline.domain.identity.matching import BLOCK_CAP, MatchRecord, blocking_keys, record_from
from warmline.domain.profile.traits import Fact, fold_fact
from warmline.storage import projection_reads as reads
from warmline.storage import schema as t
from warmline.storage.bulk import insert_rows
from warmline.storage.chunking import chunks

#: Traits that take part in matching; the others never reach a profile.
MATCH_TRAITS = (
    "name", "date_of_birth", "address", "postcode", "former_name", "former_address",
    "former_postcode",
)  # fmt: skip
#: Traits whose earlier values a record keeps (a maiden name, the address before a move),
#: each as the former trait it is matched as.
HISTORY = {"name": "former_name", "address": "former_address", "postcode": "former_postcode"}
MAX_FORMER = 4
#: Identifier kinds that are session handles, not evidence about a person.
NOT_EVIDENCE = frozenset({"chat_session", "device"})
MAX_PER_KIND = 10


@dataclass
class Profile:
    """A record's matching inputs and the comparison-ready record built from them."""

    #: None until read: a match candidate is read for its stored record only.
    inputs: dict[str, Any] | None
    new: bool
    dirty: bool = False
    keys: list[str] | None = None  # stored keys, None until known
    #: The record as stored with the inputs (``MatchRecord.to_json``), while they agree.
    stored: dict[str, Any] | None = None
    _record: MatchRecord | None = None

    @property
    def record(self) -> MatchRecord:
        if self._record is None:
            self._record = self._from_stored() or self._from_inputs()
        return self._record

    def has_stored_record(self) -> bool:
        """Whether the record can be rebuilt from its stored form (it is, and kept)."""
        if self._record is None and self.stored:
            self._record = self._from_stored()
        return self._record is not None

    def _from_stored(self) -> MatchRecord | None:
        # Rebuilding from the stored record skips parsing names and addresses again: most
        # of the cost of resolving against a large memory is reading candidates.
        if not self.stored:
            return None
        try:
            return MatchRecord.from_json(self.stored)
        except ValueError:  # stored by another version of the record
            return None

    def _from_inputs(self) -> MatchRecord:
        assert self.inputs is not None, "a record without usable stored form reads its inputs"
        traits: dict[str, Any] = {k: e["value"] for k, e in self.inputs["traits"].items()}
        for key, values in self.inputs.get("former", {}).items():
            given = traits.get(HISTORY[key])
            traits[HISTORY[key]] = [*([given] if given else []), *values]
        idents = [(k, v, bool(verified)) for k, v, verified in self.inputs["identifiers"]]
        return record_from(traits, idents)

    def changed(self) -> None:
        self.dirty = True
        self.stored = None
        self._record = None


def probe_record(ref: ev.CustomerRef) -> MatchRecord | None:
    """The record an event describes, if it carries traits to match on."""
    traits = ref.traits.model_dump(mode="json", exclude_none=True) if ref.traits else {}
    matching = {k: traits[k] for k in MATCH_TRAITS if k in traits}
    if not matching:
        return None
    return record_from(
        matching,
        [
            (i.kind, i.value, i.verified)
            for i in ref.identifiers
            if i.kind not in NOT_EVIDENCE and i.quality != UNNORMALISED
        ],
    )


@dataclass
class MatchIndex:
    """Profiles and blocking keys of the records one batch touches."""

    conn: Connection
    profiles: dict[str, Profile] = field(default_factory=dict)
    stored: dict[str, set[str]] = field(default_factory=dict)  # key -> records, from the DB
    batch: dict[str, set[str]] = field(default_factory=dict)  # key -> records, this batch
    stale: set[str] = field(default_factory=set)  # changed since their keys were indexed
    probes: dict[int, MatchRecord | None] = field(default_factory=dict)  # by id of the ref

    def probe(self, ref: ev.CustomerRef) -> MatchRecord | None:
        """The record an event describes (built once per event)."""
        key = id(ref)
        if key not in self.probes:
            self.probes[key] = probe_record(ref)
        return self.probes[key]

    def preload(self, refs: Iterable[ev.CustomerRef]) -> set[str]:
        """Look up the stored blocking keys of every record the batch describes; return
        the candidate records found."""
        wanted: set[str] = set()
        for ref in refs:
            probe = self.probe(ref)
            if probe is not None:
                wanted.update(k for k in blocking_keys(probe) if k not in self.stored)
        found: set[str] = set()
        for chunk in chunks(wanted):
            for key, origin in reads.MATCH_KEYS.rows(self.conn, keys=chunk):
                self.stored.setdefault(key, set()).add(origin)
        for key in wanted:
            origins = self.stored.setdefault(key, set())
            if len(origins) <= BLOCK_CAP:
                found.update(origins)
        return found

    def load_profiles(self, origins: Iterable[str]) -> None:
        """Read the profiles of records this batch may change (inputs and record)."""
        missing = [o for o in origins if o not in self.profiles or self.profiles[o].inputs is None]
        for chunk in chunks(missing):
            for origin, inputs, record in reads.MATCH_PROFILES.rows(self.conn, ids=chunk):
                self.profiles[origin] = Profile(inputs, new=False, stored=record)
        for origin in missing:  # records from before the index existed start empty
            self.profiles.setdefault(origin, Profile(_empty(), new=True))

    def load_candidates(self, origins: Iterable[str]) -> None:
        """Read the stored records of match candidates, and nothing else: most are only
        compared (and many not even that: the event named its customer)."""
        missing = [o for o in origins if o not in self.profiles]
        for chunk in chunks(missing):
            for origin, record in reads.MATCH_RECORDS.rows(self.conn, ids=chunk):
                self.profiles[origin] = Profile(None, new=False, stored=record)
        for origin in missing:  # records from before the index existed start empty
            self.profiles.setdefault(origin, Profile(_empty(), new=True))

    def new_profile(self, origin: str) -> None:
        self.profiles.setdefault(origin, Profile(_empty(), new=True, dirty=True))

    def profile(self, origin: str) -> Profile:
        """The record's profile, able to give its record: a candidate's stored in another
        version's form is read in full, to be rebuilt from its inputs."""
        profile = self.profiles.get(origin)
        if profile is None or (profile.inputs is None and not profile.has_stored_record()):
            self.load_profiles([origin])
        return self.profiles[origin]

    def _editable(self, origin: str) -> Profile:
        """The profile with its inputs, to change them."""
        if origin not in self.profiles or self.profiles[origin].inputs is None:
            self.load_profiles([origin])
        return self.profiles[origin]

    def add_identifier(self, origin: str, kind: str, value: str, verified: bool) -> None:
        if kind in NOT_EVIDENCE:
            return
        profile = self._editable(origin)
        assert profile.inputs is not None
        idents: list[list[Any]] = profile.inputs["identifiers"]
        for entry in idents:
            if entry[0] == kind and entry[1] == value:
                if verified and not entry[2]:
                    entry[2] = True
                    self._reindex(origin, profile)
                return
        if sum(1 for entry in idents if entry[0] == kind) >= MAX_PER_KIND:
            return
        idents.append([kind, value, verified])
        self._reindex(origin, profile)

    def record_facts(self, origin: str, facts: Sequence[Fact]) -> None:
        matching = [f for f in facts if f.key in MATCH_TRAITS]
        if not matching:
            return
        profile = self._editable(origin)
        inputs = profile.inputs
        assert inputs is not None
        for fact in matching:
            before = inputs["traits"].get(fact.key)
            fold_fact(inputs["traits"], fact)
            if fact.key in HISTORY:
                # A value this record no longer gives (a maiden name, the address before a
                # move) is kept: records written before the change still match it.
                now = inputs["traits"][fact.key]["value"]
                for value in (before["value"] if before else None, fact.value):
                    if value and value != now:
                        _keep_former(inputs, fact.key, value)
        self._reindex(origin, profile)

    def _reindex(self, origin: str, profile: Profile) -> None:
        # Keys are recomputed when a candidate search or the flush needs them, so a record
        # changed several times by one event (identifiers, then traits) is built once.
        profile.changed()
        self.stale.add(origin)

    def _refresh(self) -> None:
        for origin in self.stale:
            for key in blocking_keys(self.profiles[origin].record):
                self.batch.setdefault(key, set()).add(origin)
        self.stale.clear()

    def candidates(self, probe: MatchRecord, also: Iterable[str] = ()) -> dict[str, MatchRecord]:
        """Records sharing a blocking key with ``probe`` (stored or from this batch), plus
        ``also``, with their current records."""
        self._refresh()
        found: set[str] = set(also)
        for key in blocking_keys(probe):
            stored = self.stored.get(key, set())
            if len(stored) <= BLOCK_CAP:
                found.update(stored)
            found.update(self.batch.get(key, ()))
        return {origin: self.profile(origin).record for origin in sorted(found)}

    def flush(self) -> None:
        """Write changed profiles and replace their blocking keys."""
        dirty = {o: p for o, p in self.profiles.items() if p.dirty}
        if not dirty:
            return
        m, k = t.match_profiles, t.match_keys
        old = [o for o, p in dirty.items() if not p.new]
        for chunk in chunks(old):
            self.conn.execute(m.delete().where(m.c.origin_id.in_(chunk)))
            self.conn.execute(k.delete().where(k.c.origin_id.in_(chunk)))
        insert_rows(
            self.conn,
            m,
            [
                {"origin_id": o, "inputs": p.inputs, "record": p.record.to_json()}
                for o, p in dirty.items()
            ],
        )
        keys = [{"key": key, "origin_id": o} for o, p in dirty.items() for key in _keys(p)]
        if keys:
            insert_rows(self.conn, k, keys)
        for profile in dirty.values():
            profile.new = profile.dirty = False
        self.stale.clear()


def _keys(profile: Profile) -> list[str]:
    return list(dict.fromkeys(blocking_keys(profile.record)))


def _keep_former(inputs: dict[str, Any], key: str, value: Any) -> None:
    former: list[Any] = inputs.setdefault("former", {}).setdefault(key, [])
    if value not in former:
        former.append(value)
        del former[:-MAX_FORMER]


def _empty() -> dict[str, Any]:
    return {"traits": {}, "identifiers": []}
