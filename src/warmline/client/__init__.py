"""A typed Python client for Warmline's HTTP API: :class:`Client` (sync) and
:class:`AsyncClient` on httpx, one method per operation, problems raised as typed errors
carrying their stable ``code``.

::

    from warmline.client import Client, NotFound

    with Client("http://127.0.0.1:8000", key="wl_...") as warmline:
        found = warmline.find_customers(identifier="email:miles@example.org")
        try:
            card = warmline.get_card(found["customers"][0]["id"])
        except NotFound as exc:
            print(exc.code)  # customer_not_found

A receiver of Warmline's webhooks checks each delivery with :func:`verify_webhook`.

It uses no other part of Warmline (``make lint`` checks it), so it stays a thin layer over
the HTTP API that any service can hold.
"""

from warmline.client.clients import AsyncClient, Client
from warmline.client.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    PayloadTooLarge,
    ServerError,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    WarmlineAPIError,
)
from warmline.client.webhooks import WebhookVerificationError, verify_webhook

__all__ = [
    "AsyncClient",
    "BadRequest",
    "Client",
    "Conflict",
    "Forbidden",
    "Gone",
    "NotFound",
    "PayloadTooLarge",
    "ServerError",
    "TooManyRequests",
    "Unauthorized",
    "Unprocessable",
    "WarmlineAPIError",
    "WebhookVerificationError",
    "verify_webhook",
]
