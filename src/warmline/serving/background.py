"""Work the server does on its own while it runs: delivering the outbox's webhooks, and
rescoring customers whose risk changed with time alone (a promise fell due unkept). With
several workers, only the one leading does it."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy.engine import Engine

from warmline.actions.risk import review_due, risk_policy
from warmline.actions.webhooks import WebhookConfig, allowed_networks, deliver_due, signing_key
from warmline.config import Settings
from warmline.serving.leadership import Leadership

log = logging.getLogger("warmline.background")
#: How often the loop looks for due work.
TICK_SECONDS = 5.0
#: How often the risk scores time changes are looked for.
REVIEW_EVERY = dt.timedelta(minutes=1)


def check_webhook_settings(settings: Settings) -> None:
    """Refuse to start with a webhook URL but no usable secret, or with allowed networks
    that are not networks (the message says how)."""
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        signing_key(secret)
    allowed_networks(settings)


def start_background(engine: Engine, settings: Settings, leadership: Leadership) -> threading.Event:
    """Start the loop in a daemon thread; set the returned event to stop it. Only the
    worker that holds ``leadership`` does the work (see :mod:`.leadership`)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_run,
        args=(engine, settings, stop, leadership),
        name="warmline-background",
        daemon=True,
    )
    thread.start()
    return stop


def _run(engine: Engine, settings: Settings, stop: threading.Event, leadership: Leadership) -> None:
    policy = risk_policy(settings)
    webhooks = WebhookConfig.from_settings(settings)
    reviewed = dt.datetime.now(dt.UTC)  # the first review a minute after start
    while not stop.wait(TICK_SECONDS):
        now = dt.datetime.now(dt.UTC)
        if not leadership.held():
            continue
        try:
            # to every subscription (WARMLINE_WEBHOOK_URL's and the admin API's)
            deliver_due(engine, webhooks, now=now)
            if now - reviewed >= REVIEW_EVERY:
                review_due(engine, policy, now=now)
                reviewed = now
        except Exception:  # the loop outlives one bad tick; the log says what went wrong
            log.exception("background work failed")
