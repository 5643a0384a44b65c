"""Wrap-up at ingest, once per batch: what Warmline works out when contacts change.

* Every ended interaction the batch touched gets a one-line extractive summary
  (:func:`warmline.domain.conversation.summary.summarise`) unless its source sent one, marked
  ``summary_by = "warmline"`` so the desk can say whose words it is.
* An ended interaction that belongs to a case gets its restatement count: the customer's
  problem statements that repeat one made earlier in the case (in an earlier contact,
  or to an earlier agent of this one).
* Every case the batch touched (the case itself, or any of its interactions) gets its
  effort counted again from its interactions and stored on the case, so the card reads
  it in the query it already makes.

Everything is recomputed from the memory as it stands when the batch is written, so
the result does not depend on how events were split into batches: ``warmline
rebuild`` gives the same summaries and counts. Cost per batch: one query for the
touched cases' interactions, one for the messages of ended interactions stored by
earlier batches; the summariser takes ~0.2 ms for a short contact.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from warmline.actions.projection.batch import Batch
from warmline.actions.projection.rows import Row
from warmline.domain.conversation.summary import summarise
from warmline.domain.conversation.turns import Turn
from warmline.domain.effort.case_effort import ContactRow, case_effort
from warmline.domain.effort.restatement import count_restatements
from warmline.models.word_vectors import sentence_vectors
from warmline.storage import schema as t
from warmline.storage.chunking import chunks

WARMLINE = "warmline"
#: Earlier interactions of a case read for restatements (the most recent ones).
EARLIER_CONTACTS = 10

Member = dict[str, Any]


def wrap_up_batch(p: Batch) -> None:
    """Summaries, restatements and case effort for what this batch changed (in place,
    before the projector writes its rows)."""
    rows = {r.values["id"]: r for r in p.anchors["interaction"].values() if r.new or r.dirty}
    ended = [r for r in rows.values() if r.values["status"] == "ended"]
    to_summarise = [r for r in ended if r.values["summary_by"] != "source"]
    case_ids = {r.values["case_id"] for r in rows.values() if r.values["case_id"]}
    case_ids.update(r.values["id"] for r in p.anchors["case"].values() if r.new or r.dirty)
    if not to_summarise and not case_ids:
        return
    members = _case_members(p, case_ids)
    in_cases = [r for r in ended if r.values["case_id"] in members]
    earlier = {r.values["id"]: _earlier(members[r.values["case_id"]], r.values) for r in in_cases}
    wanted = {r.values["id"] for r in (*to_summarise, *in_cases)}
    wanted.update(m["id"] for found in earlier.values() for m in found)
    turns = _turns(p, wanted, {i for i, r in rows.items() if r.new})
    for row in to_summarise:
        line = summarise(turns.get(row.values["id"], ())) or None
        _change(row, summary=line, summary_by=WARMLINE if line else None)
    for row in in_cases:
        before = [turns.get(m["id"], []) for m in earlier[row.values["id"]]]
        restated = count_restatements(before, turns.get(row.values["id"], []), sentence_vectors)
        _change(row, restatements=restated)
        members[row.values["case_id"]][row.values["id"]]["restatements"] = restated
    _store_effort(p, members)


def _change(row: Row, **values: Any) -> None:
    if any(row.values.get(k) != v for k, v in values.items()):
        row.set(**values)


def _case_members(p: Batch, case_ids: set[str]) -> dict[str, dict[str, Member]]:
    """The interactions of each case: stored ones, overlaid with this batch's rows."""
    members: dict[str, dict[str, Member]] = {c: {} for c in case_ids}
    i = t.interactions
    columns = [i.c[k] for k in _MEMBER_KEYS]
    stored_in: dict[str, str] = {}
    for chunk in chunks(case_ids):
        for r in p.conn.execute(sa.select(*columns).where(i.c.case_id.in_(chunk))).mappings():
            members[r["case_id"]][r["id"]] = dict(r)
            stored_in[r["id"]] = r["case_id"]
    for row in p.anchors["interaction"].values():
        values = row.values
        was = stored_in.get(values["id"])
        if was is not None and was != values["case_id"]:
            del members[was][values["id"]]  # moved to another case in this batch
        if values["case_id"] in members:
            members[values["case_id"]][values["id"]] = {k: values[k] for k in _MEMBER_KEYS}
    return members


_MEMBER_KEYS = (
    "id",
    "case_id",
    "channel",
    "started_at",
    "ended_at",
    "transfers",
    "restatements",
    "verified_by",
)


def _in_order(found: Iterable[Member]) -> list[Member]:
    return sorted(found, key=lambda m: (m["started_at"], m["id"]))


def _earlier(found: dict[str, Member], interaction: dict[str, Any]) -> list[Member]:
    key = (interaction["started_at"], interaction["id"])
    before = [m for m in _in_order(found.values()) if (m["started_at"], m["id"]) < key]
    return before[-EARLIER_CONTACTS:]


def _turns(p: Batch, wanted: set[str], new: set[str]) -> dict[str, list[Turn]]:
    """The messages of ``wanted`` interactions as turns, oldest first: stored ones (one
    query; interactions created in this batch have none stored) and this batch's."""
    found: defaultdict[str, list[tuple[Any, ...]]] = defaultdict(list)
    m = t.messages
    stored = sorted(wanted - new)
    columns = (m.c.interaction_id, m.c.sent_at, m.c.id, m.c.speaker, m.c.text, m.c.agent_id)
    for chunk in chunks(stored):
        # Private notes are the agents' own words to each other: never a summary's.
        query = sa.select(*columns).where(m.c.interaction_id.in_(chunk), m.c.private.is_(False))
        for r in p.conn.execute(query):
            found[r[0]].append(tuple(r[1:]))
    for message in p.inserts.get(t.messages, []):
        if message["interaction_id"] in wanted and not message["private"]:
            found[message["interaction_id"]].append(
                (
                    message["sent_at"],
                    message["id"],
                    message["speaker"],
                    message["text"],
                    message["agent_id"],
                )
            )
    return {
        interaction_id: [
            Turn(speaker, text, sent_at, agent_id)
            for sent_at, _, speaker, text, agent_id in sorted(messages)
        ]
        for interaction_id, messages in found.items()
    }


def _store_effort(p: Batch, members: dict[str, dict[str, Member]]) -> None:
    if not members:
        return
    cases = {r.values["id"]: r for r in p.anchors["case"].values()}
    missing = [c for c in members if c not in cases]
    for chunk in chunks(missing):
        for r in p.conn.execute(sa.select(t.cases).where(t.cases.c.id.in_(chunk))).mappings():
            row = p.anchors["case"].setdefault(r["external_id"], Row(dict(r), new=False))
            cases[r["id"]] = row
    for case_id, found in members.items():
        if case_id in cases:
            effort = dataclasses.asdict(case_effort(_contact_rows(found.values())))
            _change(cases[case_id], effort=effort)


def _contact_rows(found: Iterable[Member]) -> list[ContactRow]:
    """The case's interactions for :func:`case_effort`: a verification counts as a
    re-verification when an earlier interaction of the case was verified already."""
    rows = []
    verified_before = False
    for m in _in_order(found):
        proved = m["verified_by"] == "customer"
        rows.append(
            ContactRow(
                channel=m["channel"] or "unknown",
                started_at=m["started_at"],
                ended_at=m["ended_at"],
                transfers=m["transfers"],
                reverified=proved and verified_before,
                restatements=m["restatements"] or 0,
            )
        )
        verified_before = verified_before or m["verified_by"] is not None
    return rows
