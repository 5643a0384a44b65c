"""The ASGI application: the API's and the desk's routers, error rendering, and the database
they serve."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from warmline.actions import audit as audit_log
from warmline.actions.branch_setup import load_branches_file
from warmline.actions.insight_refine import refine_forever
from warmline.actions.sms import sender_from_setting
from warmline.api import (
    articles,
    audit,
    branches,
    checkins,
    connectors,
    contacts,
    continuations,
    customers,
    embed_links,
    events,
    forms,
    handovers,
    merges,
    metrics,
    privacy,
    promises,
    risk,
    visits,
    webhooks,
)
from warmline.config import Settings
from warmline.errors import WarmlineError
from warmline.models import is_warm, warm_up
from warmline.serving import heap, prometheus
from warmline.serving.background import check_webhook_settings, start_background
from warmline.serving.health import readiness
from warmline.serving.leadership import leadership_for
from warmline.serving.live_listener import stop_listening
from warmline.serving.logs import configure_logging
from warmline.serving.request_context import (
    RequestContext,
    SecurityHeaders,
    request_id,
    requests_in_flight,
)
from warmline.serving.responses import json_response, problem_response
from warmline.serving.throttle import FailureThrottle
from warmline.storage import migrate, queries
from warmline.storage.engine import make_engine
from warmline.storage.faults import as_unavailable, unavailable
from warmline.web import (
    chatwoot_app,
    customer_forms,
    desk,
    desk_branch,
    desk_conversation,
    desk_forms,
    desk_handover,
    desk_identity,
    desk_knowledge,
    desk_metrics,
    embed,
    kiosk,
    pages,
)

log = logging.getLogger("warmline")

#: Swagger UI's and ReDoc's scripts and styles, as the fastapi-offline package ships them:
#: the docs pages load nothing from a CDN, so they work on a machine without internet.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
FAVICON = pages.HERE / "static" / "favicon.ico"
CUSTOMER_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

_PROBLEM = {
    "content": {
        "application/problem+json": {
            "schema": {
                "type": "object",
                "required": ["type", "title", "status", "code", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "code": {"type": "string", "description": "stable; switch on it"},
                    "detail": {"type": "string"},
                    "hint": {"type": "string"},
                },
            }
        }
    }
}
#: Every API route may answer these, as RFC 9457 problem details.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {**_PROBLEM, "description": description}
    for status, description in (
        (400, "Invalid request or parameter"),
        (401, "No valid key"),
        (403, "The key's role may not do this"),
        (404, "Not found"),
        (405, "Method not allowed"),
        (409, "The state changed or forbids it (already merged, already undone)"),
        (410, "The customer was erased"),
        (413, "Body or batch too large"),
        (429, "Too many failed key checks with this key, or with any key, from this address"),
        (500, "Nothing was half-written; retry"),
        (503, "The database is down, read-only, full or busy; retry after Retry-After"),
    )
}


def _warm_up() -> None:
    loading = not is_warm()  # once a process: later apps (the tests') find them loaded
    warm_up()
    if loading:
        heap.settle(collect=True)  # the models' objects too, once loaded


#: Seconds shutdown waits for the model warm-up and the refinement pass to end.
HELPERS_STOP_WITHIN = 60.0


def _join_all(threads: list[threading.Thread], within: float) -> None:
    deadline = time.monotonic() + within
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            log.warning("%s did not end within %.0f s of shutdown", thread.name, within)


def worker_app() -> FastAPI:
    """The app of one of several server processes (``warmline serve --workers N``): settings
    from the environment, logs as the parent set them, the branches file already loaded."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings, load_branches=False)


def create_app(
    settings: Settings | None = None, engine: Engine | None = None, *, load_branches: bool = True
) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment)."""
    settings = settings or Settings()

    check_webhook_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        # With several workers on PostgreSQL, one of them runs the singleton jobs below.
        leadership = leadership_for(app.state.engine)
        heap.settle()  # what start-up made stays out of full collections
        helpers: list[threading.Thread] = []
        if settings.insight:
            # Models load in the background, so the first contact does not wait for them.
            helpers.append(threading.Thread(target=_warm_up, name="warmline-warm-up"))
        if settings.insight and settings.refine_insight:
            # Messages the fast reading was unsure of get their refined reading.
            helpers.append(
                threading.Thread(
                    target=refine_forever,
                    args=(app.state.engine, stop, leadership.held),
                    name="warmline-refine",
                )
            )
        for helper in helpers:
            helper.daemon = True
            helper.start()
        # Webhooks out of the outbox, and risk scores that time alone changes.
        background = start_background(app.state.engine, settings, leadership)
        yield
        stop.set()
        # A model still loading (or reading) in native code when the interpreter exits
        # aborts the process ("terminate called without an active exception"): wait.
        await asyncio.to_thread(_join_all, helpers, HELPERS_STOP_WITHIN)
        background.stop()
        stop_listening()
        leadership.release()
        heap.release()

    app = FastAPI(
        lifespan=lifespan,
        title="Warmline",
        version=metadata.version("warmline"),
        summary="Customer memory for contact centres: every channel, every agent.",
        docs_url=None,  # FastAPI's own pages load Swagger UI from a CDN; ours are offline
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.auth_throttle = FailureThrottle(limit=settings.auth_failure_limit)
    app.state.engine = engine or make_engine(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_max_overflow,
        pool_timeout=settings.pool_timeout_seconds,
        connect_timeout=settings.database_connect_timeout_seconds,
    )
    app.state.sms_sender = sender_from_setting(settings.sms_sender)
    if settings.branches_file and load_branches:
        # Checked whole before the server takes a request: a wrong file stops it with the fix.
        load_branches_file(app.state.engine, Path(settings.branches_file))

    frame_ancestors = " ".join(["'self'", *settings.desk_embed_origins.split()])
    desk_policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; "
        f"frame-ancestors {frame_ancestors}"
    )

    app.add_middleware(
        SecurityHeaders,
        by_prefix=(
            # Defence in depth for customer text: no inline script can run on a desk page.
            ("/desk", desk_policy),
            ("/branch", desk_policy),
            # A card in another desktop's frame, with its session: never kept by a cache.
            ("/embed/", desk_policy, "no-store"),
            ("/embed", desk_policy),
            # The customer's pages: no script at all, never framed, forms post only here.
            ("/confirm/", CUSTOMER_POLICY),
            ("/public/", CUSTOMER_POLICY),
        ),
    )

    @app.exception_handler(WarmlineError)
    async def _warmline_error(_: Request, exc: WarmlineError) -> Response:
        response = problem_response(exc.status, exc.problem())
        if "retry_after" in exc.extra:
            response.headers["Retry-After"] = str(exc.extra["retry_after"])
        return response

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> Response:
        # Down, read-only, full or busy: a 503 the client can retry, not a traceback.
        fault = as_unavailable(exc)
        if fault is None:
            return await _unexpected(request, exc)
        log.warning("database unavailable: %s (%s)", fault.code, type(exc.orig).__name__)
        return await _warmline_error(request, fault)

    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(request: Request, _: PoolTimeout) -> Response:
        log.warning("no free database connection within the pool timeout")
        return await _warmline_error(request, unavailable("database_busy"))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": "/".join(str(p) for p in e["loc"]), "reason": e["msg"], "code": e["type"]}
            for e in exc.errors()
        ]
        return problem_response(
            400,
            {
                "type": "https://warmline.dev/errors/invalid_parameter",
                "title": "Invalid request",
                "status": 400,
                "code": "invalid_parameter",
                "detail": "; ".join(f"{e['field']}: {e['reason']}" for e in errors),
                "errors": errors,
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "route_not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        response = problem_response(
            exc.status_code,
            {
                "type": f"https://warmline.dev/errors/{code}",
                "title": str(exc.detail),
                "status": exc.status_code,
                "code": code,
                "detail": str(exc.detail),
                "hint": "the API is described at /docs and /openapi.json",
            },
        )
        response.headers.update(exc.headers or {})  # e.g. Allow on a 405 (RFC 9110)
        return response

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _: ClientDisconnect) -> Response:
        # The client went (or was cut off for trickling its body): there is no one to answer.
        log.info("client disconnected before its request body arrived: %s", request.url.path)
        return Response(status_code=499)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return problem_response(
            500,
            {
                "type": "https://warmline.dev/errors/internal_error",
                "title": "Internal error",
                "status": 500,
                "code": "internal_error",
                "detail": "Warmline failed to handle this request; nothing was half-written",
                "hint": "retry; if it persists, the server log has the details under "
                "this request_id",
                "request_id": request_id.get(),
            },
        )

    @app.exception_handler(pages.SignedOut)
    async def _signed_out(request: Request, exc: pages.SignedOut) -> Response:
        # Pages go to the sign-in form; the desk's script and event stream get a plain 401.
        wants_page = "text/html" in request.headers.get("accept", "")
        if wants_page and not request.headers.get("x-desk-fragment"):
            return RedirectResponse(exc.sign_in, status_code=303)
        return Response(status_code=401)

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse("/desk")

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, Any]:
        """Liveness (no key needed): 200 whenever the process answers, with the schema
        revision when the database does. Restart the process only if this fails."""
        head = migrate.head_revision()
        try:
            current = migrate.current_revision(app.state.engine)
        except DBAPIError:
            status, current = "database_unreachable", None
        else:
            status = "ok" if current == head else "schema_behind"
        return {
            "status": status,
            "database": app.state.engine.dialect.name,
            "schema": current,
            "schema_expected": head,
        }

    @app.get(
        "/readyz",
        tags=["health"],
        responses={200: {"description": "Ready"}, 503: {"description": "Not ready"}},
    )
    def readyz() -> Response:
        """Readiness (no key needed): 200 when the database answers, its schema is current
        and the models have loaded; else 503 with the check that failed. A load balancer
        sends requests only to a ready process."""
        ready, checks = readiness(app.state.engine, insight=settings.insight)
        response = json_response(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status=200 if ready else 503,
        )
        if not ready:
            response.headers["Retry-After"] = "5"
        return response

    @app.get("/metrics", tags=["health"], response_class=Response)
    def prometheus_metrics() -> Response:
        """Prometheus metrics (no key needed; they hold counts, never customer data):
        request latency by route, events ingested, desk streams open, audit queue depth,
        webhook deliveries waiting."""
        try:
            with app.state.engine.connect() as conn:
                prometheus.OUTBOX.set(queries.outbox_waiting(conn))
        except DBAPIError:  # the database down: the other figures still answer
            prometheus.OUTBOX.set(float("nan"))
        return Response(prometheus.exposition(), media_type=prometheus.CONTENT_TYPE)

    for module in (
        events,
        customers,
        contacts,
        merges,
        audit,
        privacy,
        handovers,
        continuations,
        articles,
        branches,
        checkins,
        visits,
        connectors,
        embed_links,
        metrics,
        promises,
        risk,
        forms,
        webhooks,
    ):
        app.include_router(module.router, responses=PROBLEM_RESPONSES)
    app.include_router(desk.router)
    app.include_router(desk_identity.router)
    app.include_router(desk_conversation.router)
    app.include_router(desk_handover.router)
    app.include_router(desk_knowledge.router)
    app.include_router(desk_branch.router)
    app.include_router(kiosk.router)
    app.include_router(embed.router)
    app.include_router(chatwoot_app.router)
    app.include_router(desk_metrics.router)
    app.include_router(desk_forms.router)
    app.include_router(customer_forms.router)
    app.mount("/desk/static", StaticFiles(directory=pages.HERE / "static"), name="desk-static")
    app.mount("/public/static", StaticFiles(directory=pages.HERE / "public"), name="public-static")
    _add_docs(app)
    app.add_middleware(RequestContext)
    # The audit writer gathers rows into one commit only while other requests run.
    audit_log.others_reading = requests_in_flight
    return app


def _add_docs(app: FastAPI) -> None:
    """The interactive docs at ``/docs`` (Swagger UI) and ``/redoc``, their assets served by
    the app itself from an installed package, and the favicon."""
    openapi_url, assets = app.openapi_url or "/openapi.json", "/docs/assets"

    async def swagger_ui(_: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title="Warmline API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url="/favicon.ico",
            oauth2_redirect_url=None,
        )

    async def redoc(_: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title="Warmline API",
            redoc_js_url=f"{assets}/redoc.standalone.js",
            redoc_favicon_url="/favicon.ico",
            with_google_fonts=False,
        )

    async def favicon(_: Request) -> FileResponse:
        return FileResponse(FAVICON, media_type="image/x-icon")

    # Plain routes, as FastAPI adds its own docs: outside the API and its route table.
    app.add_route("/docs", swagger_ui, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
    app.add_route("/favicon.ico", favicon, include_in_schema=False)
    app.mount(assets, StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
