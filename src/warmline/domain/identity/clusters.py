"""Which customer records are one person: replaying merges over customer records.

A merge joins two customer records ("from" into "into"). The live customer of any
record is the root of its cluster after replaying every merge still in force, in the
order they were made. Undoing a merge is replaying the others without it, which is
exactly "as if it never happened". Merges in force always form a forest: a merge is
only made between records not yet in one cluster, and removing merges keeps it so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def cluster_roots(records: Iterable[str], merges: Sequence[tuple[str, str]]) -> dict[str, str]:
    """``{record: root}`` for ``records`` and every record the merges mention.

    ``merges`` are ``(from_id, into_id)`` pairs in the order they were made.
    """
    parent: dict[str, str] = {r: r for r in records}

    def find(record: str) -> str:
        parent.setdefault(record, record)
        root = record
        while parent[root] != root:
            root = parent[root]
        while parent[record] != root:  # path compression
            parent[record], record = root, parent[record]
        return root

    for from_id, into_id in merges:
        source, target = find(from_id), find(into_id)
        if source != target:
            parent[source] = target
    return {record: find(record) for record in list(parent)}


def members_by_root(roots: dict[str, str]) -> dict[str, list[str]]:
    """Invert :func:`cluster_roots`: each root with its records (the root first)."""
    out: dict[str, list[str]] = {}
    for record, root in sorted(roots.items()):
        out.setdefault(root, [root])
        if record != root:
            out[root].append(record)
    return out
