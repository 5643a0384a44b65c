"""Settings: one class, read from ``WARMLINE_*`` environment variables.

Every setting has a default that works on a laptop with no environment at all:
an embedded SQLite file in the working directory.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Warmline's settings. The README's table lists each with its variable."""

    model_config = SettingsConfigDict(env_prefix="WARMLINE_", extra="ignore")

    database_url: str = Field(
        "sqlite:///./warmline.db",
        description="SQLAlchemy URL of the memory: sqlite:///path or postgresql+psycopg://...",
    )
    host: str = Field("127.0.0.1", description="Address `warmline serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `warmline serve` listens on.")
    default_region: str = Field(
        "GB",
        min_length=2,
        max_length=2,
        description="ISO country assumed for phone numbers written without +country code.",
    )
    default_currency: str = Field(
        "GBP",
        pattern="^[A-Z]{3}$",
        description="ISO 4217 currency of amounts whose event names none (shown as £61.50).",
    )
    max_batch_events: int = Field(
        10_000, ge=1, description="Most events one POST /v1/events or import batch may carry."
    )
    max_body_bytes: int = Field(
        32 * 1024 * 1024, ge=1024, description="Largest request body accepted, in bytes."
    )
    continuity_minutes: int = Field(
        30,
        ge=1,
        le=24 * 60,
        description="How recent a contact on another channel shows as continuity.",
    )
    insight: bool = Field(
        True,
        description="Compute sentiment, emotions, mood and likely reasons at ingest (off: skip).",
    )
    refine_insight: bool = Field(
        True,
        description="Let `warmline serve` refine, in the background, the feelings of messages "
        "whose fast reading at ingest was unsure (off: `warmline insight refine` does it).",
    )
    auth_failure_limit: int = Field(
        20,
        ge=1,
        description="Failed key checks per address and key prefix per minute before refusing "
        "(429); five times as many with any keys from one address.",
    )
    desk_embed_origins: str = Field(
        "",
        max_length=2000,
        description="Origins allowed to embed the desk and embedded cards in a frame "
        "(space-separated, HTTPS); the cards' postMessage events go to them only.",
    )
    embed_link_seconds: int = Field(
        120,
        ge=10,
        le=3600,
        description="How long an embed link (POST /v1/embed-links) works before it is opened.",
    )
    embed_session_minutes: int = Field(
        30,
        ge=1,
        le=12 * 60,
        description="How long an opened embedded card takes the agent's actions.",
    )
    retention_days: dict[str, int] = Field(
        default_factory=lambda: {"desk_pushes": 30, "connector_gaps": 90},
        description='Days to keep each kind of data, as JSON, e.g. {"messages": 730}.',
    )
    continuation_minutes: int = Field(
        10,
        ge=1,
        le=60,
        description="How long a continuation code works after it is issued (at most as long "
        "as the verification it carries).",
    )
    llm_url: str = Field(
        "",
        max_length=2000,
        description="An OpenAI-compatible chat-completions URL to rewrite handover notes "
        "(e.g. http://127.0.0.1:8080/v1/chat/completions); empty: extractive notes only.",
    )
    llm_model: str = Field("", max_length=200, description="The model name sent to llm_url.")
    llm_timeout_seconds: float = Field(
        5.0, gt=0, le=120, description="How long to wait for the LLM before keeping the note."
    )
    llm_api_key: SecretStr | None = Field(
        None, description="Bearer key for llm_url, if it needs one (never logged)."
    )
    branches_file: str = Field(
        "",
        max_length=4000,
        description="A YAML file of branches, their services, service points and staff, "
        "loaded (and checked) when the server starts; empty: branches come from the admin API.",
    )
    sms_sender: str = Field(
        "log",
        max_length=300,
        pattern=r"^(log|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$",
        description="Where one-time check-in codes go by SMS: 'log' (the server log, for "
        "trying it out) or 'package.module:factory' returning a sender.",
    )
    checkin_code_minutes: int = Field(
        10, ge=1, le=30, description="How long a check-in QR code from the app works."
    )
    appointment_grace_minutes: int = Field(
        15,
        ge=0,
        le=240,
        description="How late a customer may arrive for an appointment before it is recorded "
        "as a no-show.",
    )
    risk_threshold: int = Field(
        50, ge=1, le=100, description="Risk score (0-100) at which a customer is at risk."
    )
    risk_warning_activities: str = Field(
        "cancellation_page_viewed direct_debit_cancelled",
        max_length=2000,
        description="Activity names (space-separated) that warn a customer may leave; an "
        "activity matches when its name, dots read as underscores, ends with one.",
    )
    webhook_url: str = Field(
        "",
        max_length=2000,
        description="A receiver of every webhook event, configured here rather than "
        "through the admin API (subscription id 'configured'); empty: none.",
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="Standard Webhooks signing secret (whsec_ + base64); required with "
        "webhook_url.",
    )
    webhook_timeout_seconds: float = Field(
        5.0, gt=0, le=60, description="How long a webhook endpoint may take to answer."
    )
    webhook_allowed_networks: str = Field(
        "",
        max_length=2000,
        description="Networks (CIDR, space-separated) a webhook subscription's receiver may be "
        "in although they are not public, e.g. '10.20.0.0/16' or '127.0.0.0/8 ::1/128' for "
        "one on this machine; by default loopback, private, link-local and other non-public "
        "addresses are refused (no server-side request forgery through a subscription).",
    )
    promises_file: str = Field(
        "",
        max_length=2000,
        description="A YAML file of service promises (e.g. email answered within 4 business "
        "hours) and the business calendar they are measured in.",
    )
    forms_dir: str = Field(
        "",
        max_length=2000,
        description="Folder of form definitions (one YAML file a form, and sources.yaml to "
        "name your sources to customers); empty: no forms.",
    )
    moments_file: str = Field(
        "",
        max_length=2000,
        description="Moment rules (YAML); empty: the rules shipped with Warmline.",
    )
    link_secret: SecretStr | None = Field(
        None,
        description="Key that signs what is given to customers (HMAC-SHA256; at least 32 "
        "characters): links to forms, branch check-in codes. Without it no form link can be "
        "made, and check-in codes are signed with a key Warmline makes and keeps in the "
        "database.",
    )
    form_link_minutes: int = Field(
        15, ge=1, le=1440, description="How long a link to confirm a form works."
    )
    public_url: str = Field(
        "",
        max_length=2000,
        description="The address customers reach Warmline at, for links sent to them "
        "(e.g. https://service.example.com); empty: the address of the request.",
    )
    sqlite_synchronous: str = Field(
        "FULL",
        pattern="^(FULL|NORMAL|OFF)$",
        description="SQLite fsync policy: FULL never loses an acknowledged event on power loss.",
    )

    pool_size: int = Field(
        10,
        ge=1,
        le=500,
        description="PostgreSQL connections each worker keeps open (SQLAlchemy's pool).",
    )
    pool_max_overflow: int = Field(
        10, ge=0, le=500, description="Extra PostgreSQL connections a worker may open at a peak."
    )
    pool_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=300,
        description="How long a request waits for a free database connection before a 503.",
    )
    database_connect_timeout_seconds: int = Field(
        5,
        ge=1,
        le=300,
        description="How long to wait for PostgreSQL to accept a connection (a down database "
        "fails fast with a 503 instead of hanging requests).",
    )
    max_streams: int = Field(
        5000,
        ge=1,
        le=100_000,
        description="Live streams (open desks, conversations, branch screens) one server "
        "worker holds at most; more are refused with 503 and Retry-After.",
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Server processes `warmline serve` starts (PostgreSQL only above 1: "
        "desks hear of writes made in other workers through LISTEN/NOTIFY).",
    )
    log_format: str = Field(
        "json",
        pattern="^(json|text)$",
        description="`warmline serve` logs: JSON lines with a request id, or plain text.",
    )
    log_level: str = Field(
        "INFO",
        pattern="^(DEBUG|INFO|WARNING|ERROR)$",
        description="Lowest level `warmline serve` logs (INFO: a line per request).",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
