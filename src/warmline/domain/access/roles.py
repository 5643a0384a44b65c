"""Roles and what each may do: the one permission table every route is checked against."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    INTEGRATOR = "integrator"
    ADMIN = "admin"
    AUDITOR = "auditor"


class Permission(StrEnum):
    READ_CUSTOMERS = "customers:read"
    SEE_UNMASKED = "customers:unmasked"
    WRITE_EVENTS = "events:write"
    START_CONTACTS = "contacts:start"
    READ_AUDIT = "audit:read"
    EXPORT_CUSTOMERS = "customers:export"
    ERASE_CUSTOMERS = "customers:erase"
    MERGE_CUSTOMERS = "customers:merge"
    ANSWER_SUGGESTIONS = "suggestions:answer"
    HAND_OVER = "handovers:send"
    ISSUE_CONTINUATIONS = "continuations:issue"
    PRESENT_CONTINUATIONS = "continuations:present"
    #: Read and search articles, and say whether a suggested one helped.
    READ_ARTICLES = "articles:read"
    #: Write, change and retire articles; see the questions no article answers.
    MANAGE_ARTICLES = "articles:manage"
    #: Read the metrics (first contact resolution, effort, feedback, promises kept).
    READ_METRICS = "metrics:read"
    #: Work the at-risk queue: see who is at risk and why, record outreach.
    WORK_AT_RISK = "at_risk:work"
    #: Read a form pre-filled from the memory (sensitive values masked unless the role sees
    #: them or a key that may verify says the customer is verified).
    PREFILL_FORMS = "forms:prefill"
    #: Record the customer's confirmations and corrections of a pre-filled form.
    CONFIRM_FORMS = "forms:confirm"
    #: Make a signed link for the customer to confirm a form themselves.
    SEND_FORM_LINKS = "forms:link"


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Agents and supervisors read the memory; they never post raw events.
    # Agents record the customer's answer to "is this also you?"; supervisors decide merges.
    # Both hand interactions over and type in continuation codes customers read out.
    Role.AGENT: frozenset(
        {
            Permission.READ_CUSTOMERS,
            Permission.START_CONTACTS,
            Permission.ANSWER_SUGGESTIONS,
            Permission.HAND_OVER,
            Permission.PRESENT_CONTINUATIONS,
            Permission.READ_ARTICLES,
            Permission.PREFILL_FORMS,
            Permission.SEND_FORM_LINKS,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            Permission.READ_CUSTOMERS,
            Permission.START_CONTACTS,
            Permission.ANSWER_SUGGESTIONS,
            Permission.MERGE_CUSTOMERS,
            Permission.HAND_OVER,
            Permission.PRESENT_CONTINUATIONS,
            Permission.READ_ARTICLES,
            Permission.MANAGE_ARTICLES,
            Permission.READ_METRICS,
            Permission.WORK_AT_RISK,
            Permission.PREFILL_FORMS,
            Permission.SEND_FORM_LINKS,
        }
    ),
    # Integrators feed the memory (events, contacts from the channels); they cannot read
    # customers back out of it: a contact they start gets no card in the response.
    # An app's backend issues continuation codes for its verified sessions; an IVR
    # presents the codes callers key in. Their web forms read what is on record for the
    # customer signed in there (pre-fill) and record what the customer confirmed.
    Role.INTEGRATOR: frozenset(
        {
            Permission.WRITE_EVENTS,
            Permission.START_CONTACTS,
            Permission.ISSUE_CONTINUATIONS,
            Permission.PRESENT_CONTINUATIONS,
            Permission.PREFILL_FORMS,
            Permission.CONFIRM_FORMS,
            Permission.SEND_FORM_LINKS,
        }
    ),
    Role.ADMIN: frozenset(Permission),
    # Auditors read who looked at what; they read no customer and change nothing.
    Role.AUDITOR: frozenset({Permission.READ_AUDIT}),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in PERMISSIONS[role]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is making a request: the key's id, name and role."""

    key_id: str
    name: str
    role: Role
    #: Whether events sent with this key may claim an identifier was verified.
    may_verify: bool = False


#: The operator at the command line (key management runs locally, outside any key).
LOCAL_ADMIN = Actor("cli", "local admin", Role.ADMIN, may_verify=True)
