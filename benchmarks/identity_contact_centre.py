"""Identity on a contact centre's memory, measured as a new user would: through the HTTP API.

A generated memory (``benchmarks/contact_centre_people.py``: 5,000 people leaving about
14,000 partial records on app, chat, voice, email and branch, with households sharing
a landline or an email, twins, fathers and sons of one name, marriages, moves, phone
numbers in every format and in ranges not in use) is posted to a real server
(``warmline serve``'s app under uvicorn, SQLite, a fresh file) as
``customer.identified`` events in batches of 500, in the order they happened. Each
record is then looked up by its own external id (``GET /v1/customers?identifier=
record_ref:...``), and the records found on one customer are the pairs Warmline
predicts. Two stages, each measured the same way:

* **ingest**: as the events arrived, with the shipped model;
* **train + dedupe**: ``warmline identity train`` (which may refuse a model that would
  do worse, saying why), ``warmline identity dedupe --dry-run`` (the split it reports),
  then ``warmline identity dedupe`` with the model in force.

For each: precision, recall and F1 of the record pairs against the generator's truth,
false pairs by kind (twins, father and son, household, strangers), events rejected
(goal 0: every fault here is one field's), open merge suggestions per 1,000 people
and the share of them that are one person (goal >= 0.5, and at most 20 per 1,000),
and, at ingest, events/s through ``POST /v1/events``.

In the same run, **splink** 5 (DuckDB) on the same records, set up as its
documentation advises for deduplication: cleaned columns (names split and lower-cased,
phones in E.164 with ``phonenumbers``, emails lower-cased), blocking rules on names,
birth date, postcode, email and phone, ``NameComparison``, ``DateOfBirthComparison``,
``PostcodeComparison``, ``EmailComparison`` and an exact phone, term-frequency
adjustments on names and postcode, the prior from deterministic rules, u from random
sampling and m by expectation-maximisation. Its pairs at match probability >= 0.99,
and, as its documentation suggests for deduplication, the clusters of those pairs.

A table, then one JSON line.

    .venv/bin/python benchmarks/identity_contact_centre.py                  # 5,000 people
    .venv/bin/python benchmarks/identity_contact_centre.py --people 1000 --skip-splink
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from contact_centre_people import ContactCentre, Memory, relation
from serving import free_port, httpx, start_server, stop_server, wait_ready

err = Console(stderr=True)
Pair = frozenset[str]
BATCH = 500
GOALS = {
    "precision": 0.995,
    "recall": 0.95,
    "suggestion_precision": 0.5,
    "suggestions_per_1000": 20.0,
}


# --- the product, as a user runs it -------------------------------------------------------


def warmline(url: str, *args: str, check: bool = True) -> str:
    """Run the ``warmline`` command line on the memory at ``url``; its output."""
    env = {**os.environ, "WARMLINE_DATABASE_URL": url, "WARMLINE_INSIGHT": "false"}
    command = [str(Path(sys.executable).with_name("warmline")), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if not check:
        return (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise RuntimeError(f"warmline {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Server:
    """The real app under uvicorn on loopback, and a client with a key."""

    def __init__(self, url: str, key: str, workdir: Path, synchronous: str) -> None:
        self.url, self.key, self.workdir, self.synchronous = url, key, workdir, synchronous

    def __enter__(self) -> httpx.Client:
        port = free_port()
        log = self.workdir / "server.log"
        os.environ["WARMLINE_INSIGHT"] = "false"  # the server inherits it: no models to load
        self.server = start_server(self.url, port, self.synchronous, log)
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=600,
        )
        wait_ready(self.client, self.server, log)
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        stop_server(self.server)


def post_all(client: httpx.Client, events: list[dict[str, Any]]) -> dict[str, Any]:
    """POST the events in batches of 500; counts and the time it took."""
    counts: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    started = time.perf_counter()
    for start in range(0, len(events), BATCH):
        response = client.post("/v1/events", json=events[start : start + BATCH])
        if response.status_code not in (200, 207, 422):
            raise RuntimeError(f"POST /v1/events: {response.status_code} {response.text[:500]}")
        body = response.json()
        for item in body["results"]:
            counts[item["status"]] += 1
            counts["warned"] += bool(item.get("warnings"))
            codes.update(e["code"] for e in item.get("errors", []))
    seconds = time.perf_counter() - started
    return {
        "events": len(events),
        "seconds": round(seconds, 2),
        "events_per_s": round(len(events) / seconds, 1),
        "accepted": counts["accepted"],
        "rejected": counts["rejected"],
        "warned": counts["warned"],
        "rejected_by_code": dict(codes),
    }


def look_up(client: httpx.Client, refs: list[str]) -> dict[str, str]:
    """Record ref -> the live customer holding it now (a record whose event was rejected is
    nobody's: it stands alone, as ``missing:<ref>``)."""

    def one(ref: str) -> tuple[str, str]:
        response = client.get("/v1/customers", params={"identifier": f"record_ref:{ref}"})
        response.raise_for_status()
        found = response.json()["customers"]
        if len(found) > 1:
            raise RuntimeError(f"{ref}: {len(found)} customers hold it")
        return ref, str(found[0]["id"]) if found else f"missing:{ref}"

    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(one, refs))


def open_suggestions(client: httpx.Client) -> list[tuple[str, str]]:
    """Every open suggestion, as the two live customers it is about, page by page."""
    pairs: list[tuple[str, str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        response = client.get("/v1/merge-suggestions", params=params)
        response.raise_for_status()
        body = response.json()
        pairs += [(s["customer"]["id"], s["candidate"]["id"]) for s in body["suggestions"]]
        cursor = body["next_cursor"]
        if not cursor:
            return pairs


# --- scoring -------------------------------------------------------------------------------


def pairs_of(clusters: Iterable[Iterable[str]]) -> set[Pair]:
    return {frozenset(p) for c in clusters for p in itertools.combinations(sorted(c), 2)}


def score(memory: Memory, predicted: set[Pair]) -> dict[str, Any]:
    truth = memory.truth()
    people = memory.people
    true_pairs = pairs_of(_group(truth).values())
    tp = len(predicted & true_pairs)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(true_pairs) if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    false_kinds: Counter[str] = Counter()
    for pair in predicted - true_pairs:
        a, b = (people[truth[r]] for r in pair)
        false_kinds[relation(a, b)] += 1
    channels = {r.ref: r.channel for r in memory.records}
    missed_pairs = true_pairs - predicted
    missed: Counter[str] = Counter(
        "+".join(sorted(channels[r] for r in pair)) for pair in missed_pairs
    )
    records = {r.ref: r for r in memory.records}
    evidence: Counter[str] = Counter(
        shared_evidence(*(records[r] for r in pair)) for pair in missed_pairs
    )
    reach = reachability(memory)
    by_reach: Counter[str] = Counter(reach[pair] for pair in missed_pairs)
    by_reach_and_channels: Counter[str] = Counter(
        f"{reach[pair]} | {'+'.join(sorted(channels[r] for r in pair))}" for pair in missed_pairs
    )
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "predicted_pairs": len(predicted),
        "true_pairs": len(true_pairs),
        "false_pairs": len(predicted) - tp,
        "false_pairs_by_kind": dict(false_kinds),
        "missed_by_channels": dict(missed.most_common(6)),
        "missed_by_shared_evidence": dict(evidence.most_common()),
        "missed_by_reach": {k: by_reach[k] for k in REACH if by_reach[k]},
        "missed_by_reach_and_channels": dict(by_reach_and_channels.most_common(12)),
    }


def shared_evidence(a: Any, b: Any) -> str:
    """What two records of one person have in common, as written (roughly: no typos
    forgiven): an identifier, a birth date, a name and postcode, a name, or nothing."""
    ids, words = _ids, _words
    if ids(a) & ids(b):
        return "an identifier"
    names = bool(words(a, "name") & words(b, "name"))
    born = a.traits.get("date_of_birth")
    if born and born == b.traits.get("date_of_birth"):
        return "birth date" + (" and a name" if names else "")
    if names and words(a, "postcode") and words(a, "postcode") == words(b, "postcode"):
        return "a name and postcode"
    return "a name" if names else "nothing"


#: What two records of one person may share that is evidence enough to join them.
STRONG = ("an identifier", "birth date and a name", "a name and postcode")


#: How far the records of one person can be linked at all, strongest first (a pair
#: counts under the first that joins it, directly or through the person's other records).
REACH = (
    "strong evidence",  # an identifier, a birth date and a name, a name and postcode
    "a name or birth date alone",  # some value in common, no more (names forgiving typos)
    "nothing in common",  # no rule could ever link them
)


def reachability(memory: Memory) -> dict[Pair, str]:
    """Each true pair, with the strongest kind of evidence that joins its two records,
    directly or through other records of the same person (:data:`REACH`). Cached per
    memory: every stage asks."""
    cached = _REACH_CACHE.get(id(memory))
    if cached is not None:
        return cached
    from rapidfuzz.distance import JaroWinkler

    records = {r.ref: r for r in memory.records}

    def values(record: Any) -> set[str]:
        found = {f"id:{v}" for v in _ids(record)}
        for key in ("name", "former_name"):
            found |= {f"name:{w}" for w in _words(record, key) - _SUFFIX_WORDS}
        if born := record.traits.get("date_of_birth"):
            found.add(f"dob:{born}")
        for key in ("postcode", "former_postcode"):
            if code := record.traits.get(key):
                found.add("pc:" + str(code).upper().replace(" ", ""))
        return found

    def weak(a: Any, b: Any) -> bool:
        va, vb = values(a), values(b)
        if va & vb:
            return True
        na = [v for v in va if v.startswith("name:")]
        nb = [v for v in vb if v.startswith("name:")]
        return any(JaroWinkler.normalized_similarity(x, y) >= 0.8 for x in na for y in nb)

    out: dict[Pair, str] = {}
    for refs in _group(memory.truth()).values():
        strong = {ref: ref for ref in refs}
        anything = {ref: ref for ref in refs}
        for a, b in itertools.combinations(refs, 2):
            if shared_evidence(records[a], records[b]) in STRONG:
                strong[_root(strong, a)] = _root(strong, b)
            if weak(records[a], records[b]):
                anything[_root(anything, a)] = _root(anything, b)
        for a, b in itertools.combinations(refs, 2):
            if _root(strong, a) == _root(strong, b):
                kind = REACH[0]
            elif _root(anything, a) == _root(anything, b):
                kind = REACH[1]
            else:
                kind = REACH[2]
            out[frozenset((a, b))] = kind
    _REACH_CACHE[id(memory)] = out
    return out


_REACH_CACHE: dict[int, dict[Pair, str]] = {}
_SUFFIX_WORDS = frozenset({"jr", "sr", "snr", "senior"})


def _ids(record: Any) -> set[str]:
    import phonenumbers

    out = set()
    for kind, value in record.identifiers:
        if kind == "phone":
            with contextlib.suppress(phonenumbers.NumberParseException):
                value = phonenumbers.format_number(phonenumbers.parse(value, "GB"), 0)
        out.add(f"{kind}:{value.lower()}")
    return out


def _words(record: Any, key: str) -> set[str]:
    return set(str(record.traits.get(key) or "").lower().replace(" ", "|").split("|")) - {""}


def ceilings(memory: Memory) -> dict[str, float]:
    """The recall a resolver could reach at most: joining every pair that strong evidence
    joins (:func:`linkable`), and every pair that anything at all joins."""
    reach = Counter(reachability(memory).values())
    total = sum(reach.values()) or 1
    return {
        "strong_evidence": round(reach[REACH[0]] / total, 4),
        "anything_in_common": round((reach[REACH[0]] + reach[REACH[1]]) / total, 4),
    }


def linkable(memory: Memory) -> float:
    """The recall a resolver would reach joining exactly the records of one person linked,
    directly or through others, by strong evidence (an identifier, a birth date and a name,
    a name and postcode): how much of the truth the records can show at all."""
    records = {r.ref: r for r in memory.records}
    total = joined = 0
    for refs in _group(memory.truth()).values():
        parent = {ref: ref for ref in refs}
        for a, b in itertools.combinations(refs, 2):
            if shared_evidence(records[a], records[b]) in STRONG:
                parent[_root(parent, a)] = _root(parent, b)
        for a, b in itertools.combinations(refs, 2):
            total += 1
            joined += _root(parent, a) == _root(parent, b)
    return joined / total if total else 1.0


def _root(parent: dict[str, str], ref: str) -> str:
    while parent[ref] != ref:
        ref = parent[ref]
    return ref


def _group(mapping: dict[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for key, value in mapping.items():
        groups.setdefault(value, []).append(key)
    return groups


def stage(memory: Memory, client: httpx.Client) -> dict[str, Any]:
    """Look every record up, score the pairs and the open suggestions."""
    started = time.perf_counter()
    customer_of = look_up(client, [r.ref for r in memory.records])
    lookup_seconds = time.perf_counter() - started
    figures = score(memory, pairs_of(_group(customer_of).values()))
    truth = memory.truth()
    # A customer is the person most of its records are.
    person_of = {
        customer: Counter(truth[r] for r in refs).most_common(1)[0][0]
        for customer, refs in _group(customer_of).items()
        if not customer.startswith("missing:")
    }
    suggestions = open_suggestions(client)
    known = [(a, b) for a, b in suggestions if a in person_of and b in person_of]
    same = sum(person_of[a] == person_of[b] for a, b in known)
    figures |= {
        "records_not_found": sum(c.startswith("missing:") for c in customer_of.values()),
        "customers": len(person_of),
        "suggestions": len(suggestions),
        "suggestions_per_1000": round(1000 * len(suggestions) / len(memory.people), 1),
        "suggestion_precision": round(same / len(known), 3) if known else None,
        "lookup_seconds": round(lookup_seconds, 1),
    }
    return figures


# --- splink ----------------------------------------------------------------------------------


def splink_frame(memory: Memory) -> Any:
    """The records as splink's documentation advises: one cleaned column per field."""
    import pandas as pd
    import phonenumbers

    rows = []
    for record in memory.records:
        traits = record.traits
        first, surname = _split_name(traits.get("name"))
        ids: dict[str, str] = {}
        for kind, value in record.identifiers:
            if kind in ids:
                continue
            if kind == "phone":
                try:
                    number = phonenumbers.parse(value, "GB")
                    value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                except phonenumbers.NumberParseException:
                    pass
            ids[kind] = value.lower() if kind == "email" else value
        rows.append(
            {
                "unique_id": record.ref,
                "first_name": first,
                "surname": surname,
                "dob": traits.get("date_of_birth"),
                "postcode": (traits.get("postcode") or "").upper().replace(" ", "") or None,
                "address": (traits.get("address") or "").lower() or None,
                "email": ids.get("email"),
                "phone": ids.get("phone"),
            }
        )
    return pd.DataFrame(rows)


def _split_name(name: str | None) -> tuple[str | None, str | None]:
    if not name:
        return None, None
    suffixes = ("jr", "sr", "snr", "senior")
    words = [w for w in name.lower().replace(".", "").split() if w not in suffixes]
    if len(words) == 1:
        return None, words[0]
    return words[0], words[-1]


def run_splink(memory: Memory, threshold: float) -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    warnings.filterwarnings("ignore")
    logging.getLogger("splink").setLevel(logging.WARNING)
    frame = splink_frame(memory)
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("postcode", "surname"),
            block_on("dob", "postcode"),
            block_on("email"),
            block_on("phone"),
        ],
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, invalid_dates_as_null=True),
            cl.PostcodeComparison("postcode").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("address", [2, 5]),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )
    started = time.perf_counter()
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in (block_on("dob"), block_on("surname"), block_on("email")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    pairs = {
        frozenset((str(a), str(b)))
        for a, b in predictions.as_pandas_dataframe()[["unique_id_l", "unique_id_r"]].itertuples(
            index=False
        )
    }
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold
    ).as_pandas_dataframe()
    seconds = time.perf_counter() - started
    grouped = clusters.groupby("cluster_id")["unique_id"].apply(list)
    return {
        "pairwise": score(memory, pairs) | {"seconds": round(seconds, 1)},
        "clustered": score(memory, pairs_of(grouped.tolist())) | {"seconds": round(seconds, 1)},
    }


# --- report -------------------------------------------------------------------------------


def render(rows: list[tuple[str, dict[str, Any]]]) -> Table:
    table = Table(title="identity on a contact centre's memory, through the HTTP API")
    columns = ("stage", "precision", "recall", "F1", "false pairs (kinds)", "rejected",
               "suggestions /1000", "suggestion precision", "events/s")  # fmt: skip
    for column in columns:
        left = column.startswith(("stage", "false"))
        table.add_column(column, justify="left" if left else "right")
    for name, f in rows:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(f["false_pairs_by_kind"].items()))
        table.add_row(
            name, f"{f['precision']:.4f}", f"{f['recall']:.4f}", f"{f['f1']:.4f}",
            f"{f['false_pairs']} ({kinds})" if kinds else "0",
            str(f.get("rejected", "")), str(f.get("suggestions_per_1000", "")),
            "" if f.get("suggestion_precision") is None else f"{f['suggestion_precision']:.3f}",
            str(f.get("events_per_s", "")),
        )  # fmt: skip
    return table


def render_missed(rows: list[tuple[str, dict[str, Any]]]) -> Table:
    """The missed pairs of each stage by how far their records can be linked at all, and
    the kinds of record pair (channels) most missed under each."""
    table = Table(title="missed pairs: how far they can be linked at all, by kind of record pair")
    table.add_column("stage")
    table.add_column("reach (directly or through the person's records)")
    table.add_column("missed", justify="right")
    table.add_column("commonest kinds of record pair")
    for name, f in rows:
        for reach, count in f.get("missed_by_reach", {}).items():
            kinds = [
                f"{key.split(' | ')[1]} {n}"
                for key, n in f["missed_by_reach_and_channels"].items()
                if key.startswith(reach + " |")
            ]
            table.add_row(name, reach, str(count), ", ".join(kinds[:4]))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--threshold", type=float, default=0.99, help="splink's match probability")
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--sqlite-synchronous", default="FULL", choices=("FULL", "NORMAL", "OFF"))
    parser.add_argument("--workdir", type=Path, help="keep the memory here (default: temp)")
    parser.add_argument(
        "--thresholds", help="link,review thresholds to set before ingest (default: shipped)"
    )
    args = parser.parse_args()

    memory = ContactCentre(args.seed).generate(args.people)
    err.print(f"[dim]{len(memory.people):,} people, {len(memory.records):,} records[/]")
    events = [r.event() for r in memory.records]
    results: dict[str, Any] = {
        "people": len(memory.people),
        "records": len(memory.records),
        "linkable_recall": round(linkable(memory), 4),
        "ceilings": ceilings(memory),
    }
    err.print(f"[dim]recall reachable on strong evidence: {results['linkable_recall']:.4f}[/]")
    rows: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as temp:
        workdir = args.workdir or Path(temp)
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "contact_centre.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        warmline(url, "db", "upgrade")
        key = warmline(url, "keys", "create", "--role", "admin", "--name", "bench",
                       "--may-verify").strip().splitlines()[-1]  # fmt: skip
        if args.thresholds:
            link, review = args.thresholds.split(",")
            warmline(url, "identity", "thresholds", "--link", link, "--review", review)
            results["thresholds"] = {"link": float(link), "review": float(review)}
        with Server(url, key, workdir, args.sqlite_synchronous) as client:
            err.print(f"[dim]posting {len(events):,} events in batches of {BATCH}[/]")
            posted = post_all(client, events)
            err.print(f"[dim]ingest: {posted['events_per_s']:,} events/s; looking records up[/]")
            results["ingest"] = stage(memory, client) | posted
            rows.append(("warmline: ingest", results["ingest"]))
        err.print("[dim]warmline identity train, then dedupe[/]")
        trained = warmline(url, "identity", "train", check=False)
        results["train_output"] = "\n".join(  # said on stdout and stderr: once
            dict.fromkeys(
                line.strip() for line in trained.splitlines() if "━" not in line and line.strip()
            )
        )
        results["train_in_force"] = "in force from now on" in trained
        with Server(url, key, workdir, args.sqlite_synchronous) as client:
            results["dedupe_dry_run"] = warmline(url, "identity", "dedupe", "--dry-run").strip()
            results["dedupe_output"] = warmline(url, "identity", "dedupe").strip()
            results["dedupe"] = stage(memory, client)
            verdict = "in force" if results["train_in_force"] else "refused"
            rows.append((f"warmline: identity train ({verdict}) + dedupe", results["dedupe"]))
    if not args.skip_splink:
        err.print("[dim]splink 5 on the same records[/]")
        found = run_splink(memory, args.threshold)
        results["splink"] = found
        rows.append((f"splink 5, pairs p >= {args.threshold}", found["pairwise"]))
        rows.append((f"splink 5, clusters at p >= {args.threshold}", found["clustered"]))
    ingest = results["ingest"]
    best_splink = max((f["f1"] for name, f in rows if name.startswith("splink")), default=None)
    results["goals"] = {
        "precision_at_ingest": ingest["precision"] >= GOALS["precision"],
        "recall_at_ingest": ingest["recall"] >= GOALS["recall"],
        "f1_above_splink": None if best_splink is None else ingest["f1"] > best_splink,
        "no_events_rejected": ingest["rejected"] == 0,
        "suggestion_precision": all(
            (results[s]["suggestion_precision"] or 0) >= GOALS["suggestion_precision"]
            for s in ("ingest", "dedupe")
        ),
        "suggestions_per_1000": all(
            results[s]["suggestions_per_1000"] <= GOALS["suggestions_per_1000"]
            for s in ("ingest", "dedupe")
        ),
    }
    Console(width=200).print(render(rows))
    Console(width=200).print(render_missed([r for r in rows if r[0].startswith("warmline")]))
    ceiling = results["ceilings"]
    Console(width=200).print(
        f"{results['people']:,} people, {results['records']:,} records; recall reachable by "
        f"joining records of one person linked by strong evidence (an identifier, a birth "
        f"date and a name, a name and postcode), directly or through their other records: "
        f"{ceiling['strong_evidence']:.4f}; by anything at all in common (a name or a birth "
        f"date alone too): {ceiling['anything_in_common']:.4f}"
    )
    Console(width=200).print(
        "identity train said:\n" + results["train_output"], highlight=False, markup=False
    )
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
