"""One method per operation of Warmline's HTTP API, written once for the sync and the async
client: each builds its request and hands it to ``_call``, which the client runs.

Every method is marked with the operation it calls (``operation("GET", "/v1/...")``); a
test fails when the app's OpenAPI document has an operation no method calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])
#: Statuses that are answers, not problems: 207 (some events rejected) among them.
OK = (200, 201, 204, 207)
Json = dict[str, Any]


def operation(method: str, path: str) -> Callable[[F], F]:
    """Mark a method as the client's call of ``method path``."""

    def mark(function: F) -> F:
        function.__operation__ = (method, path)  # type: ignore[attr-defined]
        return function

    return mark


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class Endpoints(Generic[R]):
    """The API's operations; ``R`` is what a call returns (a dict, or an awaitable of one)."""

    headers: dict[str, str]

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        ok: Sequence[int] = OK,
    ) -> R:
        request = {"params": params, "json": json, "headers": {**self.headers, **(headers or {})}}
        return self._send(method, path, request, ok)

    def _send(self, method: str, path: str, request: dict[str, Any], ok: Sequence[int]) -> R:
        """Send one request (``request`` holds httpx's keyword arguments) and read its
        answer: the sync or the async way."""
        raise NotImplementedError

    # -- health ------------------------------------------------------------------------

    @operation("GET", "/healthz")
    def health(self) -> R:
        """Liveness and schema revision (no key needed)."""
        return self._call("GET", "/healthz")

    @operation("GET", "/readyz")
    def ready(self) -> R:
        """Readiness: ``status`` and each check (database, schema, models); a 503 is an
        answer here (not ready yet), not an error."""
        return self._call("GET", "/readyz", ok=(200, 503))

    @operation("GET", "/metrics")
    def prometheus_metrics(self) -> R:
        """The Prometheus text exposition (a string)."""
        return self._call("GET", "/metrics")

    # -- events and contacts -----------------------------------------------------------

    @operation("POST", "/v1/events")
    def post_events(self, events: Sequence[Mapping[str, Any]]) -> R:
        """Ingest a batch of CloudEvents envelopes; per-event results (207 when some were
        rejected is an answer, not an error; 422 when all were raises ``Unprocessable``)."""
        return self._call("POST", "/v1/events", json=list(events))

    @operation("POST", "/v1/contacts")
    def start_contact(
        self,
        channel: str,
        identifiers: Sequence[Mapping[str, Any]],
        *,
        traits: Mapping[str, Any] | None = None,
        agent_id: str | None = None,
        queue: str | None = None,
        contact_id: str | None = None,
        continuation_code: str | None = None,
    ) -> R:
        """A contact starts: the caller resolved, the interaction recorded, the card pushed."""
        customer: Json = {"identifiers": list(identifiers)}
        if traits:
            customer["traits"] = dict(traits)
        body = _clean(
            {
                "channel": channel,
                "customer": customer,
                "agent_id": agent_id,
                "queue": queue,
                "contact_id": contact_id,
                "continuation_code": continuation_code,
            }
        )
        return self._call("POST", "/v1/contacts", json=body)

    # -- customers ---------------------------------------------------------------------

    @operation("GET", "/v1/customers")
    def find_customers(
        self,
        *,
        identifier: str | None = None,
        q: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> R:
        """By ``identifier`` (``kind:value``) or a search ``q``."""
        params = _clean({"identifier": identifier, "q": q, "limit": limit, "offset": offset})
        return self._call("GET", "/v1/customers", params=params)

    @operation("GET", "/v1/customers/{customer_id}")
    def get_customer(self, customer_id: str) -> R:
        return self._call("GET", f"/v1/customers/{customer_id}")

    @operation("DELETE", "/v1/customers/{customer_id}")
    def erase_customer(self, customer_id: str, reason: str) -> R:
        """Erasure (admins): the customer's data leaves every table."""
        return self._call("DELETE", f"/v1/customers/{customer_id}", params={"reason": reason})

    @operation("GET", "/v1/customers/{customer_id}/timeline")
    def get_timeline(
        self, customer_id: str, *, limit: int | None = None, cursor: str | None = None
    ) -> R:
        params = _clean({"limit": limit, "cursor": cursor})
        return self._call("GET", f"/v1/customers/{customer_id}/timeline", params=params)

    @operation("POST", "/v1/customers/{customer_id}/reveal")
    def reveal(self, customer_id: str, fields: Sequence[str], reason: str) -> R:
        body = {"fields": list(fields), "reason": reason}
        return self._call("POST", f"/v1/customers/{customer_id}/reveal", json=body)

    @operation("GET", "/v1/customers/{customer_id}/card")
    def get_card(
        self, customer_id: str, *, channel: str | None = None, interaction_id: str | None = None
    ) -> R:
        params = _clean({"channel": channel, "interaction_id": interaction_id})
        return self._call("GET", f"/v1/customers/{customer_id}/card", params=params)

    @operation("GET", "/v1/customers/{customer_id}/export")
    def export_customer(self, customer_id: str) -> R:
        return self._call("GET", f"/v1/customers/{customer_id}/export")

    @operation("GET", "/v1/interactions/{interaction_id}")
    def get_interaction(self, interaction_id: str) -> R:
        return self._call("GET", f"/v1/interactions/{interaction_id}")

    # -- merges ------------------------------------------------------------------------

    @operation("POST", "/v1/merges/preview")
    def preview_merge(self, from_id: str, into_id: str) -> R:
        return self._call(
            "POST", "/v1/merges/preview", json={"from_id": from_id, "into_id": into_id}
        )

    @operation("POST", "/v1/merges")
    def merge(
        self, from_id: str, into_id: str, reason: str, *, override_conflicts: bool = False
    ) -> R:
        body = {
            "from_id": from_id,
            "into_id": into_id,
            "reason": reason,
            "override_conflicts": override_conflicts,
        }
        return self._call("POST", "/v1/merges", json=body)

    @operation("GET", "/v1/merges")
    def list_merges(self, *, customer_id: str | None = None) -> R:
        return self._call("GET", "/v1/merges", params=_clean({"customer_id": customer_id}))

    @operation("GET", "/v1/merges/{merge_id}")
    def get_merge(self, merge_id: str) -> R:
        return self._call("GET", f"/v1/merges/{merge_id}")

    @operation("POST", "/v1/merges/{merge_id}/undo")
    def undo_merge(self, merge_id: str, reason: str) -> R:
        return self._call("POST", f"/v1/merges/{merge_id}/undo", json={"reason": reason})

    @operation("GET", "/v1/merge-suggestions")
    def list_suggestions(self, *, limit: int | None = None, cursor: str | None = None) -> R:
        params = _clean({"limit": limit, "cursor": cursor})
        return self._call("GET", "/v1/merge-suggestions", params=params)

    @operation("POST", "/v1/merge-suggestions/{suggestion_id}/approve")
    def approve_suggestion(
        self, suggestion_id: str, *, note: str | None = None, override_conflicts: bool = False
    ) -> R:
        body = _clean({"note": note, "override_conflicts": override_conflicts})
        return self._call("POST", f"/v1/merge-suggestions/{suggestion_id}/approve", json=body)

    @operation("POST", "/v1/merge-suggestions/{suggestion_id}/reject")
    def reject_suggestion(self, suggestion_id: str, *, note: str | None = None) -> R:
        body = _clean({"note": note})
        return self._call("POST", f"/v1/merge-suggestions/{suggestion_id}/reject", json=body)

    @operation("POST", "/v1/merge-suggestions/{suggestion_id}/answer")
    def answer_suggestion(self, suggestion_id: str, answer: str) -> R:
        """The customer's answer to "is this also you?": ``yes`` or ``no``."""
        body = {"answer": answer}
        return self._call("POST", f"/v1/merge-suggestions/{suggestion_id}/answer", json=body)

    # -- audit -------------------------------------------------------------------------

    @operation("GET", "/v1/audit")
    def get_audit(
        self,
        *,
        customer_id: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
        before: int | None = None,
        limit: int | None = None,
    ) -> R:
        params = _clean(
            {
                "customer_id": customer_id,
                "actor": actor,
                "action": action,
                "since": since,
                "until": until,
                "before": before,
                "limit": limit,
            }
        )
        return self._call("GET", "/v1/audit", params=params)

    # -- handovers and continuations ---------------------------------------------------

    @operation("POST", "/v1/interactions/{interaction_id}/handover")
    def hand_over(
        self,
        interaction_id: str,
        *,
        to_agent: str | None = None,
        to_queue: str | None = None,
        remark: str | None = None,
        to_role: str | None = None,
    ) -> R:
        body = _clean(
            {"to_agent": to_agent, "to_queue": to_queue, "remark": remark, "to_role": to_role}
        )
        return self._call("POST", f"/v1/interactions/{interaction_id}/handover", json=body)

    @operation("GET", "/v1/handovers/{handover_id}")
    def get_handover(self, handover_id: str) -> R:
        return self._call("GET", f"/v1/handovers/{handover_id}")

    @operation("POST", "/v1/handovers/{handover_id}/accept")
    def accept_handover(self, handover_id: str) -> R:
        return self._call("POST", f"/v1/handovers/{handover_id}/accept")

    @operation("POST", "/v1/customers/{customer_id}/continuations")
    def issue_continuation(
        self,
        customer_id: str,
        *,
        assurance_id: str | None = None,
        interaction_id: str | None = None,
    ) -> R:
        body = _clean({"assurance_id": assurance_id, "interaction_id": interaction_id})
        return self._call("POST", f"/v1/customers/{customer_id}/continuations", json=body)

    @operation("POST", "/v1/interactions/{interaction_id}/continuation")
    def present_continuation(self, interaction_id: str, code: str) -> R:
        path = f"/v1/interactions/{interaction_id}/continuation"
        return self._call("POST", path, json={"code": code})

    # -- knowledge ---------------------------------------------------------------------

    @operation("POST", "/v1/articles")
    def create_article(self, title: str, body: str, **fields: Any) -> R:
        """An article; ``fields``: slug, products, channels, owner, review_date, audience,
        status."""
        return self._call("POST", "/v1/articles", json={"title": title, "body": body, **fields})

    @operation("GET", "/v1/articles")
    def list_articles(
        self, *, status: str | None = None, limit: int | None = None, offset: int | None = None
    ) -> R:
        params = _clean({"status": status, "limit": limit, "offset": offset})
        return self._call("GET", "/v1/articles", params=params)

    @operation("GET", "/v1/articles/search")
    def search_articles(
        self,
        q: str,
        *,
        product: str | None = None,
        channel: str | None = None,
        audience: str | None = None,
        reason: str | None = None,
        limit: int | None = None,
    ) -> R:
        params = _clean(
            {
                "q": q,
                "product": product,
                "channel": channel,
                "audience": audience,
                "reason": reason,
                "limit": limit,
            }
        )
        return self._call("GET", "/v1/articles/search", params=params)

    @operation("GET", "/v1/articles/{article_id}")
    def get_article(self, article_id: str) -> R:
        return self._call("GET", f"/v1/articles/{article_id}")

    @operation("PUT", "/v1/articles/{article_id}")
    def update_article(self, article_id: str, title: str, body: str, **fields: Any) -> R:
        payload = {"title": title, "body": body, **fields}
        return self._call("PUT", f"/v1/articles/{article_id}", json=payload)

    @operation("POST", "/v1/articles/{article_id}/retire")
    def retire_article(self, article_id: str) -> R:
        return self._call("POST", f"/v1/articles/{article_id}/retire")

    @operation("POST", "/v1/articles/{article_id}/feedback")
    def article_feedback(
        self, article_id: str, reason: str, helped: bool, *, interaction_id: str | None = None
    ) -> R:
        body = _clean({"reason": reason, "helped": helped, "interaction_id": interaction_id})
        return self._call("POST", f"/v1/articles/{article_id}/feedback", json=body)

    @operation("POST", "/v1/articles/drafts")
    def draft_article(self, interaction_id: str) -> R:
        return self._call("POST", "/v1/articles/drafts", json={"interaction_id": interaction_id})

    @operation("GET", "/v1/knowledge/gaps")
    def knowledge_gaps(self, *, days: int | None = None, limit: int | None = None) -> R:
        return self._call(
            "GET", "/v1/knowledge/gaps", params=_clean({"days": days, "limit": limit})
        )

    # -- pre-filled forms --------------------------------------------------------------

    @operation("GET", "/v1/customers/{customer_id}/prefill/{form}")
    def get_prefill(self, customer_id: str, form: str, *, verification: str | None = None) -> R:
        """Each field of ``form`` with what is on record: value, source, age, staleness."""
        return self._call(
            "GET",
            f"/v1/customers/{customer_id}/prefill/{form}",
            params=_clean({"verification": verification}),
        )

    @operation("POST", "/v1/customers/{customer_id}/prefill/{form}/confirm")
    def confirm_prefill(
        self,
        customer_id: str,
        form: str,
        answers: Sequence[Mapping[str, Any]],
        *,
        verification: str | None = None,
    ) -> R:
        """The customer's confirmations (``{"field"}``) and corrections (``{"field",
        "value"}``); each answer passes or is rejected on its own."""
        body = _clean({"answers": [dict(a) for a in answers], "verification": verification})
        return self._call("POST", f"/v1/customers/{customer_id}/prefill/{form}/confirm", json=body)

    @operation("POST", "/v1/customers/{customer_id}/prefill/{form}/link")
    def form_link(
        self,
        customer_id: str,
        form: str,
        *,
        verification: str | None = None,
        interaction_id: str | None = None,
    ) -> R:
        """A signed, single-use link to the customer's "Is this still right?" page."""
        body = _clean({"verification": verification, "interaction_id": interaction_id})
        return self._call("POST", f"/v1/customers/{customer_id}/prefill/{form}/link", json=body)

    # -- branches, check-in and visits --------------------------------------------------

    @operation("GET", "/v1/branches")
    def branches(self) -> R:
        """The branches, their services and service points."""
        return self._call("GET", "/v1/branches")

    @operation("GET", "/v1/branches/{code}")
    def get_branch(self, code: str) -> R:
        return self._call("GET", f"/v1/branches/{code}")

    @operation("PUT", "/v1/branches/{code}")
    def put_branch(self, code: str, setup: Mapping[str, Any]) -> R:
        """Add or change a branch (the same shape as one branch of the branches file)."""
        return self._call("PUT", f"/v1/branches/{code}", json=dict(setup))

    @operation("GET", "/v1/branches/{code}/queue")
    def branch_queue(self, code: str) -> R:
        """Who is waiting, and the estimated waits."""
        return self._call("GET", f"/v1/branches/{code}/queue")

    @operation("POST", "/v1/branches/{code}/sittings")
    def sit(self, code: str, service_point: str) -> R:
        """The caller (staff of the branch) sits at ``service_point``."""
        return self._call(
            "POST", f"/v1/branches/{code}/sittings", json={"service_point": service_point}
        )

    @operation("POST", "/v1/branches/{code}/calls")
    def call_ticket(self, code: str, service_point: str, *, ticket: str | None = None) -> R:
        """Call the next ticket at ``service_point``, or the named ``ticket``."""
        body = _clean({"service_point": service_point, "ticket": ticket})
        return self._call("POST", f"/v1/branches/{code}/calls", json=body)

    @operation("POST", "/v1/customers/{customer_id}/checkin-codes")
    def checkin_code(
        self,
        customer_id: str,
        branch: str,
        *,
        assurance_id: str | None = None,
        interaction_id: str | None = None,
    ) -> R:
        """A signed, single-use code (and its QR) that checks the customer in at ``branch``."""
        body = _clean(
            {"branch": branch, "assurance_id": assurance_id, "interaction_id": interaction_id}
        )
        return self._call("POST", f"/v1/customers/{customer_id}/checkin-codes", json=body)

    @operation("POST", "/v1/branches/{code}/phone-codes")
    def send_phone_code(self, code: str, phone: str) -> R:
        """Send a one-time code by SMS to check in with ``phone``."""
        return self._call("POST", f"/v1/branches/{code}/phone-codes", json={"phone": phone})

    @operation("POST", "/v1/branches/{code}/checkins")
    def check_in(self, code: str, **way: Any) -> R:
        """Check a customer in: ``code=`` (the app's), ``phone=`` with ``phone_code_id=`` and
        ``phone_code=``, or ``appointment=``; with ``service=`` and ``reason=``."""
        return self._call("POST", f"/v1/branches/{code}/checkins", json=_clean(way))

    @operation("POST", "/v1/visits/{visit_id}/finish")
    def finish_visit(self, visit_id: str, outcome: str, *, summary: str | None = None) -> R:
        body = _clean({"outcome": outcome, "summary": summary})
        return self._call("POST", f"/v1/visits/{visit_id}/finish", json=body)

    @operation("POST", "/v1/visits/{visit_id}/no-show")
    def no_show(self, visit_id: str) -> R:
        return self._call("POST", f"/v1/visits/{visit_id}/no-show")

    @operation("POST", "/v1/visits/{visit_id}/link")
    def link_visit(self, visit_id: str, customer_id: str) -> R:
        """Link a guest's visit to ``customer_id``."""
        return self._call("POST", f"/v1/visits/{visit_id}/link", json={"customer_id": customer_id})

    @operation("POST", "/v1/appointments")
    def book_appointment(
        self,
        customer_id: str,
        branch: str,
        service: str,
        starts_at: str,
        reason: str,
        *,
        staff: str | None = None,
        channel: str | None = None,
    ) -> R:
        body = _clean(
            {
                "customer_id": customer_id,
                "branch": branch,
                "service": service,
                "starts_at": starts_at,
                "reason": reason,
                "staff": staff,
                "channel": channel,
            }
        )
        return self._call("POST", "/v1/appointments", json=body)

    # -- metrics, promises and early warning --------------------------------------------

    @operation("GET", "/v1/metrics")
    def metrics(
        self,
        measure: str,
        *,
        by: str | None = None,
        start: str | None = None,
        end: str | None = None,
        period: str | None = None,
        **filters: str,
    ) -> R:
        """One measure per period, broken down ``by`` a dimension; ``filters`` are
        ``channel``, ``team``, ``reason``, ``segment`` or ``agent``. ``start``/``end`` are
        the query's ``from`` and ``to`` (dates)."""
        params = _clean(
            {"measure": measure, "by": by, "from": start, "to": end, "period": period, **filters}
        )
        return self._call("GET", "/v1/metrics", params=params)

    @operation("GET", "/v1/metrics/measures")
    def measures(self) -> R:
        """Every measure and its definition."""
        return self._call("GET", "/v1/metrics/measures")

    @operation("GET", "/v1/promises")
    def promises(
        self, *, start: str | None = None, end: str | None = None, period: str | None = None
    ) -> R:
        """Each service promise met, missed and pending per period, with the worst misses."""
        params = _clean({"from": start, "to": end, "period": period})
        return self._call("GET", "/v1/promises", params=params)

    @operation("GET", "/v1/at-risk")
    def at_risk(self, *, limit: int | None = None) -> R:
        """Customers at risk, the highest score first, with the signals behind each."""
        return self._call("GET", "/v1/at-risk", params=_clean({"limit": limit}))

    @operation("POST", "/v1/customers/{customer_id}/outreach")
    def record_outreach(
        self, customer_id: str, *, channel: str | None = None, note: str | None = None
    ) -> R:
        """Outreach done: recorded as a contact; the customer leaves the queue."""
        body = _clean({"channel": channel, "note": note})
        return self._call("POST", f"/v1/customers/{customer_id}/outreach", json=body)

    # -- connectors and embedding ------------------------------------------------------

    @operation("POST", "/v1/connectors")
    def create_connector(
        self,
        kind: str,
        account: str,
        *,
        name: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> R:
        """A Chatwoot or Zendesk connector; the answer's ``secret`` is shown only once."""
        body = _clean({"kind": kind, "account": account, "name": name})
        body["options"] = dict(options or {})
        return self._call("POST", "/v1/connectors", json=body)

    @operation("GET", "/v1/connectors")
    def list_connectors(self) -> R:
        return self._call("GET", "/v1/connectors")

    @operation("POST", "/v1/connectors/{connector_id}/rotate")
    def rotate_connector(self, connector_id: str) -> R:
        return self._call("POST", f"/v1/connectors/{connector_id}/rotate")

    @operation("DELETE", "/v1/connectors/{connector_id}")
    def revoke_connector(self, connector_id: str) -> R:
        return self._call("DELETE", f"/v1/connectors/{connector_id}")

    @operation("GET", "/v1/connectors/{connector_id}/gaps")
    def connector_gaps(self, connector_id: str, *, limit: int | None = None) -> R:
        """What the connector's recent deliveries lacked: where, a code, the event's id."""
        return self._call(
            "GET", f"/v1/connectors/{connector_id}/gaps", params=_clean({"limit": limit})
        )

    @operation("POST", "/v1/connectors/chatwoot/{account}")
    def deliver_chatwoot(self, account: str, secret: str, payload: Mapping[str, Any]) -> R:
        """Post a Chatwoot webhook payload as Chatwoot would (replays, tests, backfills)."""
        return self._call(
            "POST",
            f"/v1/connectors/chatwoot/{account}",
            json=dict(payload),
            headers={"Authorization": f"Bearer {secret}"},
        )

    @operation("POST", "/v1/connectors/zendesk/{account}")
    def deliver_zendesk(self, account: str, secret: str, payload: Mapping[str, Any]) -> R:
        """Post a Zendesk webhook payload as Zendesk would."""
        return self._call(
            "POST",
            f"/v1/connectors/zendesk/{account}",
            json=dict(payload),
            headers={"Authorization": f"Bearer {secret}"},
        )

    @operation("POST", "/v1/embed-links")
    def embed_link(
        self,
        *,
        customer_id: str | None = None,
        interaction_id: str | None = None,
        agent: str | None = None,
    ) -> R:
        """A single-use, short-lived URL that shows the card in another desktop's frame."""
        body = _clean(
            {"customer_id": customer_id, "interaction_id": interaction_id, "agent": agent}
        )
        return self._call("POST", "/v1/embed-links", json=body)

    # -- webhooks out ------------------------------------------------------------------

    @operation("POST", "/v1/webhooks/subscriptions")
    def create_webhook_subscription(
        self, url: str, event_types: Sequence[str], *, description: str | None = None
    ) -> R:
        """Subscribe a receiver; the answer's ``secret`` (``whsec_...``) is shown only once:
        the receiver checks deliveries with it (:func:`warmline.client.verify_webhook`)."""
        body = _clean({"url": url, "event_types": list(event_types), "description": description})
        return self._call("POST", "/v1/webhooks/subscriptions", json=body)

    @operation("GET", "/v1/webhooks/subscriptions")
    def list_webhook_subscriptions(self) -> R:
        return self._call("GET", "/v1/webhooks/subscriptions")

    @operation("GET", "/v1/webhooks/subscriptions/{subscription_id}")
    def get_webhook_subscription(self, subscription_id: str) -> R:
        return self._call("GET", f"/v1/webhooks/subscriptions/{subscription_id}")

    @operation("PATCH", "/v1/webhooks/subscriptions/{subscription_id}")
    def update_webhook_subscription(
        self,
        subscription_id: str,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> R:
        """Change what is given; ``enabled=False`` pauses it (deliveries wait)."""
        body = _clean(
            {
                "url": url,
                "event_types": list(event_types) if event_types is not None else None,
                "description": description,
                "enabled": enabled,
            }
        )
        return self._call("PATCH", f"/v1/webhooks/subscriptions/{subscription_id}", json=body)

    @operation("POST", "/v1/webhooks/subscriptions/{subscription_id}/rotate")
    def rotate_webhook_secret(self, subscription_id: str) -> R:
        """A new signing secret, shown only in this answer."""
        return self._call("POST", f"/v1/webhooks/subscriptions/{subscription_id}/rotate")

    @operation("DELETE", "/v1/webhooks/subscriptions/{subscription_id}")
    def delete_webhook_subscription(self, subscription_id: str) -> R:
        return self._call("DELETE", f"/v1/webhooks/subscriptions/{subscription_id}")

    @operation("GET", "/v1/webhooks/dead-letters")
    def webhook_dead_letters(
        self, *, subscription_id: str | None = None, limit: int | None = None
    ) -> R:
        """Deliveries given up on, newest first, with the last error."""
        params = _clean({"subscription_id": subscription_id, "limit": limit})
        return self._call("GET", "/v1/webhooks/dead-letters", params=params)

    @operation("POST", "/v1/webhooks/dead-letters/replay")
    def replay_webhooks(
        self, *, ids: Sequence[int] | None = None, subscription_id: str | None = None
    ) -> R:
        """Send dead letters again: those named, or every one of a subscription."""
        body = _clean(
            {"ids": list(ids) if ids is not None else None, "subscription_id": subscription_id}
        )
        return self._call("POST", "/v1/webhooks/dead-letters/replay", json=body)
