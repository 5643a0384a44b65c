"""Work the server does on its own while it runs: bringing the rollups and risk scores up to
date just after a contact's start (:mod:`warmline.actions.derived`), delivering the
outbox's webhooks, and rescoring customers whose risk changed with time alone (a promise
fell due unkept). With several workers, only the one leading does it."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from sqlalchemy.engine import Engine

from warmline.actions.derived import bring_up_to_date
from warmline.actions.risk import review_due, risk_policy
from warmline.actions.webhooks import WebhookConfig, allowed_networks, deliver_due, signing_key
from warmline.config import Settings
from warmline.serving.leadership import Leadership
from warmline.serving.live_listener import ensure_listening
from warmline.storage.live import DERIVED_TOPIC, HUB

log = logging.getLogger("warmline.background")
#: How often the loop looks for due work (webhooks; derived figures another worker's
#: notification did not reach this one with).
TICK_SECONDS = 5.0
#: How long after a contact's start its derived figures are brought up to date: the desk's
#: card is read (and its read audited) first, and starts close together go in one batch.
DERIVED_DELAY = 0.25
#: How often the risk scores time changes are looked for.
REVIEW_EVERY = dt.timedelta(minutes=1)


#: How long shutdown waits for the work in hand to finish.
STOP_WAIT_SECONDS = 30.0


class Background:
    """The loop's handle: :meth:`stop` stops it (at shutdown)."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        #: Set by :meth:`stop` and whenever derived figures fall due in this process.
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None

    def stop(self) -> None:
        """Stop the loop and wait for the work in hand (a transaction) to end."""
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(STOP_WAIT_SECONDS)


def check_webhook_settings(settings: Settings) -> None:
    """Refuse to start with a webhook URL but no usable secret, or with allowed networks
    that are not networks (the message says how)."""
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        signing_key(secret)
    allowed_networks(settings)


def start_background(engine: Engine, settings: Settings, leadership: Leadership) -> Background:
    """Start the loop in a daemon thread; :meth:`Background.stop` stops it. Only the worker
    that holds ``leadership`` does the work (see :mod:`.leadership`)."""
    handle = Background()
    handle.thread = threading.Thread(
        target=_run,
        args=(engine, settings, handle, leadership),
        name="warmline-background",
        daemon=True,
    )
    handle.thread.start()
    return handle


def _run(engine: Engine, settings: Settings, handle: Background, leadership: Leadership) -> None:
    policy = risk_policy(settings)
    webhooks = WebhookConfig.from_settings(settings)
    reviewed = dt.datetime.now(dt.UTC)  # the first review a minute after start
    ticked = time.monotonic()
    with HUB.listen_in_thread([DERIVED_TOPIC], handle.wake):
        if engine.dialect.name == "postgresql":
            # Hear the contacts other workers start (their NOTIFY), not only this one's.
            ensure_listening(engine)
        while not handle.stopping.is_set():
            woken = handle.wake.wait(TICK_SECONDS)
            if handle.stopping.is_set():
                return
            if woken:
                if handle.stopping.wait(DERIVED_DELAY):
                    return
                handle.wake.clear()
            tick = time.monotonic() - ticked >= TICK_SECONDS
            if not (woken or tick) or not leadership.held():
                continue
            try:
                bring_up_to_date(engine, policy)
                if tick:
                    ticked = time.monotonic()
                    now = dt.datetime.now(dt.UTC)
                    # to every subscription (WARMLINE_WEBHOOK_URL's and the admin API's)
                    deliver_due(engine, webhooks, now=now)
                    if now - reviewed >= REVIEW_EVERY:
                        review_due(engine, policy, now=now)
                        reviewed = now
            except Exception:  # the loop outlives one bad tick; the log says what went wrong
                log.exception("background work failed")
