"""Prometheus metrics, served at ``/metrics`` in the text exposition format.

One registry for the process (not the library's global one, so a test that builds many
apps counts into the same series without clashing). What is measured:

- ``warmline_http_request_duration_seconds{method,route,status}``: latency by route
  *template* (``/v1/customers/{customer_id}``), never by raw path, so customer ids do not
  become series;
- ``warmline_events_total{outcome}``: events ingested over HTTP, by outcome (stored,
  duplicate, rejected): its rate is the ingest rate;
- ``warmline_sse_connections``: desk event streams open now;
- ``warmline_audit_queue_depth``: audit rows waiting for the group-commit writer;
- the Python process's own CPU, memory and file descriptors.

Several worker processes each keep their own figures; scrape each, or set
``PROMETHEUS_MULTIPROC_DIR`` as the prometheus-client documentation describes.
- ``warmline_outbox_depth``: webhook deliveries waiting in the outbox (read from the
  database at each scrape).
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

from warmline.actions.audit import queue_depth

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

REQUEST_SECONDS = Histogram(
    "warmline_http_request_duration_seconds",
    "Time from a request's arrival to its response's start, by route template.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
EVENTS = Counter(
    "warmline_events",
    "Events received by POST /v1/events, by outcome (stored, duplicate, rejected).",
    ["outcome"],
    registry=REGISTRY,
)
SSE_CONNECTIONS = Gauge(
    "warmline_sse_connections",
    "Desk event streams (text/event-stream responses) open now.",
    registry=REGISTRY,
)
AUDIT_QUEUE = Gauge(
    "warmline_audit_queue_depth",
    "Audit rows waiting for the audit writer to commit them.",
    registry=REGISTRY,
)
AUDIT_QUEUE.set_function(queue_depth)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def count_events(stored: int, duplicate: int, rejected: int) -> None:
    """Add one batch's outcomes to ``warmline_events_total``."""
    for outcome, n in (("stored", stored), ("duplicate", duplicate), ("rejected", rejected)):
        if n:
            EVENTS.labels(outcome).inc(n)


#: Set from the database by the ``/metrics`` endpoint at each scrape.
OUTBOX = Gauge(
    "warmline_outbox_depth", "Webhook deliveries waiting in the outbox.", registry=REGISTRY
)


def exposition() -> bytes:
    """Every metric, in the Prometheus text format."""
    return generate_latest(REGISTRY)
