"""An in-memory memory of records with their blocking index, for batch work and benchmarks.

The product keeps the same index in SQL (a ``(key, customer_id)`` table);
this one holds records by id in a dict and each block as the ids sharing a
key. A block of one is stored as the bare id, which halves the memory of a
million-record index, where most blocks hold one record.
"""

from __future__ import annotations

from collections.abc import Iterator

from warmline.domain.identity.matching.blocking import BLOCK_CAP, blocking_keys
from warmline.domain.identity.matching.record import MatchRecord


class MemoryIndex:
    """Records by id, and the ids of the records sharing each blocking key."""

    def __init__(self, block_cap: int = BLOCK_CAP) -> None:
        self.block_cap = block_cap
        self._records: dict[str, MatchRecord] = {}
        self._blocks: dict[str, str | list[str]] = {}
        # The keys of the record last looked up: adding it next (the usual resolve-then-
        # store sequence) reuses them instead of computing them again.
        self._last: tuple[MatchRecord | None, list[str]] = (None, [])

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._records

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def get(self, record_id: str) -> MatchRecord | None:
        """The record stored under ``record_id``, if any."""
        return self._records.get(record_id)

    def add(self, record_id: str, record: MatchRecord, keys: list[str] | None = None) -> None:
        """Store ``record`` under ``record_id``, replacing (and unindexing) any previous one.

        ``keys`` are its :func:`blocking_keys` when the caller already has them.
        """
        if record_id in self._records:
            self.remove(record_id)
        if keys is None:
            keys = self._keys_of(record)
        self._records[record_id] = record
        blocks = self._blocks
        for key in keys:
            block = blocks.get(key)
            if block is None:
                blocks[key] = record_id
            elif isinstance(block, str):
                blocks[key] = [block, record_id]
            else:
                block.append(record_id)

    update = add

    def remove(self, record_id: str) -> None:
        """Forget the record stored under ``record_id`` (KeyError if there is none)."""
        # Keys are recomputed rather than stored: they are deterministic, and storing
        # them would double the index's memory.
        record = self._records.pop(record_id)
        blocks = self._blocks
        for key in blocking_keys(record):
            block = blocks[key]
            if isinstance(block, str):
                del blocks[key]
                continue
            block.remove(record_id)
            if len(block) == 1:
                blocks[key] = block[0]

    def _keys_of(self, record: MatchRecord) -> list[str]:
        last, keys = self._last
        if last is not record:
            keys = blocking_keys(record)
            self._last = (record, keys)
        return keys

    def block_size(self, key: str) -> int:
        """How many records share ``key``."""
        block = self._blocks.get(key)
        if block is None:
            return 0
        return 1 if isinstance(block, str) else len(block)

    def candidates(
        self, record: MatchRecord, *, exclude: str | None = None, keys: list[str] | None = None
    ) -> dict[str, MatchRecord]:
        """The stored records sharing a blocking key with ``record`` (blocks over the cap
        are skipped), without ``exclude`` (the record's own id, when it is stored).

        ``keys`` are its :func:`blocking_keys` when the caller already has them.
        """
        found: dict[str, MatchRecord] = {}
        records, blocks, cap = self._records, self._blocks, self.block_cap
        for key in self._keys_of(record) if keys is None else keys:
            block = blocks.get(key)
            if block is None:
                continue
            if isinstance(block, str):
                found[block] = records[block]
            elif len(block) <= cap:
                for record_id in block:
                    found[record_id] = records[record_id]
        if exclude is not None:
            found.pop(exclude, None)
        return found
