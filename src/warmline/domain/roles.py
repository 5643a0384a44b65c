"""Roles and what each may do: the one permission table every route is checked against."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    INTEGRATOR = "integrator"
    ADMIN = "admin"


class Permission(StrEnum):
    READ_CUSTOMERS = "customers:read"
    REVEAL_IDENTIFIERS = "identifiers:reveal"
    WRITE_EVENTS = "events:write"


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Agents and supervisors read the memory; they never post raw events.
    Role.AGENT: frozenset({Permission.READ_CUSTOMERS}),
    Role.SUPERVISOR: frozenset({Permission.READ_CUSTOMERS}),
    # Integrators feed the memory; they cannot read customers back out of it.
    Role.INTEGRATOR: frozenset({Permission.WRITE_EVENTS}),
    Role.ADMIN: frozenset(Permission),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]
