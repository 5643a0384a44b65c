"""Branches as configured: their services, service points and the staff who sit at them.

A branches file (``WARMLINE_BRANCHES_FILE``, or ``warmline branches load FILE``) is YAML;
the admin API takes one branch at a time in the same shape (as JSON)::

    branches:
      - code: soho                   # lower-case letters, digits and dashes
        name: Soho
        timezone: Europe/London      # ticket numbers and appointment days are local
        services:
          - code: everyday
            name: Cards and everyday banking
            letter: A                # tickets A001, A002, ... (one letter per service)
            minutes: 8               # a usual visit, until the branch has its own history
            reasons: [Lost or stolen card, Card declined, Paying in]
          - code: mortgages
            name: Mortgages
            letter: M
        service_points:
          - code: counter-1
            name: Counter 1
            services: [everyday]
          - code: desk-2
            name: Mortgage desk
            services: [mortgages, everyday]
        staff: [dave, priya]         # desk key names that may sit at this branch

Every problem is reported with where it is (``branches[0].services[1].letter``), what is
wrong and what to write instead, so a bad file is refused with the fix, not half-loaded.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

MAX_BRANCHES = 1000
MAX_SERVICES = 26  # one ticket letter each
MAX_POINTS = 200
MAX_STAFF = 2000
MAX_REASONS = 20
MAX_NAME_CHARS = 80
MAX_STAFF_CHARS = 200
MAX_MINUTES = 240
DEFAULT_MINUTES = 10
_CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_KNOWN = {
    "branch": {"code", "name", "timezone", "services", "service_points", "staff"},
    "service": {"code", "name", "letter", "minutes", "reasons"},
    "point": {"code", "name", "services"},
}


class SetupError(ValueError):
    """What is wrong with a branch setup: each problem as (where, what is wrong and the fix)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{where}: {what}" for where, what in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Service:
    """What customers queue for: its ticket letter, usual minutes and the reasons offered."""

    code: str
    name: str
    letter: str
    minutes: int = DEFAULT_MINUTES
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServicePoint:
    """A counter or desk, and the services it calls tickets for."""

    code: str
    name: str
    services: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Branch:
    """One branch as configured."""

    code: str
    name: str
    timezone: str
    services: tuple[Service, ...]
    service_points: tuple[ServicePoint, ...]
    staff: tuple[str, ...] = ()

    def service(self, code: str) -> Service | None:
        return next((s for s in self.services if s.code == code), None)

    def point(self, code: str) -> ServicePoint | None:
        return next((p for p in self.service_points if p.code == code), None)

    def by_letter(self, letter: str) -> Service | None:
        return next((s for s in self.services if s.letter == letter), None)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def to_json(self) -> dict[str, Any]:
        """The branch as stored and as the API shows it."""
        return {
            "code": self.code,
            "name": self.name,
            "timezone": self.timezone,
            "services": [
                {
                    "code": s.code,
                    "name": s.name,
                    "letter": s.letter,
                    "minutes": s.minutes,
                    "reasons": list(s.reasons),
                }
                for s in self.services
            ],
            "service_points": [
                {"code": p.code, "name": p.name, "services": list(p.services)}
                for p in self.service_points
            ],
            "staff": list(self.staff),
        }


def parse_setup(text: str) -> list[Branch]:
    """The branches of a YAML document; raise :class:`SetupError` listing every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "the file"
        raise SetupError(
            [(where, f"not valid YAML ({getattr(exc, 'problem', exc)}); check the indentation")]
        ) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("branches"), list):
        raise SetupError(
            [("branches", "the file must hold a list under 'branches:' (see the README's Branch)")]
        )
    problems: list[tuple[str, str]] = []
    raw = data["branches"]
    if len(raw) > MAX_BRANCHES:
        problems.append(("branches", f"at most {MAX_BRANCHES} branches in one file"))
    branches = []
    for n, item in enumerate(raw[:MAX_BRANCHES]):
        try:
            branches.append(check_branch(item, f"branches[{n}]"))
        except SetupError as exc:
            problems.extend(exc.problems)
    seen: set[str] = set()
    for n, branch in enumerate(branches):
        if branch.code in seen:
            problems.append(
                (f"branches[{n}].code", f"'{branch.code}' appears twice; give each its own code")
            )
        seen.add(branch.code)
    if problems:
        raise SetupError(problems)
    return branches


def check_branch(data: Any, where: str = "branch") -> Branch:
    """One branch from its JSON or YAML shape; raise :class:`SetupError` listing every problem."""
    problems: list[tuple[str, str]] = []
    if not isinstance(data, Mapping):
        raise SetupError([(where, "a branch is a mapping with code, name, services, ...")])
    _unknown(data, "branch", where, problems)
    code = _code(data.get("code"), f"{where}.code", problems)
    name = _name(data.get("name"), f"{where}.name", problems)
    timezone = _timezone(data.get("timezone", "Europe/London"), f"{where}.timezone", problems)
    services = _services(data.get("services"), f"{where}.services", problems)
    offered = {s.code for s in services}
    points = _points(data.get("service_points"), f"{where}.service_points", offered, problems)
    served = {code for p in points for code in p.services}
    for n, service in enumerate(services):
        if service.code not in served:
            problems.append(
                (
                    f"{where}.services[{n}]",
                    f"no service point serves '{service.code}': its tickets would wait forever; "
                    "list it under a service point's services",
                )
            )
    staff = _staff(data.get("staff", []), f"{where}.staff", problems)
    if problems:
        raise SetupError(problems)
    return Branch(code, name, timezone, tuple(services), tuple(points), tuple(staff))


def branch_from_json(data: Mapping[str, Any]) -> Branch:
    """A branch as stored (checked when it was stored)."""
    return Branch(
        code=data["code"],
        name=data["name"],
        timezone=data["timezone"],
        services=tuple(
            Service(s["code"], s["name"], s["letter"], s["minutes"], tuple(s["reasons"]))
            for s in data["services"]
        ),
        service_points=tuple(
            ServicePoint(p["code"], p["name"], tuple(p["services"])) for p in data["service_points"]
        ),
        staff=tuple(data.get("staff", ())),
    )


def _unknown(data: Mapping[str, Any], kind: str, where: str, problems: list[Any]) -> None:
    for key in data:
        if key not in _KNOWN[kind]:
            known = ", ".join(sorted(_KNOWN[kind]))
            problems.append((f"{where}.{str(key)[:40]}", f"unknown field; a {kind} has {known}"))


def _code(value: Any, where: str, problems: list[Any]) -> str:
    if not isinstance(value, str) or not _CODE.match(value):
        problems.append(
            (where, "a code is 1-40 lower-case letters, digits and dashes, e.g. 'soho'")
        )
        return ""
    return value


def _name(value: Any, where: str, problems: list[Any]) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_CHARS:
        problems.append((where, f"a name is text of 1-{MAX_NAME_CHARS} characters"))
        return ""
    if any(ord(ch) < 32 for ch in value):
        problems.append((where, "a name may not hold control characters"))
    return value.strip()


def _timezone(value: Any, where: str, problems: list[Any]) -> str:
    if not isinstance(value, str) or not value or len(value) > 64:
        problems.append((where, "a time zone is an IANA name, e.g. 'Europe/London'"))
        return "UTC"
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(
            (where, f"unknown time zone '{value}'; use an IANA name, e.g. 'Europe/London'")
        )
        return "UTC"
    return value


def _list(value: Any, where: str, limit: int, problems: list[Any]) -> list[Any]:
    if not isinstance(value, list) or not value:
        problems.append((where, "a list of at least one is needed here"))
        return []
    if len(value) > limit:
        problems.append((where, f"at most {limit} here"))
    return value[:limit]


def _services(value: Any, where: str, problems: list[Any]) -> list[Service]:
    services: list[Service] = []
    for n, item in enumerate(_list(value, where, MAX_SERVICES, problems)):
        at = f"{where}[{n}]"
        if not isinstance(item, Mapping):
            problems.append((at, "a service is a mapping with code, name and letter"))
            continue
        _unknown(item, "service", at, problems)
        letter = item.get("letter")
        if not isinstance(letter, str) or not re.fullmatch(r"[A-Z]", letter):
            problems.append((f"{at}.letter", "a ticket letter is one capital letter, e.g. 'A'"))
            letter = ""
        minutes = item.get("minutes", DEFAULT_MINUTES)
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            problems.append((f"{at}.minutes", f"whole minutes from 1 to {MAX_MINUTES}"))
            minutes = DEFAULT_MINUTES
        elif not 1 <= minutes <= MAX_MINUTES:
            problems.append((f"{at}.minutes", f"whole minutes from 1 to {MAX_MINUTES}"))
        reasons = item.get("reasons", [])
        if not isinstance(reasons, list) or len(reasons) > MAX_REASONS:
            problems.append((f"{at}.reasons", f"a list of up to {MAX_REASONS} reasons"))
            reasons = []
        for r, reason in enumerate(reasons):
            _name(reason, f"{at}.reasons[{r}]", problems)
        services.append(
            Service(
                code=_code(item.get("code"), f"{at}.code", problems),
                name=_name(item.get("name"), f"{at}.name", problems),
                letter=letter,
                minutes=minutes,
                reasons=tuple(str(r).strip() for r in reasons if isinstance(r, str)),
            )
        )
    _unique(services, "code", where, problems)
    _unique(services, "letter", where, problems)
    return services


def _points(value: Any, where: str, offered: set[str], problems: list[Any]) -> list[ServicePoint]:
    points: list[ServicePoint] = []
    for n, item in enumerate(_list(value, where, MAX_POINTS, problems)):
        at = f"{where}[{n}]"
        if not isinstance(item, Mapping):
            problems.append((at, "a service point is a mapping with code, name and services"))
            continue
        _unknown(item, "point", at, problems)
        services = item.get("services")
        if not isinstance(services, list) or not services:
            problems.append((f"{at}.services", "list the services this point calls tickets for"))
            services = []
        for s, code in enumerate(services):
            if code not in offered:
                problems.append(
                    (
                        f"{at}.services[{s}]",
                        f"'{str(code)[:40]}' is not one of this branch's services "
                        f"({', '.join(sorted(offered)) or 'none'})",
                    )
                )
        points.append(
            ServicePoint(
                code=_code(item.get("code"), f"{at}.code", problems),
                name=_name(item.get("name"), f"{at}.name", problems),
                services=tuple(str(s) for s in services if s in offered),
            )
        )
    _unique(points, "code", where, problems)
    return points


def _staff(value: Any, where: str, problems: list[Any]) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_STAFF:
        problems.append((where, f"a list of up to {MAX_STAFF} desk key names"))
        return []
    staff = []
    for n, name in enumerate(value):
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_STAFF_CHARS:
            problems.append((f"{where}[{n}]", "a staff member is the name of their desk key"))
            continue
        staff.append(name.strip())
    return list(dict.fromkeys(staff))


def _unique(items: Sequence[Any], attribute: str, where: str, problems: list[Any]) -> None:
    seen: set[str] = set()
    for n, item in enumerate(items):
        value = getattr(item, attribute)
        if value and value in seen:
            problems.append(
                (f"{where}[{n}].{attribute}", f"'{value}' is used twice; each needs its own")
            )
        seen.add(value)
