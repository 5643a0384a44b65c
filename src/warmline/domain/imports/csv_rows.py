"""CSV files as organisations export them: a byte-order mark, a delimiter that is not a
comma, lines in another encoding than the rest. Rows are read one at a time.

Each line is decoded as UTF-8; a line that is not UTF-8 is decoded with the fallback
encoding (Windows-1252 unless told, the usual culprit in spreadsheets) and counted, so a
file with mixed encodings imports with a warning instead of mojibake or a crash.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from warmline.domain.imports.rejection import FileProblem

DELIMITERS = (",", ";", "\t", "|")
BOM = "\ufeff"
#: Fields longer than this are cut by the csv module's limit (a runaway quote).
FIELD_LIMIT = 1_000_000


@dataclass(slots=True)
class Decoding:
    """How the lines were decoded: the fallback used and the lines that needed it."""

    fallback: str = "cp1252"
    fallback_lines: list[int] = field(default_factory=list)
    fallback_count: int = 0

    def decode(self, number: int, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.fallback_count += 1
            if len(self.fallback_lines) < 10:
                self.fallback_lines.append(number)
            return raw.decode(self.fallback, errors="replace")


def decoded(raw_lines: Iterable[bytes], decoding: Decoding) -> Iterator[str]:
    """Lines as text, the byte-order mark dropped from the first."""
    for number, raw in enumerate(raw_lines, start=1):
        line = decoding.decode(number, raw)
        yield line.removeprefix(BOM) if number == 1 else line


def choose_delimiter(header: str, wanted: Iterable[str], given: str | None) -> str:
    """The delimiter that finds the mapping's columns in ``header``. A given delimiter that
    finds none of them while another finds them all is a mistake worth stopping for."""
    wanted = list(wanted)

    def found(delimiter: str) -> int:
        columns = {c.strip() for c in next(csv.reader([header], delimiter=delimiter))}
        return sum(1 for w in wanted if w in columns)

    counts = {d: found(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], header.count(d)))
    if given is None:
        return best
    if counts.get(given, found(given)) == 0 and counts[best] > 0:
        shown = "\\t" if best == "\t" else best
        raise FileProblem(
            "csv_wrong_delimiter",
            f"with delimiter {given!r} the header is one column; the file is {shown!r}-separated",
            f"pass --delimiter '{shown}' (or leave it out: it is found from the header)",
        )
    return given


def records(
    lines: Iterator[str], wanted: list[str], delimiter: str | None
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header's columns and an iterator of ``(line number, fields)`` for each record.

    Raises :class:`FileProblem` when the mapping names a column the header lacks."""
    csv.field_size_limit(FIELD_LIMIT)
    try:
        header_line = next(lines)
    except StopIteration:
        raise FileProblem("csv_empty", "the file is empty", "export the file again") from None
    chosen = choose_delimiter(header_line, wanted, delimiter)
    header = [c.strip() for c in next(csv.reader([header_line], delimiter=chosen))]
    if missing := [w for w in wanted if w not in header]:
        raise FileProblem(
            "mapping_column_missing",
            f"the mapping names column(s) the file lacks: {', '.join(map(repr, missing))}",
            f"the file's columns are: {', '.join(map(repr, header[:40]))}; fix the mapping",
        )
    reader = csv.reader(lines, delimiter=chosen)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for fields in reader:
            if fields:
                yield reader.line_num + 1, fields

    return header, rows()
