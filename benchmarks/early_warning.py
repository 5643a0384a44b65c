"""Early-warning benchmark: does the at-risk score find the customers who leave?

A simulator makes a customer base and decides, from causes it keeps hidden, who leaves:

* **frustration** with the service (their contacts carry annoyed or angry words, more end
  unresolved);
* **a problem that keeps coming back** (two to four contacts about one reason within a
  few weeks, on any channel, often transferred);
* **a promise broken** (a callback or refund promised, due and never kept);
* **causes the score cannot see** (a better rate elsewhere, a move abroad, a life event:
  nothing of it reaches the memory);
* **noise**: an individual draw on top, and the same kinds of signs in customers who stay
  (a bad day, a legitimate follow-up, a promise kept late, complaints about a shop).

Each customer leaves with probability ``sigmoid(z)``, ``z`` a sum of those causes; how much
each weighs was chosen for plausibility and never looked at against the score's weights
(which are fixed by reasoning in ``domain/risk/signals.py``). Operator-marked warning
activities (a cancellation page viewed) are **not** simulated: they would be effects of
the decision to leave, and would flatter the score.

The simulator's events (contacts with their messages, transfers and outcomes, promises
and their fulfilment) go through :func:`warmline.actions.ingest.ingest_events` with
insight on into a fresh SQLite memory: the score is the one ingest kept in
``customer_risk``. In the same run, two baselines ranked from the same memory: the
recency of the last contact (most recent first) and the count of contacts (most first);
and the ceiling: the simulator's own probability of leaving (what a perfect reading of
the visible and the invisible causes would score). Ties are broken at random (fixed seed).

Reports AUC and precision at the top 1 % and 5 %. Goal: AUC >= 0.80 and precision at
1 % at least 2 x the best baseline's.

    .venv/bin/python benchmarks/early_warning.py                    # 4,000 customers
    .venv/bin/python benchmarks/early_warning.py --customers 10000 --seed 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from warmline.actions.ingest import ingest_events
from warmline.demo.phrases import AGENT_OPENERS, CUSTOMER_CLOSERS, FRUSTRATED, REASONS
from warmline.domain.risk.signals import WEIGHTS
from warmline.storage import schema as t
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

GOAL_AUC, GOAL_LIFT = 0.80, 2.0
err = Console(stderr=True)
out = Console()

#: Annoyed customers' own words (a few carry complaint language; most do not).
ANNOYED = (
    *FRUSTRATED,
    "I've been waiting for days and still nothing. This is really frustrating.",
    "Why does nobody ever call back when they say they will?",
    "I'm getting really annoyed now, I've explained this twice already.",
    "This is ridiculous, it should not take this long.",
    "I'm very disappointed with how this has been handled.",
    "Every time I ring I get passed to someone else.",
    "I am so angry about this, it has cost me money.",
    "To be honest I'm losing patience with you.",
    "This is not good enough. I want to make a complaint.",
    "I'm really upset, nobody seems to care.",
    "Seriously? Again? This is the same problem as last week.",
    "I'm sick of this, it's been going on for weeks.",
)
#: Things customers who stay say that a careless reader could take for a warning.
DECOYS = (
    "The queue at the shop was ridiculous but that's not your fault.",
    "I got a bit annoyed at the cash machine, it ate my card, but it's fine now.",
    "My landlord is useless so I need to change the payee details.",
)
CHANNELS = ("chat", "voice", "email", "app")
REASON_NAMES = tuple(REASONS)
REASON_WEIGHTS = np.array([REASONS[r][0] for r in REASON_NAMES], dtype=float)
REASON_WEIGHTS /= REASON_WEIGHTS.sum()
SLOTS = {
    "{amount}": "£42.10",
    "{merchant}": "the supermarket",
    "{day}": "Tuesday",
    "{card}": "4821",
    "{payee}": "my landlord",
    "{name}": "there",
}
#: Strength of each hidden cause in the log-odds of leaving.
CAUSES = {"frustration": 1.6, "repeat_problem": 1.4, "broken_promise": 1.5, "unseen": 2.0}
BASE_LOG_ODDS, NOISE_SD = -3.0, 0.7


def fill(text: str) -> str:
    for slot, value in SLOTS.items():
        text = text.replace(slot, value)
    return text


@dataclass
class Person:
    n: int
    causes: dict[str, bool]
    activity: float
    leaves: bool = False
    chance: float = 0.0
    #: The chance from what can reach the memory alone (no unseen cause, no noise).
    visible_chance: float = 0.0
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def email(self) -> str:
        return f"sim{self.n}@example.org"


class World:
    """The simulated customer base and its events, deterministic from the seed."""

    def __init__(self, customers: int, seed: int, now: dt.datetime) -> None:
        self.rng = np.random.default_rng(seed)
        self.now = now
        self.ids = 0
        self.people = [self._person(n) for n in range(customers)]

    def _id(self) -> str:
        self.ids += 1
        return f"sim-{self.ids}"

    def _event(self, type_: str, at: dt.datetime, **data: Any) -> dict[str, Any]:
        return {
            "specversion": "1.0",
            "id": self._id(),
            "source": "simulator",
            "type": type_,
            "time": at.isoformat(),
            "data": data,
        }

    def _pick(self, options: tuple[str, ...]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def _person(self, n: int) -> Person:
        rng = self.rng
        causes = {
            "frustration": bool(rng.random() < 0.15),
            "repeat_problem": bool(rng.random() < 0.15),
            "broken_promise": bool(rng.random() < 0.12),
            "unseen": bool(rng.random() < 0.12),
        }
        person = Person(n, causes, activity=float(rng.gamma(2.0, 1.5)))
        z = BASE_LOG_ODDS + sum(w for name, w in CAUSES.items() if causes[name])
        # Customers who use the bank a lot (and so contact it more) leave a little less.
        z += -0.15 * min(person.activity, 6.0)
        visible = z - (CAUSES["unseen"] if causes["unseen"] else 0.0)
        z += float(rng.normal(0, NOISE_SD))
        person.chance = 1 / (1 + math.exp(-z))
        person.visible_chance = 1 / (1 + math.exp(-visible))
        person.leaves = bool(rng.random() < person.chance)
        self._history(person)
        return person

    def _contact(
        self,
        person: Person,
        at: dt.datetime,
        reason: str,
        *,
        annoyed: bool,
        outcome: str,
        transfers: int = 0,
        channel: str | None = None,
    ) -> str:
        rng, iid = self.rng, self._id()
        ref = {
            "identifiers": [{"kind": "email", "value": person.email, "verified": True}],
            "traits": {"name": f"Sim {person.n}"},
        }
        queue = REASONS[reason][1]
        agent = f"agent-{int(rng.integers(40))}"
        tick = dt.timedelta(minutes=1)
        ev = person.events
        ev.append(
            self._event(
                "interaction.started",
                at,
                customer=ref,
                interaction_id=iid,
                channel=channel or self._pick(CHANNELS),
                agent_id=agent,
                queue=queue,
            )
        )
        opener = fill(self._pick(REASONS[reason][2]))
        lines = [("customer", opener), ("agent", fill(self._pick(AGENT_OPENERS)))]
        if annoyed:
            lines.append(("customer", self._pick(ANNOYED)))
        elif rng.random() < 0.03:
            lines.append(("customer", self._pick(DECOYS)))
        lines.append(("agent", fill(self._pick(REASONS[reason][3]))))
        if annoyed and rng.random() < 0.7:
            lines.append(("customer", self._pick(ANNOYED)))
        else:
            style = self._pick(tuple(CUSTOMER_CLOSERS))
            lines.append(("customer", self._pick(CUSTOMER_CLOSERS[style])))
        for k, (speaker, text) in enumerate(lines):
            data: dict[str, Any] = {"interaction_id": iid, "speaker": speaker, "text": text}
            if speaker == "agent":
                data["agent_id"] = agent
            ev.append(self._event("message.posted", at + (k + 1) * tick, **data))
        for k in range(transfers):
            ev.append(
                self._event(
                    "interaction.transferred",
                    at + (len(lines) + k + 1) * tick,
                    interaction_id=iid,
                    to_queue=f"{queue}-tier{k + 2}",
                )
            )
        ev.append(
            self._event(
                "interaction.ended",
                at + (len(lines) + transfers + 2) * tick,
                interaction_id=iid,
                outcome=outcome,
                reason=reason,
            )
        )
        return iid

    def _history(self, person: Person) -> None:
        """The last 55 days of one customer, in time order."""
        rng, now, causes = self.rng, self.now, person.causes
        start = now - dt.timedelta(days=55)
        plans: list[tuple[dt.datetime, dict[str, Any]]] = []

        def moment(low: float = 0.0, high: float = 54.0) -> dt.datetime:
            return start + dt.timedelta(days=float(rng.uniform(low, high)))

        contacts = int(rng.poisson(person.activity))
        if causes["frustration"]:
            contacts = max(contacts, 2)
        for _ in range(contacts):
            annoyed = (causes["frustration"] and rng.random() < 0.6) or rng.random() < 0.05
            unresolved = rng.random() < (0.4 if causes["frustration"] else 0.12)
            plans.append(
                (
                    moment(),
                    {
                        "reason": str(rng.choice(REASON_NAMES, p=REASON_WEIGHTS)),
                        "annoyed": annoyed,
                        "outcome": "unresolved" if unresolved else "resolved",
                        "transfers": int(rng.random() < 0.1),
                    },
                )
            )
        # One problem over a few weeks: the cause, or (rarely) a legitimate follow-up.
        repeats = 0
        if causes["repeat_problem"]:
            repeats = int(rng.integers(2, 5))
        elif rng.random() < 0.08:
            repeats = 2
        if repeats:
            reason = str(rng.choice(REASON_NAMES, p=REASON_WEIGHTS))
            first = float(rng.uniform(0, 30))
            for k in range(repeats):
                last = k == repeats - 1
                plans.append(
                    (
                        start + dt.timedelta(days=first + k * float(rng.uniform(2, 8))),
                        {
                            "reason": reason,
                            "annoyed": bool(causes["frustration"] and rng.random() < 0.6),
                            "outcome": "resolved"
                            if last and not causes["repeat_problem"]
                            else "unresolved",
                            "transfers": int(causes["repeat_problem"] and rng.random() < 0.4),
                        },
                    )
                )
        plans.sort(key=lambda p: p[0])
        made: list[str] = []
        for at, plan in plans:
            made.append(self._contact(person, at, **plan))
        # Promises: broken (the cause), kept on time (many), kept late (a few).
        promise = None
        if causes["broken_promise"]:
            promise = "broken"
        elif rng.random() < 0.03:
            promise = "late"
        elif rng.random() < 0.25:
            promise = "kept"
        if promise:
            if not made:
                made.append(
                    self._contact(
                        person,
                        moment(0, 45),
                        "card_not_arrived",
                        annoyed=False,
                        outcome="follow_up",
                    )
                )
            iid = made[int(rng.integers(len(made)))]
            began = next(
                dt.datetime.fromisoformat(e["time"])
                for e in person.events
                if e["type"] == "interaction.started" and e["data"]["interaction_id"] == iid
            )
            due = began + dt.timedelta(days=float(rng.uniform(1, 5)))
            if due >= now:
                due = now - dt.timedelta(hours=1)
            cid = self._id()
            person.events.append(
                self._event(
                    "commitment.made",
                    began + dt.timedelta(minutes=9),
                    customer={"identifiers": [{"kind": "email", "value": person.email}]},
                    commitment_id=cid,
                    text=self._pick(
                        ("Call back with an update", "Refund the charge", "Send a new card")
                    ),
                    due_at=due.isoformat(),
                    made_by=f"agent-{int(rng.integers(40))}",
                    interaction_id=iid,
                )
            )
            if promise != "broken":
                late = (
                    dt.timedelta(days=float(rng.uniform(1, 4)))
                    if promise == "late"
                    else -dt.timedelta(hours=float(rng.uniform(1, 20)))
                )
                kept = min(
                    max(due + late, began + dt.timedelta(minutes=30)), now - dt.timedelta(minutes=5)
                )
                person.events.append(self._event("commitment.fulfilled", kept, commitment_id=cid))
        person.events.sort(key=lambda e: e["time"])


# -- ranking --------------------------------------------------------------------------


def precision_at(
    scores: np.ndarray, truth: np.ndarray, share: float, rng: np.random.Generator
) -> float:
    """Share of leavers among the top ``share`` of customers (ties broken at random)."""
    k = max(1, math.ceil(share * len(scores)))
    jitter = rng.random(len(scores)) * 1e-9
    order = np.lexsort((jitter, -scores))
    return float(truth[order[:k]].mean())


def evaluate(name: str, scores: np.ndarray, truth: np.ndarray, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    return {
        "auc": round(float(roc_auc_score(truth, scores)), 4),
        "p_at_1": round(precision_at(scores, truth, 0.01, rng), 4),
        "p_at_5": round(precision_at(scores, truth, 0.05, rng), 4),
    }


def from_memory(engine: sa.Engine, world: World) -> dict[str, np.ndarray]:
    """The score ingest kept and the two baselines, per simulated customer, read back from
    the memory."""
    i, idf, r = t.interactions, t.identifiers, t.customer_risk
    with engine.connect() as conn:
        owner = dict(
            conn.execute(
                sa.select(idf.c.value, idf.c.customer_id).where(idf.c.kind == "email")
            ).all()
        )
        scores = dict(conn.execute(sa.select(r.c.customer_id, r.c.score)).all())
        signals = dict(conn.execute(sa.select(r.c.customer_id, r.c.signals)).all())
        counts, lasts = {}, {}
        for cid, n, last in conn.execute(
            sa.select(i.c.customer_id, sa.func.count(), sa.func.max(i.c.started_at)).group_by(
                i.c.customer_id
            )
        ):
            counts[cid], lasts[cid] = n, last
    never = 10_000.0
    out: dict[str, list[float]] = {"warmline": [], "recency": [], "count": []}
    features: list[list[float]] = []
    for person in world.people:
        cid = owner.get(person.email)
        out["warmline"].append(float(scores.get(cid, 0)))
        summed = dict.fromkeys(WEIGHTS, 0.0)
        for found in signals.get(cid) or []:
            summed[found["signal"]] += found["weight"]
        features.append(list(summed.values()))
        out["count"].append(float(counts.get(cid, 0)))
        last = lasts.get(cid)
        if isinstance(last, str):
            last = dt.datetime.fromisoformat(last)
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=dt.UTC)
        days = (world.now - last).total_seconds() / 86400 if last else never
        out["recency"].append(-days)
    ranked = {k: np.array(v) for k, v in out.items()}
    ranked["features"] = np.array(features)
    return ranked


def fitted_reference(features: np.ndarray, truth: np.ndarray, seed: int) -> np.ndarray:
    """What weights fitted to outcomes would make of the same signals: a logistic
    regression on each customer's summed signal weights, every customer scored by a model
    fitted on the other four fifths (5-fold). A reference, not the product's score: it
    learns the simulator's outcomes."""
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    model = LogisticRegression(max_iter=1000)
    chances = cross_val_predict(model, features, truth, cv=folds, method="predict_proba")
    return np.asarray(chances[:, 1], dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="wl-early-"))
    workdir.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    world = World(args.customers, args.seed, now)
    events = [e for p in world.people for e in p.events]
    truth = np.array([p.leaves for p in world.people], dtype=int)
    err.print(f"{args.customers:,} customers, {len(events):,} events, {truth.mean():.1%} leave")
    engine = make_engine(f"sqlite:///{workdir / 'early.db'}", sqlite_synchronous="OFF")
    try:
        upgrade(engine)
        started = time.perf_counter()
        for k in range(0, len(events), args.batch):
            result = ingest_events(engine, events[k : k + args.batch], insight=True)
            rejected = [item for item in result.items if item.status == "rejected"]
            assert not rejected, rejected[:3]
            if (k // args.batch) % 10 == 0:
                err.print(
                    f"ingested {k + args.batch:,} events ({time.perf_counter() - started:,.0f} s)"
                )
        ingest_s = time.perf_counter() - started
        ranked = from_memory(engine, world)
    finally:
        engine.dispose()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    ranked["fitted"] = fitted_reference(ranked.pop("features"), truth, args.seed)
    ranked["visible_ceiling"] = np.array([p.visible_chance for p in world.people])
    ranked["ceiling"] = np.array([p.chance for p in world.people])
    figures: dict[str, Any] = {
        "bench": "early_warning",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "customers": args.customers,
        "events": len(events),
        "seed": args.seed,
        "leavers": int(truth.sum()),
        "base_rate": round(float(truth.mean()), 4),
        "ingest_seconds": round(ingest_s, 1),
        "scored": int((ranked["warmline"] > 0).sum()),
        "results": {name: evaluate(name, s, truth, args.seed) for name, s in ranked.items()},
    }
    res = figures["results"]
    best = max(res["recency"]["p_at_1"], res["count"]["p_at_1"])
    figures["lift_at_1_over_best_baseline"] = (
        round(res["warmline"]["p_at_1"] / best, 2) if best else None
    )
    figures["goal"] = {
        "auc_min": GOAL_AUC,
        "lift_at_1_min": GOAL_LIFT,
        "met": bool(
            res["warmline"]["auc"] >= GOAL_AUC and res["warmline"]["p_at_1"] >= GOAL_LIFT * best
        ),
    }
    table = Table(
        title=f"early warning: {args.customers:,} simulated customers,"
        f" {truth.sum():,} leave ({truth.mean():.1%})"
    )
    for col in ("ranking", "AUC", "precision @1 %", "precision @5 %"):
        table.add_column(col, justify="left" if col == "ranking" else "right")
    labels = {
        "warmline": "Warmline risk score (kept at ingest)",
        "recency": "baseline: most recent contact first",
        "count": "baseline: most contacts first",
        "fitted": "reference: the same signals, weights fitted to outcomes (5-fold)",
        "visible_ceiling": "ceiling of the memory: the chance from visible causes only",
        "ceiling": "ceiling: the simulator's own chance of leaving",
    }
    for name, label in labels.items():
        f = res[name]
        table.add_row(label, f"{f['auc']:.3f}", f"{f['p_at_1']:.1%}", f"{f['p_at_5']:.1%}")
    out.print(table)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
