"""The memory's tables (SQLAlchemy Core). Migrations in ``migrations/`` must match this file.

Every table holding a customer's data carries ``customer_id`` so the memory can
be distributed by customer. Ids of projected rows are derived from the event
that created them (:func:`warmline.domain.ids.stable_id`), so rebuilding from
the raw log gives the same ids.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

from warmline.domain.metrics.counters import COUNTERS
from warmline.domain.metrics.dimensions import DIMENSIONS


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """Timestamps stored in UTC and always read back time-zone aware (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Warmline stores UTC-aware datetimes only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)  # type: ignore[no-any-return]
        return value.astimezone(dt.UTC)  # type: ignore[no-any-return]


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Ids sort bytewise on both databases, so keyset pagination agrees with Python ordering.
Id = sa.String(40).with_variant(sa.String(40, collation="C"), "postgresql")

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _at(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, default="active", server_default="active"),
    sa.Column("merged_into", Id),
    _at("erased_at", nullable=True),
    sa.Column("name", sa.Text),
    sa.Column("preferred_name", sa.Text),
    sa.Column("customer_since", sa.Date),
    sa.Column("traits", JSONType, nullable=False),
    _at("created_at"),
    _at("updated_at"),
    sa.Index(None, "merged_into"),
)

identifiers = sa.Table(
    "identifiers",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("origin_id", Id, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("value", sa.String(256), nullable=False),
    sa.Column("verified", sa.Boolean, nullable=False),
    # How far the value could be normalised: NULL fully; "not_valid_for_region" (a phone
    # number possible but not valid, kept in E.164), "unnormalised" (kept as written).
    sa.Column("quality", sa.String(24)),
    sa.Column("source", sa.String(200), nullable=False),
    _at("first_seen_at"),
    # When the customer last said this identifier is still theirs (a pre-filled form).
    _at("confirmed_at", nullable=True),
    # Two records of one person may hold the same identifier; each record holds it once.
    sa.UniqueConstraint("origin_id", "kind", "value"),
    sa.Index(None, "kind", "value"),
    sa.Index(None, "customer_id"),
)

name_tokens = sa.Table(
    "name_tokens",
    metadata,
    sa.Column("token", sa.String(100), primary_key=True),
    sa.Column("customer_id", Id, primary_key=True),
    sa.Index(None, "customer_id"),
)

interactions = sa.Table(
    "interactions",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("external_id", sa.String(200), nullable=False, unique=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("origin_id", Id, nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(16)),
    sa.Column("status", sa.String(16), nullable=False, default="open"),
    _at("started_at"),
    _at("ended_at", nullable=True),
    sa.Column("agent_id", sa.String(500)),
    sa.Column("queue", sa.String(500)),
    sa.Column("subject", sa.String(500)),
    sa.Column("outcome", sa.String(16)),
    sa.Column("reason", sa.String(500)),
    sa.Column("summary", sa.Text),
    sa.Column("case_id", Id),
    sa.Column("transfers", sa.Integer, nullable=False, default=0),
    sa.Column("message_count", sa.Integer, nullable=False, default=0),
    _at("last_message_at", nullable=True),
    # How the customer felt (start, end, trend, the line that shows it), and the reason
    # their first messages point to: both computed at ingest.
    sa.Column("mood", JSONType),
    sa.Column("predicted_reason", JSONType),
    # Who wrote ``summary``: "source" (sent with interaction.ended) or "warmline" (extractive).
    sa.Column("summary_by", sa.String(16)),
    # How many of the customer's problem statements here repeated one made earlier in the
    # same case (after a transfer or a channel switch); computed when the interaction ends.
    sa.Column("restatements", sa.Integer),
    # "customer" when the customer proved who they are in this interaction, "continuation"
    # when it inherited a verification by a continuation code.
    sa.Column("verified_by", sa.String(16)),
    sa.Index(None, "customer_id", "started_at", "id"),
    sa.Index(None, "case_id"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("interaction_id", Id, nullable=False),
    sa.Column("speaker", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("agent_id", sa.String(500)),
    _at("sent_at"),
    # An agent's private note (never shown to the customer, left out of summaries).
    sa.Column("private", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    # Files sent with the message, as links: [{"url", "name", "content_type"}].
    sa.Column("attachments", JSONType),
    # Customer messages: label, sentiment, emotions, frustration and language, computed at
    # ingest (the fast reading) and refined after it when the fast reading was unsure.
    sa.Column("insight", JSONType),
    # True while a refined reading is due (the fast one was unsure); cleared when it lands.
    sa.Column("refine_due", sa.Boolean),
    sa.Index(None, "interaction_id", "sent_at"),
    # The refinement pass's queue, in a stable order.
    sa.Index(None, "refine_due", "id"),
    # The customer's latest messages, newest first, without a sort (the card's style cues).
    sa.Index(None, "customer_id", "sent_at"),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("external_id", sa.String(200), nullable=False, unique=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("origin_id", Id, nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("title", sa.String(500)),
    sa.Column("status", sa.String(24), nullable=False, default="open"),
    sa.Column("priority", sa.String(16), nullable=False, default="normal"),
    _at("opened_at"),
    _at("updated_at"),
    _at("resolved_at", nullable=True),
    sa.Column("latest_note", sa.Text),
    sa.Column("resolution", sa.Text),
    sa.Column("interaction_id", Id),
    # What the case has cost the customer: contacts, transfers, channel switches,
    # re-verifications, restatements (see domain/effort/); recomputed at ingest.
    sa.Column("effort", JSONType),
    sa.Index(None, "customer_id", "opened_at", "id"),
)

commitments = sa.Table(
    "commitments",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("external_id", sa.String(200), nullable=False, unique=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("origin_id", Id, nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("text", sa.Text),
    _at("due_at", nullable=True),
    _at("made_at"),
    sa.Column("made_by", sa.String(500)),
    sa.Column("status", sa.String(16), nullable=False, default="open"),
    _at("fulfilled_at", nullable=True),
    sa.Column("note", sa.Text),
    sa.Column("case_id", Id),
    sa.Column("interaction_id", Id),
    sa.Index(None, "customer_id", "made_at", "id"),
)

activities = sa.Table(
    "activities",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("origin_id", Id, nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("summary", sa.String(500)),
    sa.Column("attributes", JSONType, nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    _at("occurred_at"),
    sa.Index(None, "customer_id", "occurred_at", "id"),
)

facts = sa.Table(
    "facts",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("origin_id", Id, nullable=False),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("value", JSONType),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("sensitive", sa.Boolean, nullable=False, server_default=sa.false()),
    _at("observed_at"),
    # How the value came to be known: customer (they confirmed or corrected it), record (a
    # system of record said so) or inferred; whether the source vouched for it; how sure
    # an inference is; who recorded it when not the source (see domain/profile/traits.py).
    sa.Column("kind", sa.String(16), nullable=False, server_default="record"),
    sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("confidence", sa.Float),
    sa.Column("recorded_by", sa.String(200)),
    sa.Index(None, "customer_id", "key"),
)

assurances = sa.Table(
    "assurances",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("origin_id", Id, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("method", sa.String(500), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("interaction_id", Id),
    _at("verified_at"),
    _at("expires_at"),
    sa.Index(None, "customer_id", "verified_at"),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("origin_id", Id, nullable=False),
    sa.Column("interaction_id", Id),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text),
    _at("submitted_at"),
    sa.Index(None, "customer_id", "submitted_at", "id"),
)

raw_events = sa.Table(
    "raw_events",
    metadata,
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("event_id", sa.String(200), nullable=False),
    sa.Column("type", sa.String(100), nullable=False),
    _at("time"),
    _at("received_at"),
    # The customer record the event was recorded on (its origin); merges do not change it.
    sa.Column("customer_id", Id),
    sa.Column("awaiting", sa.String(220)),
    sa.Column("envelope", sa.Text, nullable=False),
    sa.UniqueConstraint("source", "event_id"),
    sa.Index(None, "awaiting"),
    sa.Index(None, "customer_id"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    # Whether events sent with this key may claim an identifier was verified.
    sa.Column("may_verify", sa.Boolean, nullable=False, server_default=sa.false()),
    _at("created_at"),
    _at("expires_at", nullable=True),
    _at("revoked_at", nullable=True),
    # Recorded by authentication at most once a minute per key (`warmline keys list`).
    _at("last_used_at", nullable=True),
)

desk_sessions = sa.Table(
    "desk_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("key_id", Id, nullable=False),
    _at("created_at"),
    _at("expires_at"),
    sa.Index(None, "key_id"),
)

desk_pushes = sa.Table(
    "desk_pushes",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("agent", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("customer_id", Id),
    sa.Column("interaction_id", Id),
    sa.Column("channel", sa.String(16)),
    sa.Column("detail", JSONType, nullable=False),
    _at("at"),
    sa.Index(None, "agent", "id"),
    sa.Index(None, "customer_id"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _at("at"),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("customer_id", Id),
    sa.Column("detail", JSONType),
    # A hash chain: each row's hash covers its content and the previous row's hash, so an
    # edited, inserted or deleted row breaks the chain (`warmline audit verify`).
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index(None, "customer_id", "at"),
)

erased_events = sa.Table(
    "erased_events",
    metadata,
    # SHA-256 of an erased customer's event keys: a replayed old event is recognised as a
    # duplicate (and cannot resurrect the customer) without keeping any personal data.
    sa.Column("key_hash", sa.String(64), primary_key=True),
    _at("erased_at"),
)

merges = sa.Table(
    "merges",
    metadata,
    sa.Column("id", Id, primary_key=True),
    # "from" was merged into "into"; both were live customers when the merge was made.
    sa.Column("from_id", Id, nullable=False),
    sa.Column("into_id", Id, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="active"),
    # manual, suggestion, auto_link, shared_identifier or dedupe
    sa.Column("rule", sa.String(32), nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("evidence", JSONType, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("suggestion_id", Id),
    _at("made_at"),
    _at("undone_at", nullable=True),
    sa.Column("undone_by", sa.String(200)),
    sa.Column("undo_reason", sa.Text),
    sa.Index(None, "from_id"),
    sa.Index(None, "into_id"),
    sa.Index(None, "status", "made_at"),
)

merge_suggestions = sa.Table(
    "merge_suggestions",
    metadata,
    sa.Column("id", Id, primary_key=True),
    # Both are customer records as first recorded (origins); readers show the live customer.
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("candidate_id", Id, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("evidence", JSONType, nullable=False),
    sa.Column("reasons", JSONType, nullable=False),
    _at("created_at"),
    # An agent asked the customer "is this also you?": yes or no, by whom, when.
    sa.Column("customer_answer", sa.String(8)),
    sa.Column("answered_by", sa.String(200)),
    _at("answered_at", nullable=True),
    _at("decided_at", nullable=True),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decision_note", sa.Text),
    sa.Column("merge_id", Id),
    sa.Index(None, "status", "created_at"),
    sa.Index(None, "customer_id"),
    sa.Index(None, "candidate_id"),
)

match_profiles = sa.Table(
    "match_profiles",
    metadata,
    # One per customer record (origin), from its own traits and identifiers only, so that
    # matching never depends on merges.
    sa.Column("origin_id", Id, primary_key=True),
    # What the record is built from: matching traits (newest wins) and identifiers.
    sa.Column("inputs", JSONType, nullable=False),
    sa.Column("record", JSONType, nullable=False),
)

match_keys = sa.Table(
    "match_keys",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("origin_id", Id, primary_key=True),
    sa.Index(None, "origin_id"),
)

match_models = sa.Table(
    "match_models",
    metadata,
    sa.Column("id", Id, primary_key=True),
    _at("trained_at"),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("pairs", sa.Integer, nullable=False),
    sa.Column("model", JSONType, nullable=False),
    # {"link": p, "review": p}: match probabilities at or above which a pair links or is
    # suggested for review.
    sa.Column("thresholds", JSONType, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("trained_by", sa.String(200), nullable=False),
)

insight_models = sa.Table(
    "insight_models",
    metadata,
    # An organisation's own contact-reason model (``warmline reasons train``), the
    # activity -> reason associations learned with it, and what is usual in writing style.
    sa.Column("id", Id, primary_key=True),
    _at("trained_at"),
    sa.Column("examples", sa.Integer, nullable=False),
    sa.Column("report", JSONType, nullable=False),
    sa.Column("model", sa.LargeBinary, nullable=False),
    sa.Column("associations", sa.Text, nullable=False),
    sa.Column("population", JSONType),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("trained_by", sa.String(200), nullable=False),
)

handovers = sa.Table(
    "handovers",
    metadata,
    # A warm handover: the note one agent sends with an interaction, and whether it was
    # accepted. Not a projection: accept status lives only here (rebuild keeps it).
    sa.Column("id", Id, primary_key=True),
    sa.Column("interaction_id", Id, nullable=False),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("origin_id", Id, nullable=False),
    sa.Column("from_agent", sa.String(200), nullable=False),
    sa.Column("to_agent", sa.String(200)),
    sa.Column("to_queue", sa.String(200)),
    sa.Column("note", JSONType, nullable=False),
    # pending or accepted
    sa.Column("status", sa.String(16), nullable=False),
    _at("created_at"),
    _at("accepted_at", nullable=True),
    sa.Column("accepted_by", sa.String(200)),
    # The LLM model that rewrote the note, or why the extractive note was kept.
    sa.Column("rewritten_by", sa.String(200)),
    sa.Column("llm_failure", sa.Text),
    sa.Index(None, "interaction_id", "status"),
    sa.Index(None, "customer_id"),
)

continuations = sa.Table(
    "continuations",
    metadata,
    # A continuation code carries one verification (an assurance) into the customer's next
    # contact. Only a slow hash of the code is kept; each code works once.
    sa.Column("id", Id, primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("origin_id", Id, nullable=False),
    sa.Column("assurance_id", Id, nullable=False),
    sa.Column("issued_by", sa.String(200), nullable=False),
    _at("issued_at"),
    _at("expires_at"),
    _at("used_at", nullable=True),
    # redeemed, or why the code was burnt (read out for another customer, too many guesses)
    sa.Column("outcome", sa.String(24)),
    sa.Column("used_by_interaction", Id),
    sa.Index(None, "customer_id", "issued_at"),
)

continuation_attempts = sa.Table(
    "continuation_attempts",
    metadata,
    # Every failed presentation of a continuation code, for the rate limits: per source
    # (key and address) and per customer the contact was for.
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _at("at"),
    sa.Column("key_id", sa.String(40), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("customer_id", Id),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Index(None, "key_id", "address", "at"),
    sa.Index(None, "customer_id", "at"),
)

articles = sa.Table(
    "articles",
    metadata,
    # Knowledge: one article, as it reads now (its earlier versions are in article_versions).
    sa.Column("id", Id, primary_key=True),
    sa.Column("slug", sa.String(120), nullable=False, unique=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("products", JSONType, nullable=False),
    sa.Column("channels", JSONType, nullable=False),
    sa.Column("owner", sa.String(200)),
    sa.Column("review_date", sa.Date),
    # internal (agents only) or public (may be shown to customers)
    sa.Column("audience", sa.String(16), nullable=False, default="internal"),
    # published, draft (never suggested until reviewed) or retired
    sa.Column("status", sa.String(16), nullable=False, default="published"),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("content_hash", sa.String(64), nullable=False),
    # Unit sentence embedding of title and body (float16 bytes), for semantic search.
    sa.Column("vector", sa.LargeBinary),
    sa.Column("vector_model", sa.String(64)),
    _at("created_at"),
    _at("updated_at"),
    _at("retired_at", nullable=True),
    sa.Index(None, "status", "updated_at"),
)
article_versions = sa.Table(
    "article_versions",
    metadata,
    # Every version an article has had, and who made it: nothing an agent read is lost.
    sa.Column("id", Id, primary_key=True),
    sa.Column("article_id", Id, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("meta", JSONType, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("changed_by", sa.String(200), nullable=False),
    _at("changed_at"),
    sa.UniqueConstraint("article_id", "version"),
)
article_feedback = sa.Table(
    "article_feedback",
    metadata,
    # An agent's "helped" or "did not help" for an article suggested for a reason.
    sa.Column("id", Id, primary_key=True),
    sa.Column("article_id", Id, nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("helped", sa.Boolean, nullable=False),
    sa.Column("interaction_id", Id),
    sa.Column("actor", sa.String(200), nullable=False),
    _at("at"),
    sa.Index(None, "reason", "article_id"),
)

branches = sa.Table(
    "branches",
    metadata,
    # A branch as configured (YAML or the admin API): its services, service points and the
    # staff who may sit at them, in ``setup`` (see domain/branch/setup.py).
    sa.Column("code", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("setup", JSONType, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
    _at("updated_at"),
)

sittings = sa.Table(
    "sittings",
    metadata,
    # A staff member (their desk key's name) at a service point, from when to when.
    sa.Column("id", Id, primary_key=True),
    sa.Column("staff", sa.String(200), nullable=False),
    sa.Column("branch", sa.String(40), nullable=False),
    sa.Column("service_point", sa.String(40), nullable=False),
    _at("started_at"),
    _at("ended_at", nullable=True),
    sa.Index(None, "staff", "ended_at"),
    sa.Index(None, "branch", "ended_at"),
)

visits = sa.Table(
    "visits",
    metadata,
    # A branch visit: the ticket in the queue from check-in, then the interaction (channel
    # ``branch``) from the call. Not a projection: the queue lives only here.
    sa.Column("id", Id, primary_key=True),
    sa.Column("branch", sa.String(40), nullable=False),
    sa.Column("service", sa.String(40), nullable=False),
    # The branch's local day: ticket numbers start again each day.
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("ticket", sa.String(8), nullable=False),
    # waiting, called, done or no_show
    sa.Column("status", sa.String(16), nullable=False),
    # code (the app's QR), phone (and an SMS code) or appointment
    sa.Column("via", sa.String(16), nullable=False),
    # None for a guest (a number no customer holds) until they are called.
    sa.Column("customer_id", Id),
    sa.Column("origin_id", Id),
    # A guest: checked in with a number no customer (or several) held; the number is kept
    # until the call, when their visit gets a record of its own to link later.
    sa.Column("guest", sa.Boolean, nullable=False),
    sa.Column("guest_phone", sa.String(32)),
    sa.Column("reason", sa.String(200)),
    sa.Column("appointment_id", Id),
    # The verification the visit carries from the app (an assurance), or the SMS code's.
    sa.Column("assurance_id", Id),
    sa.Column("verified_by", sa.String(16)),
    sa.Column("checked_in_by", sa.String(200), nullable=False),
    _at("checked_in_at"),
    _at("called_at", nullable=True),
    sa.Column("called_by", sa.String(200)),
    sa.Column("service_point", sa.String(40)),
    sa.Column("interaction_id", Id),
    _at("ended_at", nullable=True),
    sa.Column("outcome", sa.String(16)),
    sa.UniqueConstraint("branch", "day", "ticket"),
    sa.Index(None, "branch", "status", "checked_in_at"),
    sa.Index(None, "customer_id"),
    sa.Index(None, "interaction_id"),
)

appointments = sa.Table(
    "appointments",
    metadata,
    # A booked branch visit, from any channel: the reference the customer types at the
    # kiosk, what it is about (so staff prepare), who it is with, and what became of it.
    sa.Column("id", Id, primary_key=True),
    sa.Column("ref", sa.String(12), nullable=False, unique=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("origin_id", Id, nullable=False),
    sa.Column("branch", sa.String(40), nullable=False),
    sa.Column("service", sa.String(40), nullable=False),
    _at("starts_at"),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("staff", sa.String(200)),
    sa.Column("channel", sa.String(16)),
    # booked, arrived, no_show or cancelled
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("booked_by", sa.String(200), nullable=False),
    _at("booked_at"),
    _at("arrived_at", nullable=True),
    sa.Column("visit_id", Id),
    sa.Index(None, "branch", "status", "starts_at"),
    sa.Index(None, "customer_id"),
)

checkin_codes = sa.Table(
    "checkin_codes",
    metadata,
    # A check-in code an app showed as a QR: its random id only (the signature that makes it
    # work is never stored), what it carries, for which branch, until when, and its use.
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("origin_id", Id, nullable=False),
    sa.Column("branch", sa.String(40), nullable=False),
    sa.Column("assurance_id", Id, nullable=False),
    sa.Column("issued_by", sa.String(200), nullable=False),
    _at("issued_at"),
    _at("expires_at"),
    _at("used_at", nullable=True),
    sa.Column("visit_id", Id),
    sa.Index(None, "customer_id", "issued_at"),
)

phone_codes = sa.Table(
    "phone_codes",
    metadata,
    # A one-time code sent by SMS to check in: kept as a slow salted hash, the number only
    # as a keyed hash (for the limits); the tries made and whether it was used.
    sa.Column("id", Id, primary_key=True),
    sa.Column("branch", sa.String(40), nullable=False),
    sa.Column("phone_key", sa.String(64), nullable=False),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("salt", sa.String(32), nullable=False),
    sa.Column("kiosk", sa.String(200), nullable=False),
    _at("sent_at"),
    _at("expires_at"),
    sa.Column("tries", sa.Integer, nullable=False, default=0),
    _at("used_at", nullable=True),
    sa.Index(None, "phone_key", "sent_at"),
    sa.Index(None, "kiosk", "sent_at"),
)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    # The key that signs check-in codes when WARMLINE_LINK_SECRET is not set: made once,
    # shared by every server process on the database.
    sa.Column("purpose", sa.String(40), primary_key=True),
    sa.Column("secret", sa.String(128), nullable=False),
    _at("created_at"),
)

connectors = sa.Table(
    "connectors",
    metadata,
    # A system that posts its own webhooks (Chatwoot, Zendesk) for one of its accounts; its
    # deliveries are translated into events of source ``<kind>/<account>``. Only a SHA-256
    # of the secret is kept.
    sa.Column("id", Id, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("account", sa.String(100), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    # What the system's own ids mean here, e.g. {"inbox_channels": {"3": "sms"}}.
    sa.Column("options", JSONType, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    _at("created_at"),
    _at("revoked_at", nullable=True),
    _at("last_delivery_at", nullable=True),
    sa.UniqueConstraint("kind", "account"),
)

connector_gaps = sa.Table(
    "connector_gaps",
    metadata,
    # What a connector's delivery carried that could not be used (a missing id, an invalid
    # email), or why a delivery was refused: where in the payload and a stable code, never
    # the value itself (the events keep their own gaps, erased with the customer).
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("connector_id", Id, nullable=False),
    _at("received_at"),
    sa.Column("event", sa.String(60), nullable=False),
    sa.Column("event_id", sa.String(200)),
    sa.Column("field", sa.String(200), nullable=False),
    sa.Column("code", sa.String(60), nullable=False),
    sa.Index(None, "connector_id", "received_at"),
)

embed_links = sa.Table(
    "embed_links",
    metadata,
    # A signed, short-lived, single-use link that opens one customer's card for one agent in
    # another desktop's frame. Opening it starts a short embed session for that frame.
    sa.Column("id", Id, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("interaction_id", Id),
    sa.Column("key_id", sa.String(40), nullable=False),
    sa.Column("issued_by", sa.String(200), nullable=False),
    _at("issued_at"),
    _at("expires_at"),
    _at("used_at", nullable=True),
    sa.Column("session_hash", sa.String(64), unique=True),
    _at("session_expires_at", nullable=True),
    sa.Index(None, "customer_id"),
)

form_links = sa.Table(
    "form_links",
    metadata,
    # A link sent to a customer to confirm a pre-filled form: signed with the link secret,
    # short-lived, and spent by the first confirmation sent through it.
    sa.Column("id", Id, primary_key=True),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("form", sa.String(64), nullable=False),
    # The verification the customer had where the link was made: none, weak, medium, strong.
    sa.Column("verification", sa.String(16), nullable=False),
    sa.Column("interaction_id", Id),
    sa.Column("created_by", sa.String(200), nullable=False),
    _at("created_at"),
    _at("expires_at"),
    _at("used_at", nullable=True),
    sa.Index(None, "customer_id", "created_at"),
)

#: Tables rebuilt from the raw event log by ``warmline rebuild``.
PROJECTIONS = (
    customers,
    identifiers,
    name_tokens,
    interactions,
    messages,
    cases,
    commitments,
    activities,
    facts,
    assurances,
    feedback,
    match_profiles,
    match_keys,
)

#: Rows that remember the record they were first recorded on (``origin_id``): a merge or
#: an undo moves them to the live customer of that record.


def _dimensions() -> list[sa.Column[Any]]:
    return [sa.Column(name, sa.String(100), nullable=False) for name in DIMENSIONS]


metric_contributions = sa.Table(
    "metric_contributions",
    metadata,
    # What one source row (interaction, case, feedback, commitment) adds to the rollups,
    # as last applied: ingest subtracts it and adds the new one when the row or its
    # neighbours change (see domain/metrics/contributions.py).
    sa.Column("source_id", Id, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("customer_id", Id, nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    *_dimensions(),
    # Non-zero counters only: {"contacts": 1, "first_contacts": 1, ...}
    sa.Column("counts", JSONType, nullable=False),
    sa.Index(None, "customer_id"),
)

metric_rollups = sa.Table(
    "metric_rollups",
    metadata,
    # Counters summed by period bucket and grouping: ``grouping`` is a bit mask of the
    # dimensions the row carries (the others are summed over and hold '').
    sa.Column("grouping", sa.SmallInteger, primary_key=True),
    sa.Column("period", sa.String(8), primary_key=True),
    sa.Column("bucket", sa.Date, primary_key=True),
    *[sa.Column(name, sa.String(100), primary_key=True) for name in DIMENSIONS],
    # How many contributions the row sums: a row at zero is removed.
    sa.Column("sources", sa.BigInteger, nullable=False),
    *[sa.Column(name, sa.BigInteger, nullable=False) for name in COUNTERS],
)

metric_state = sa.Table(
    "metric_state",
    metadata,
    # One row: the repeat window the rollups were built with, and when they were rebuilt.
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("window_days", sa.Integer, nullable=False),
    _at("rebuilt_at", nullable=True),
)

customer_risk = sa.Table(
    "customer_risk",
    metadata,
    # Each live customer's risk of leaving, with the signals behind it; recomputed at
    # ingest for the customers a batch touched, and when a promise falls due.
    sa.Column("customer_id", Id, primary_key=True),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("signals", JSONType, nullable=False),
    _at("computed_at"),
    # When the score last rose to the threshold (None while below it).
    _at("above_since", nullable=True),
    _at("last_signal_at", nullable=True),
    _at("outreach_at", nullable=True),
    # When time alone will change the score (an open promise falls due).
    _at("review_at", nullable=True),
    sa.Column("last_words", sa.Text),
    _at("last_words_at", nullable=True),
    sa.Column("owner", sa.String(200)),
    sa.Index(None, "score"),
    sa.Index(None, "review_at"),
)

derived_due = sa.Table(
    "derived_due",
    metadata,
    # What a contact's start changed that the metrics rollups and risk scores derive from
    # (the ids of a batch's Touched), written in the start's transaction and brought up to
    # date just after it commits (warmline.actions.derived), so the desk's push does not
    # wait for them and a crash in between loses nothing.
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("touched", JSONType, nullable=False),
    _at("created_at"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    # Events for other systems, written in the transaction that caused them and delivered
    # afterwards (webhooks): retried with backoff, then dead-lettered.
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("message_id", sa.String(64), nullable=False, unique=True),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("customer_id", Id),
    # pending, delivered or dead
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    _at("created_at"),
    _at("next_attempt_at"),
    _at("delivered_at", nullable=True),
    sa.Column("last_error", sa.Text),
    sa.Index(None, "status", "next_attempt_at"),
    sa.Index(None, "customer_id"),
)
# Since 0013 an outbox event is only routed here: status ``pending`` until it is fanned out
# to the subscriptions it matches (one ``webhook_deliveries`` row each), then ``routed``;
# its attempts, errors and dead letters are per receiver, in ``webhook_deliveries``.

webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    # Where an admin asked events to go. The secret that signs them is never stored: it is
    # derived from the signing key (WARMLINE_LINK_SECRET, or the database's own) and
    # ``salt``; ``key_fingerprint`` says which key, so a changed key is noticed.
    sa.Column("id", Id, primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("event_types", JSONType, nullable=False),
    sa.Column("description", sa.String(200)),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("salt", sa.String(64), nullable=False),
    sa.Column("key_fingerprint", sa.String(16), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    _at("created_at"),
    _at("updated_at"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    # One outbox event for one subscription (``configured``: WARMLINE_WEBHOOK_URL): retried
    # with backoff, then dead-lettered, per receiver.
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("outbox_id", sa.BigInteger, nullable=False),
    sa.Column("subscription_id", Id, nullable=False),
    sa.Column("customer_id", Id),
    # pending, delivered or dead
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    _at("created_at"),
    _at("next_attempt_at"),
    _at("delivered_at", nullable=True),
    sa.Column("last_error", sa.Text),
    sa.UniqueConstraint("outbox_id", "subscription_id"),
    sa.Index(None, "status", "next_attempt_at"),
    sa.Index(None, "subscription_id", "status"),
    sa.Index(None, "customer_id"),
)


BY_ORIGIN = (
    identifiers,
    interactions,
    cases,
    commitments,
    activities,
    facts,
    assurances,
    feedback,
    handovers,
    continuations,
    visits,
    appointments,
    checkin_codes,
)
#: Rows that follow their interaction's customer rather than carry an origin of their own.
BY_INTERACTION = (messages,)
#: Customer-keyed tables that record history as it happened and are never relabelled
#: (suggestions name customer records; readers show the customer each is part of now).
AS_RECORDED = (
    desk_pushes, audit_log, merge_suggestions, continuation_attempts, embed_links, outbox,
    form_links, webhook_deliveries,
)  # fmt: skip
#: Tables derived from the memory and recomputed when the rows they derive from move
#: (merges, undos, erasure, rebuild): see warmline.actions.metrics.
DERIVED = (metric_contributions, customer_risk)
