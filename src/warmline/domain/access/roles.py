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
    #: A kiosk or a waiting-room screen in a branch: checks customers in, shows tickets.
    KIOSK = "kiosk"


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
    #: See the branches, their services and service points.
    READ_BRANCHES = "branches:read"
    #: Create and change branches, services, service points and who staffs them.
    MANAGE_BRANCHES = "branches:manage"
    #: Check a customer in at a branch (a kiosk): by app code, phone and SMS code, booking.
    CHECK_IN = "visits:check_in"
    #: Call tickets at a service point, finish visits, record no-shows, link guests.
    SERVE_VISITS = "visits:serve"
    #: Book a branch appointment for a customer, from any channel.
    BOOK_APPOINTMENTS = "appointments:book"
    #: Issue the signed QR code an app shows to check in at a branch.
    ISSUE_CHECKIN_CODES = "checkin_codes:issue"
    #: Create, list, rotate and revoke webhook connectors (Chatwoot, Zendesk).
    MANAGE_CONNECTORS = "connectors:manage"
    #: Ask for a short-lived link that opens a card inside another agent desktop.
    EMBED_CARDS = "cards:embed"
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
    #: Subscribe receivers to webhook events, see and replay their dead letters.
    MANAGE_WEBHOOKS = "webhooks:manage"


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
            Permission.READ_BRANCHES,
            Permission.SERVE_VISITS,
            Permission.BOOK_APPOINTMENTS,
            Permission.EMBED_CARDS,
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
            Permission.READ_BRANCHES,
            Permission.SERVE_VISITS,
            Permission.BOOK_APPOINTMENTS,
            Permission.EMBED_CARDS,
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
    # customer signed in there (pre-fill) and record what the customer confirmed. The app
    # also books branch appointments and shows the signed code that checks the customer in
    # at a branch; a vendor's kiosk checks in. Another agent desktop's backend asks for the
    # embedded card of the agent it serves (the card is read as that agent).
    Role.INTEGRATOR: frozenset(
        {
            Permission.EMBED_CARDS,
            Permission.WRITE_EVENTS,
            Permission.START_CONTACTS,
            Permission.ISSUE_CONTINUATIONS,
            Permission.PRESENT_CONTINUATIONS,
            Permission.READ_BRANCHES,
            Permission.CHECK_IN,
            Permission.BOOK_APPOINTMENTS,
            Permission.ISSUE_CHECKIN_CODES,
            Permission.PREFILL_FORMS,
            Permission.CONFIRM_FORMS,
            Permission.SEND_FORM_LINKS,
        }
    ),
    Role.ADMIN: frozenset(Permission),
    # Auditors read who looked at what; they read no customer and change nothing.
    Role.AUDITOR: frozenset({Permission.READ_AUDIT}),
    # A kiosk on the branch floor checks customers in and a screen shows the tickets called;
    # neither reads a customer beyond the first name it greets them by.
    Role.KIOSK: frozenset({Permission.READ_BRANCHES, Permission.CHECK_IN}),
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
