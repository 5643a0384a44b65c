"""Sending SMS: one-time check-in codes go through a sender chosen by a setting.

``WARMLINE_SMS_SENDER=log`` (the default) writes the message to the server log, to try
the kiosk without a gateway; anything real is a ``package.module:factory`` whose factory
returns an object with ``send(phone, text)`` (raise :class:`SmsFailed` when it could not
be sent). Warmline itself makes no network call.
"""

from __future__ import annotations

import importlib
import logging
from typing import Protocol

from warmline.errors import InvalidRequest

log = logging.getLogger("warmline.sms")


class SmsFailed(Exception):
    """The message could not be sent; the kiosk says so and offers another way."""


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send ``text`` to ``phone`` (E.164), or raise :class:`SmsFailed`."""


class LogSender:
    """Writes each message to the log: for trying the kiosk out, never for production
    (the log then holds the codes)."""

    def send(self, phone: str, text: str) -> None:
        log.warning("SMS to %s•••%s (log sender): %s", phone[:3], phone[-2:], text)


def sender_from_setting(setting: str) -> SmsSender:
    """The sender ``WARMLINE_SMS_SENDER`` names."""
    if setting == "log":
        return LogSender()
    module_name, _, factory_name = setting.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
    except (ImportError, AttributeError) as exc:
        raise InvalidRequest(
            "sms_sender_not_found",
            f"WARMLINE_SMS_SENDER names '{setting}', which cannot be imported ({exc})",
            hint="set it to 'log' or to package.module:factory of an installed package",
        ) from None
    sender: SmsSender = factory()
    return sender
