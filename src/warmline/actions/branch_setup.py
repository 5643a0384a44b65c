"""Storing branches (from the branches file or the admin API) and who sits where.

A branch is stored whole, replacing what was there, and audited. Tickets and visits name
branches, services and service points by code, so renaming is free, while a service or
service point taken out of a branch leaves its history as it was.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warmline.actions.audit import append_chained, audit_row
from warmline.domain.access.roles import Actor, Role
from warmline.domain.branch.setup import Branch, ServicePoint, SetupError, parse_setup
from warmline.errors import Forbidden, InvalidRequest, NotFound
from warmline.storage import branch_queries as bq
from warmline.storage import schema as t
from warmline.storage.engine import writing

#: Who stores the branches file's branches.
FILE_ACTOR = Actor("branches-file", "branches file", Role.ADMIN)
MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass
class LoadReport:
    """What loading a branches file did, branch by branch."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def save_branch(
    engine: Engine, actor: Actor, branch: Branch, now: dt.datetime | None = None
) -> str:
    """Store ``branch`` (checked already); return added, changed or unchanged."""
    now = now or dt.datetime.now(dt.UTC)
    setup = branch.to_json()
    b = t.branches
    with writing(engine) as conn, conn.begin():
        before = conn.execute(sa.select(b.c.setup).where(b.c.code == branch.code)).first()
        if before is not None and before.setup == setup:
            return "unchanged"
        values = {"name": branch.name, "setup": setup, "updated_by": actor.name, "updated_at": now}
        if before is None:
            conn.execute(b.insert().values(code=branch.code, **values))
        else:
            conn.execute(b.update().where(b.c.code == branch.code).values(**values))
        outcome = "added" if before is None else "changed"
        detail = {"branch": branch.code, "outcome": outcome}
        append_chained(conn, [audit_row(actor, "branch.saved", None, detail)])
    return outcome


def read_branches_file(path: Path) -> list[Branch]:
    """The branches of a YAML file, checked; every problem names the file and where in it."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SetupError([(str(path), f"the file is over {MAX_FILE_BYTES} bytes")])
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SetupError(
            [(str(path), f"cannot be read ({exc.strerror}); check WARMLINE_BRANCHES_FILE")]
        ) from None
    except UnicodeDecodeError:
        raise SetupError([(str(path), "is not UTF-8 text; save it as UTF-8")]) from None
    try:
        return parse_setup(text)
    except SetupError as exc:
        raise SetupError([(f"{path}: {where}", what) for where, what in exc.problems]) from None


def load_branches_file(engine: Engine, path: Path) -> LoadReport:
    """Check the whole file, then store each branch (nothing is stored if any is wrong);
    a wrong file is refused with every problem, where it is and the fix."""
    try:
        branches = read_branches_file(path)
    except SetupError as exc:
        raise InvalidRequest(
            "invalid_branches_file",
            "the branches file has problems: "
            + "; ".join(f"{where}: {what}" for where, what in exc.problems[:20])
            + (f"; and {len(exc.problems) - 20} more" if len(exc.problems) > 20 else ""),
            hint="fix them and start again (`warmline branches check FILE` checks a file)",
            extra={"errors": [{"field": w, "reason": r} for w, r in exc.problems]},
        ) from None
    report = LoadReport()
    for branch in branches:
        outcome = save_branch(engine, FILE_ACTOR, branch)
        getattr(report, outcome).append(branch.code)
    return report


def sit_at(
    engine: Engine, actor: Actor, branch: Branch, point_code: str, now: dt.datetime | None = None
) -> dict[str, str]:
    """``actor`` sits at a service point of ``branch`` (leaving wherever they sat before)."""
    now = now or dt.datetime.now(dt.UTC)
    point = point_or_404(branch, point_code)
    check_staff(actor, branch)
    s = t.sittings
    with writing(engine) as conn, conn.begin():
        conn.execute(
            s.update().where(s.c.staff == actor.name, s.c.ended_at.is_(None)).values(ended_at=now)
        )
        conn.execute(
            s.insert().values(
                id="sit_" + secrets.token_hex(8),
                staff=actor.name,
                branch=branch.code,
                service_point=point.code,
                started_at=now,
            )
        )
    return {"branch": branch.code, "service_point": point.code}


def leave(engine: Engine, staff: str, now: dt.datetime | None = None) -> None:
    """``staff`` leaves the service point they sit at, if any."""
    s = t.sittings
    with writing(engine) as conn, conn.begin():
        conn.execute(
            s.update()
            .where(s.c.staff == staff, s.c.ended_at.is_(None))
            .values(ended_at=now or dt.datetime.now(dt.UTC))
        )


def point_or_404(branch: Branch, code: str) -> ServicePoint:
    point = branch.point(code)
    if point is None:
        raise NotFound(
            "service_point_not_found",
            f"{branch.name} has no service point '{code[:40]}'",
            hint=f"its service points: {', '.join(p.code for p in branch.service_points)}",
        )
    return point


def check_staff(actor: Actor, branch: Branch) -> None:
    """Refuse (403) someone the branch's setup does not list as its staff."""
    if actor.name not in branch.staff:
        raise Forbidden(
            "not_staff_here",
            f"'{actor.name[:60]}' is not on the staff of {branch.name}",
            hint="an admin adds the desk key's name to the branch's staff "
            "(the branches file or PUT /v1/branches/{code})",
        )


def branch_or_404(engine: Engine, code: str) -> Branch:
    with engine.connect() as conn:
        found = bq.branch(conn, code)
    if found is None:
        raise NotFound(
            "branch_not_found",
            f"no branch '{code[:40]}'",
            hint="GET /v1/branches lists them; an admin adds one with PUT /v1/branches/{code}",
        )
    return found
