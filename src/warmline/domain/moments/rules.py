"""Moment rules: what makes a cue, checked when loaded.

A rules file (YAML; ``WARMLINE_MOMENTS_FILE``, or the rules shipped with Warmline)::

    activities: [loan.top_up]          # names your sources send beyond the built-in list
    rules:
      - id: happy_driving
        kind: celebration              # sensitivity, service, celebration or sales
        when: {activity: loan.approved, where: {purpose: car}}
        days: 30                       # the cue lasts this long after the activity
        cue: "Car loan approved {ago}: a moment to wish them happy driving"
      - id: tenure
        kind: celebration
        when: {anniversary: customer_since}    # in the month of each anniversary
        cue: "{years} years with us this month"
      - id: birthday
        kind: celebration
        when: {birthday: true}
        consent: personalisation       # only with this consent recorded
        cue: "Birthday today"
      - id: bereavement
        kind: sensitivity
        when: {activity: [life_event.bereavement, life_event.illness]}
        days: 90
        suppresses: [celebration, sales]   # kinds or rule ids silenced while it lasts
        cue: "Recent bereavement ({ago}): no sales, give them time; address them as {address_as}"

Placeholders: ``{ago}`` (when the activity happened), ``{years}`` (anniversary),
``{address_as}`` (the name they asked us to use), and any attribute of the activity
(``{purpose}``). A rule may also end on a date (``until: 2027-01-31``).

Problems found at load, all at once, each with where and what to do: unknown keys,
activity names nobody declared (with the nearest known name), placeholders the rule cannot
fill, a ``days`` that is not positive, an ``until`` already past, and rules that silence
each other in a loop (then neither could be shown with confidence).
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process

KINDS = ("sensitivity", "service", "celebration", "sales")
#: Business events Warmline knows by name; a rules file declares any others it uses.
KNOWN_ACTIVITIES = frozenset(
    {
        "account.opened",
        "account.closed",
        "card.declined",
        "card.lost",
        "direct_debit.cancelled",
        "loan.applied",
        "loan.approved",
        "loan.declined",
        "loan.repaid",
        "mortgage.approved",
        "mortgage.completed",
        "payment.failed",
        "profile.confirmed",
        "savings.goal_reached",
        "web.cancellation_page_viewed",
        "life_event.bereavement",
        "life_event.illness",
        "life_event.job_loss",
        "life_event.financial_difficulty",
        "life_event.new_baby",
        "life_event.marriage",
        "life_event.moved_home",
        "life_event.retirement",
    }
)
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_ACTIVITY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_RULE_KEYS = {"id", "kind", "when", "days", "until", "cue", "consent", "suppresses"}
_WHEN_KEYS = {"activity", "where", "anniversary", "birthday"}
ANNIVERSARY_FACTS = ("customer_since",)
MAX_DAYS = 3650
MAX_RULES = 200


class RulesError(ValueError):
    """What is wrong with a rules file: each problem as (where, what to do)."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(f"{file}: " + "; ".join(f"{w}: {p}" for w, p in problems))


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: str
    cue: str
    activities: frozenset[str] = frozenset()
    where: tuple[tuple[str, Any], ...] = ()
    anniversary: str | None = None
    birthday: bool = False
    days: int = 30
    until: dt.date | None = None
    consent: str | None = None
    suppresses: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class MomentRules:
    rules: tuple[Rule, ...]
    #: Rule id -> the rule ids it silences (kinds expanded).
    silences: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def activity_names(self) -> frozenset[str]:
        return frozenset(name for r in self.rules for name in r.activities)

    @property
    def horizon(self) -> dt.timedelta:
        """How far back an activity can still make a cue."""
        days = [r.days for r in self.rules if r.activities]
        return dt.timedelta(days=max(days, default=0))


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def parse_rules(data: Any, file: str, today: dt.date) -> MomentRules:
    """Checked rules from a parsed YAML document, or :class:`RulesError`."""
    problems: list[tuple[str, str]] = []
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RulesError(file, [("(top)", "a rules file is a mapping with a list under rules")])
    for key in sorted(set(data) - {"rules", "activities"}):
        problems.append((str(key)[:40], "unknown key: use rules and activities"))
    declared = data.get("activities") or []
    if not isinstance(declared, list) or not all(
        isinstance(a, str) and _ACTIVITY.match(a) for a in declared
    ):
        problems.append(("activities", "list dotted lower-case names, e.g. [loan.top_up]"))
        declared = []
    known = KNOWN_ACTIVITIES | set(declared)
    if len(data["rules"]) > MAX_RULES:
        problems.append(("rules", f"at most {MAX_RULES} rules"))
    rules: list[Rule] = []
    ids: set[str] = set()
    for n, item in enumerate(data["rules"][:MAX_RULES]):
        rule = _rule(item, f"rules[{n}]", known, today, problems)
        if rule is None:
            continue
        if rule.id in ids:
            problems.append((f"rules[{n}].id", f"duplicate rule id '{rule.id}'"))
            continue
        ids.add(rule.id)
        rules.append(rule)
    silences = _silences(rules, problems)
    if problems:
        raise RulesError(file, problems)
    return MomentRules(tuple(rules), silences)


def _rule(
    item: Any, where: str, known: frozenset[str], today: dt.date, problems: list[tuple[str, str]]
) -> Rule | None:
    if not isinstance(item, dict):
        problems.append((where, "a rule is a mapping with id, kind, when and cue"))
        return None
    before = len(problems)
    for key in sorted(set(item) - _RULE_KEYS):
        problems.append(
            (f"{where}.{str(key)[:40]}", f"unknown key: use {', '.join(sorted(_RULE_KEYS))}")
        )
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        problems.append((f"{where}.id", "give an id of lower-case letters, digits and _"))
    kind = item.get("kind")
    if kind not in KINDS:
        problems.append((f"{where}.kind", f"'{str(kind)[:30]}' is not one of {', '.join(KINDS)}"))
    when = item.get("when")
    activities: list[str] = []
    where_attrs: dict[str, Any] = {}
    anniversary = None
    birthday = False
    if not isinstance(when, dict) or not when:
        problems.append((f"{where}.when", "say when: activity, anniversary or birthday"))
        when = {}
    for key in sorted(set(when) - _WHEN_KEYS):
        problems.append(
            (
                f"{where}.when.{str(key)[:40]}",
                f"unknown condition: use {', '.join(sorted(_WHEN_KEYS))}",
            )
        )
    triggers = [k for k in ("activity", "anniversary", "birthday") if k in when]
    if len(triggers) > 1:
        problems.append((f"{where}.when", f"one trigger a rule, not {' and '.join(triggers)}"))
    if "activity" in when:
        names = when["activity"]
        activities = [names] if isinstance(names, str) else names
        if not isinstance(activities, list) or not activities:
            problems.append((f"{where}.when.activity", "name an activity or a list of them"))
            activities = []
        for name in activities:
            if not isinstance(name, str) or name not in known:
                near = process.extractOne(str(name), sorted(known), score_cutoff=70)
                hint = f"did you mean '{near[0]}'? " if near else ""
                problems.append(
                    (
                        f"{where}.when.activity",
                        f"unknown activity '{str(name)[:60]}': {hint}declare it under "
                        "activities: if your sources send it",
                    )
                )
        where_attrs = when.get("where") or {}
        if not isinstance(where_attrs, dict) or not all(
            isinstance(v, str | int | float | bool) for v in where_attrs.values()
        ):
            problems.append(
                (f"{where}.when.where", "match attributes to plain values, e.g. {purpose: car}")
            )
            where_attrs = {}
    elif "where" in when:
        problems.append((f"{where}.when.where", "where applies to an activity"))
    if "anniversary" in when:
        anniversary = when["anniversary"]
        if anniversary not in ANNIVERSARY_FACTS:
            problems.append(
                (
                    f"{where}.when.anniversary",
                    f"anniversaries are of {', '.join(ANNIVERSARY_FACTS)}",
                )
            )
    if "birthday" in when:
        birthday = when["birthday"] is True
        if not birthday:
            problems.append((f"{where}.when.birthday", "write birthday: true"))
    days = item.get("days", 30)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        problems.append(
            (f"{where}.days", f"give the days the cue lasts, 1 to {MAX_DAYS}; got {str(days)[:20]}")
        )
    until = item.get("until")
    if until is not None:
        if not isinstance(until, dt.date):
            try:
                until = dt.date.fromisoformat(str(until))
            except ValueError:
                problems.append((f"{where}.until", "write a date, e.g. 2027-01-31"))
                until = None
        if isinstance(until, dt.date) and until < today:
            problems.append(
                (
                    f"{where}.until",
                    f"{until.isoformat()} has passed: remove the rule or give a later date",
                )
            )
    cue = item.get("cue")
    if not isinstance(cue, str) or not cue.strip() or len(cue) > 200:
        problems.append((f"{where}.cue", "give the cue's words, at most 200 characters"))
    else:
        # An activity's own attributes may fill its cue (known only when it arrives).
        allowed = {"address_as"} | ({"years"} if anniversary else set())
        try:
            named = _placeholders(cue)
        except ValueError:
            named = {"{"}
        unknown = {
            p
            for p in named
            if p not in allowed and not (activities and re.match(r"^[a-z][a-z0-9_]*$", p))
        }
        if unknown:
            fill = "{ago}, an attribute of the activity, " if activities else ""
            problems.append(
                (
                    f"{where}.cue",
                    f"cannot fill {', '.join(sorted(unknown))[:100]}: use {fill}"
                    + ("{years}, " if anniversary else "")
                    + "{address_as}",
                )
            )
    consent = item.get("consent")
    if consent is not None and (not isinstance(consent, str) or not _ID.match(consent)):
        problems.append((f"{where}.consent", "name a consent purpose, e.g. personalisation"))
    suppresses = item.get("suppresses") or []
    if not isinstance(suppresses, list) or not all(isinstance(s, str) for s in suppresses):
        problems.append(
            (f"{where}.suppresses", "list kinds or rule ids, e.g. [celebration, sales]")
        )
        suppresses = []
    if len(problems) > before:
        return None
    return Rule(
        id=str(rule_id),
        kind=str(kind),
        cue=str(cue).strip(),
        activities=frozenset(activities),
        where=tuple(sorted(where_attrs.items())),
        anniversary=anniversary,
        birthday=birthday,
        days=int(days),
        until=until,
        consent=consent,
        suppresses=frozenset(suppresses),
    )


def _silences(rules: list[Rule], problems: list[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """Which rules each rule silences (kinds expanded), refusing names that are neither a
    kind nor a rule and loops (A silences B silences ... A)."""
    ids = {r.id for r in rules}
    by_kind: dict[str, set[str]] = {}
    for r in rules:
        by_kind.setdefault(r.kind, set()).add(r.id)
    silences: dict[str, frozenset[str]] = {}
    for r in rules:
        targets: set[str] = set()
        for name in r.suppresses:
            if name in KINDS:
                targets |= by_kind.get(name, set())
            elif name in ids:
                targets.add(name)
            else:
                problems.append(
                    (f"rule {r.id}.suppresses", f"'{name[:40]}' is neither a kind nor a rule id")
                )
        silences[r.id] = frozenset(targets - {r.id})
    # A loop means the rules cannot agree which of them to show.
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(silences.get(node, ())):
            if state.get(nxt) == 1:
                loop = (
                    " → ".join([*path[path.index(nxt) :], nxt])
                    if nxt in path
                    else f"{node} → {nxt}"
                )
                problems.append(
                    (
                        f"rule {nxt}",
                        f"rules silence each other in a loop ({loop}): let one of them win",
                    )
                )
            elif state.get(nxt) is None:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for r in rules:
        if r.id not in state:
            visit(r.id, [r.id])
    return silences
