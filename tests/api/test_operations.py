"""Operating the server: liveness and readiness, request ids, Prometheus metrics, JSON logs."""

from __future__ import annotations

import gc
import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.responses import StreamingResponse
from starlette.routing import Route

from tests.factories import Keys, conversation, identified
from warmline import app as app_module
from warmline.app import create_app
from warmline.config import Settings
from warmline.serving import health
from warmline.serving.logs import RequestIdFilter, configure_logging
from warmline.serving.request_context import RequestContext, requests_in_flight
from warmline.storage import migrate
from warmline.storage import schema as t


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``: (name, sorted labels) -> value."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_healthz_is_alive_and_names_the_schema(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["schema"] == body["schema_expected"] == migrate.head_revision()


def test_readyz_checks_database_schema_and_models(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "is_warm", lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 503, "models still loading: not ready yet"
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["database"]["ok"] and body["checks"]["schema"]["ok"]
    assert body["checks"]["models"] == {"ok": False, "loaded": False, "needed": True}
    assert response.headers["retry-after"] == "5"

    monkeypatch.setattr(health, "is_warm", lambda: True)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_readyz_without_insight_does_not_wait_for_models(
    db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "is_warm", lambda: False)
    settings = Settings(database_url=db_url, insight=False)
    with TestClient(create_app(settings, engine)) as client:
        assert client.get("/readyz").status_code == 200


def test_a_running_server_keeps_its_start_up_objects_out_of_full_collections(
    db_url: str, engine: Engine
) -> None:
    settings = Settings(database_url=db_url, insight=False)
    before = gc.get_freeze_count()
    with TestClient(create_app(settings, engine)) as client:
        # What start-up made (modules, the app) is frozen: a full collection walks only
        # what came after, instead of pausing every request for the whole heap.
        assert gc.get_freeze_count() > max(before, 10_000)
        assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0, "given back to the collector at shutdown"


def test_shutdown_waits_for_the_models_still_loading(
    db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A model half-loaded in native code when the interpreter exits aborts the process.
    ended = threading.Event()

    def slow_warm_up() -> None:
        time.sleep(0.5)
        ended.set()

    monkeypatch.setattr(app_module, "_warm_up", slow_warm_up)
    settings = Settings(database_url=db_url, insight=True, refine_insight=True)
    with TestClient(create_app(settings, engine)) as client:
        assert client.get("/healthz").status_code == 200
        assert not ended.is_set()
    assert ended.is_set(), "shutdown returned while the warm-up was still running"
    running = {thread.name for thread in threading.enumerate()}
    assert not running & {"warmline-warm-up", "warmline-refine"}


def test_readyz_says_when_the_schema_is_behind(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "is_warm", lambda: True)
    version = sa.text("UPDATE alembic_version SET version_num = :v")
    with engine.begin() as conn:
        conn.execute(version, {"v": "0001"})
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        schema = response.json()["checks"]["schema"]
        assert schema["ok"] is False and schema["found"] == "0001"
        assert "warmline db upgrade" in schema["hint"]
        assert client.get("/healthz").json()["status"] == "schema_behind"
    finally:  # PostgreSQL's test database is shared by the tests after this one
        with engine.begin() as conn:
            conn.execute(version, {"v": migrate.head_revision()})


def test_readyz_and_healthz_when_the_database_is_down() -> None:
    # Nothing listens on port 1: the database is down. Liveness stays 200 (restarting the
    # process would not help); readiness is 503 with the check that failed.
    url = "postgresql+psycopg://warmline@127.0.0.1:1/warmline"
    with TestClient(create_app(Settings(database_url=url, insight=False))) as client:
        alive = client.get("/healthz")
        assert alive.status_code == 200 and alive.json()["status"] == "database_unreachable"
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == {"ok": False, "code": "database_unavailable"}


def test_every_response_carries_a_request_id(client: TestClient, keys: Keys) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/v1/customers/nobody", headers=keys.agent).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second
    # A caller's own id (a load balancer's, an integration's) is kept and echoed...
    echoed = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.22:9"})
    assert echoed.headers["x-request-id"] == "lb-7f3a.22:9"
    # ...unless it is not a short token: then a new one is made (no header injection, no
    # megabyte ids in the logs).
    for bad in ("a" * 200, "id with spaces", "<script>"):
        made = client.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made)


def test_metrics_count_requests_by_route_template_and_events_by_outcome(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    before = samples(client)
    batch = [identified(), *conversation("m-1")]
    assert client.post("/v1/events", json=batch, headers=keys.integrator).status_code == 200
    assert client.post("/v1/events", json=batch, headers=keys.integrator).status_code == 200
    more = [identified(id_="again")]
    assert client.post("/v1/events", json=more, headers=keys.integrator).status_code == 200
    with engine.connect() as conn:
        customer_id = conn.execute(sa.select(t.customers.c.id)).scalar_one()
    assert client.get(f"/v1/customers/{customer_id}", headers=keys.agent).status_code == 200
    after = samples(client)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("warmline_events_total", outcome="stored") == len(batch) + 1
    assert delta("warmline_events_total", outcome="duplicate") == len(batch)
    # Latency by the route's template: the customer's id is not a label.
    posted = ("POST", "/v1/events", "200")
    assert delta("warmline_http_request_duration_seconds_count", **_labels(*posted)) == 3
    card = ("GET", "/v1/customers/{customer_id}", "200")
    assert delta("warmline_http_request_duration_seconds_count", **_labels(*card)) == 1
    assert not any(customer_id in str(labels) for _, labels in after)
    assert ("warmline_audit_queue_depth", ()) in after
    assert ("warmline_sse_connections", ()) in after


def test_an_open_event_stream_is_counted_until_it_closes() -> None:
    seen: list[float] = []

    async def stream(_: object) -> StreamingResponse:
        async def body() -> Iterator[bytes]:  # type: ignore[misc]
            seen.append(_gauge())
            yield b"data: hello\n\n"

        return StreamingResponse(body(), media_type="text/event-stream")

    app = RequestContext(Starlette(routes=[Route("/stream", stream)]))
    start = _gauge()
    with TestClient(app) as client:
        assert client.get("/stream").text == "data: hello\n\n"
    assert seen == [start + 1]
    assert _gauge() == start


def test_log_lines_are_json_with_the_request_id(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("INFO", "json")
        response = client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = False
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    access = [line for line in lines if line["logger"] == "warmline.access"]
    assert response.status_code == 200
    assert access, lines
    line = access[-1]
    assert line["request_id"] == "trace-42"
    assert line["route"] == "/healthz" and line["status"] == 200 and line["method"] == "GET"
    assert line["level"] == "INFO" and isinstance(line["duration_ms"], float)


def test_the_request_id_filter_is_empty_outside_a_request() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    assert RequestIdFilter().filter(record) and record.request_id == ""  # type: ignore[attr-defined]


def test_metrics_and_health_need_no_key_and_show_no_customer_data(
    client: TestClient, keys: Keys, engine: Engine
) -> None:
    client.post("/v1/events", json=[identified()], headers=keys.integrator)
    with engine.connect() as conn:
        customer_id = conn.execute(sa.select(t.customers.c.id)).scalar_one()
    text = client.get("/metrics").text
    assert "miles" not in text.lower() and customer_id not in text


def _labels(method: str, route: str, status: str) -> dict[str, str]:
    return {"method": method, "route": route, "status": status}


def _gauge() -> float:
    from warmline.serving.prometheus import SSE_CONNECTIONS

    return SSE_CONNECTIONS._value.get()


def test_the_server_counts_the_requests_it_is_answering_but_not_open_streams() -> None:
    seen: list[int] = []

    async def stream(_: object) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            seen.append(requests_in_flight())  # streaming: no longer counted
            yield b"data: x\n\n"

        seen.append(requests_in_flight())  # being answered: counted
        return StreamingResponse(body(), media_type="text/event-stream")

    inner = Starlette(routes=[Route("/stream", stream)])
    with TestClient(RequestContext(inner)) as client:
        before = requests_in_flight()
        assert client.get("/stream").status_code == 200
        assert client.get("/nowhere").status_code == 404
        assert seen == [before + 1, before]
        assert requests_in_flight() == before
