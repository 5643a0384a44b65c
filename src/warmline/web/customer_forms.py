"""The customer's page for a pre-filled form: "Is this still right?".

Reached only through a signed, short-lived, single-use link (``/confirm/<token>``). It
shows what is on record with sensitive values partly hidden, where each value came from
and when, and lets the customer confirm each section or correct a value. Nothing of the
desk is on it: its own small stylesheet, no script, no other customer's data, and
``Cache-Control: no-store``. A link that is expired, used, changed or unknown gets a page
that says so and what to do, never a stack trace.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from warmline.actions.forms import Answer, confirm_form, open_form_link
from warmline.domain.access.signed_links import LinkError
from warmline.domain.forms.definitions import Form
from warmline.domain.forms.prefill import OnRecord, shown_to_customer, source_words
from warmline.errors import WarmlineError
from warmline.serving.bodies import read_bounded
from warmline.serving.deps import EngineDep, SettingsDep
from warmline.serving.prefill import VERIFIED, form_on_record
from warmline.serving.profile_config import profile_config
from warmline.web.pages import templates

router = APIRouter(include_in_schema=False)
MAX_FORM_BYTES = 64_000
HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = templates.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _refused(error: LinkError | WarmlineError) -> HTMLResponse:
    status = {"link_expired": 410, "link_used": 410}.get(error.code, 403)
    if isinstance(error, WarmlineError) and not isinstance(error, LinkError):
        status = error.status
    return _page("public_link_problem.html", status, message=error.message, code=error.code)


def _sections(
    form: Form, records: list[OnRecord], labels: dict[str, str], verified: bool, now: dt.datetime
) -> list[dict[str, Any]]:
    by_name = {r.field.name: r for r in records}
    out = []
    for title, fields in form.sections:
        items = []
        for f in fields:
            record = by_name[f.name]
            items.append(
                {
                    "name": f.name,
                    "label": f.label,
                    "help": f.help,
                    "shown": shown_to_customer(f, record.value),
                    "has_value": record.value is not None,
                    "where": source_words(record, labels, now),
                    "stale": record.stale,
                    "locked": f.verified and not verified,
                    "choices": f.fact.choices,
                    "type": f.fact.type,
                }
            )
        out.append({"title": title, "fields": items})
    return out


def _render_form(
    engine: Any,
    settings: Any,
    token: str,
    link: dict[str, Any],
    problems: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    config = profile_config(settings)
    form = config.form(link["form"])
    now = dt.datetime.now(dt.UTC)
    with engine.connect() as conn:
        records = form_on_record(conn, link["customer_id"], form, now)
    verified = link["verification"] in VERIFIED
    return _page(
        "public_form.html",
        status,
        form=form,
        token=token,
        sections=_sections(form, records, config.source_labels, verified, now),
        verified=verified,
        problems=problems or {},
        typed=typed or {},
        expires_at=link["expires_at"],
        now=now,
    )


@router.get("/confirm/{token}")
def confirm_page(token: str, engine: EngineDep, settings: SettingsDep) -> HTMLResponse:
    secret = settings.link_secret.get_secret_value() if settings.link_secret else None
    try:
        link = open_form_link(engine, token, secret=secret)
        return _render_form(engine, settings, token, link)
    except (LinkError, WarmlineError) as error:
        return _refused(error)


@router.post("/confirm/{token}")
async def confirm_submit(
    token: str, request: Request, engine: EngineDep, settings: SettingsDep
) -> HTMLResponse:
    raw = await read_bounded(request, MAX_FORM_BYTES)
    posted = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    return await run_in_threadpool(_submit, engine, settings, token, posted)


def _submit(engine: Any, settings: Any, token: str, posted: dict[str, str]) -> HTMLResponse:
    secret = settings.link_secret.get_secret_value() if settings.link_secret else None
    try:
        link = open_form_link(engine, token, secret=secret)
        form = profile_config(settings).form(link["form"])
    except (LinkError, WarmlineError) as error:
        return _refused(error)
    answers = []
    typed: dict[str, str] = {}
    for f in form.fields:
        new = posted.get(f"new:{f.name}", "").strip()
        if new:
            typed[f.name] = new[:200]
            answers.append(Answer(f.name, new))
        elif posted.get(f"keep:{f.name}") == "yes":
            answers.append(Answer(f.name))
    if not answers:
        problem = {"": "Confirm at least one detail, or type what has changed."}
        return _render_form(engine, settings, token, link, problem, status=422)
    try:
        result = confirm_form(
            engine,
            link["customer_id"],
            form,
            answers,
            verification=link["verification"],
            recorded_by="the customer, through a link",
            audit_actor={"actor": f"link:{link['id']}", "role": "customer"},
            region=settings.default_region,
            link_id=link["id"],
            all_or_nothing=True,
        )
    except LinkError as error:
        return _refused(error)
    except WarmlineError as error:
        rejected = error.extra.get("rejected") or []
        problems = {r["field"]: r["message"] for r in rejected} or {"": error.message}
        return _render_form(engine, settings, token, link, problems, typed, status=422)
    labels = {f.name: f.label for f in form.fields}
    return _page(
        "public_form_done.html",
        form=form,
        kept=[labels[r["field"]] for r in result.recorded if not r["corrected"]],
        changed=[labels[r["field"]] for r in result.recorded if r["corrected"]],
    )
