"""What every desk page shares: the templates, the signed-in agent, and desk form posts.

Every fragment is rendered on the server with autoescaping, so customer-supplied text is
always shown as text. Every change is a POST that must carry the ``X-Desk-Fragment``
header: a cross-site form cannot set it, so an embedded desk (whose cookie is
``SameSite=None``) is not open to cross-site request forgery.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

import jinja2
import markupsafe
import nh3
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markdown_it import MarkdownIt
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from warmline.actions.desk_sessions import SESSION_HOURS, session_actor, sign_in
from warmline.domain.access.roles import Actor, Permission, allows
from warmline.domain.card.context import CHANNEL_WORDS
from warmline.domain.card.insight import is_negative, message_feeling
from warmline.domain.card.words import (
    activity_words,
    feedback_words,
    language_words,
    source_words,
)
from warmline.domain.effort.case_effort import Effort, effort_words
from warmline.domain.identity.evidence import question_of
from warmline.domain.insight.feeling_words import sureness
from warmline.domain.labels import humanise
from warmline.domain.metrics.measures import figure_text
from warmline.domain.timewords import ago
from warmline.errors import Forbidden, InvalidRequest, TooManyFailures
from warmline.serving.bodies import read_bounded
from warmline.serving.deps import EngineDep, client_address

HERE = Path(__file__).parent
# Articles are Markdown written by people: raw HTML in them is shown as text, and what
# Markdown makes is cleaned again (links keep http, https and mailto only).
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(text: str) -> str:
    """Safe HTML for an article's Markdown."""
    return nh3.clean(_MARKDOWN.render(text), url_schemes={"http", "https", "mailto"})


#: The desk session cookie (see :mod:`warmline.actions.desk_sessions`).
COOKIE = "wl_desk"

templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # customer text is untrusted: everything is escaped unless marked safe
    undefined=jinja2.StrictUndefined,
)
templates.filters["ago"] = lambda when, now: ago(when, now) if when else ""
templates.globals["channel_words"] = CHANNEL_WORDS
templates.globals["message_feeling"] = message_feeling
templates.globals["sureness"] = sureness
templates.tests["negative_feeling"] = is_negative
templates.filters["effort_words"] = lambda counted: effort_words(Effort(**counted))
templates.filters["words"] = lambda code: humanise(str(code)) if code is not None else ""
templates.filters["language_words"] = language_words
templates.filters["source_words"] = source_words
templates.globals["activity_words"] = activity_words
templates.globals["feedback_words"] = feedback_words
templates.globals["question_of"] = question_of
templates.filters["figure"] = figure_text
# Safe by construction: raw HTML is escaped by markdown-it and the result cleaned by nh3.
templates.filters["markdown"] = lambda text: markupsafe.Markup(render_markdown(text))  # noqa: S704


@dataclass(frozen=True, slots=True)
class SignInPage:
    """A page that opens a session with a key: the desk's, or a branch device's."""

    template: str
    permission: Permission
    #: What a valid key whose role lacks ``permission`` is told.
    not_for_it: str
    landing: str
    cookie: str
    path: str


DESK_SIGN_IN = SignInPage(
    template="sign_in.html",
    permission=Permission.READ_CUSTOMERS,
    not_for_it="That key is not for the desk: it may not read customers.",
    landing="/desk",
    cookie=COOKIE,
    path="/desk",
)


async def sign_in_with_key(
    request: Request, engine: Engine, page: SignInPage, *, embedded: bool = False
) -> Response:
    """Check the posted key (failures throttled per address and key prefix), open a session
    and set its cookie; or show the sign-in page again with why not."""
    throttle = request.app.state.auth_throttle
    address = client_address(request)
    form = parse_qs((await read_bounded(request, 4096)).decode(errors="replace"))
    key = (form.get("key") or [""])[0].strip()
    try:
        throttle.check(address, key)
    except TooManyFailures as exc:
        refused = render(page.template, status=429, error=exc.message)
        refused.headers["Retry-After"] = str(exc.extra["retry_after"])
        return refused
    opened = await run_in_threadpool(sign_in, engine, key) if key else None
    if opened is None:
        throttle.failed(address, key)
    if opened is None or not allows(opened[0].role, page.permission):
        message = (
            page.not_for_it
            if opened
            else "That key is unknown, revoked or expired. Ask an admin for a key."
        )
        return render(page.template, status=401, error=message)
    response = RedirectResponse(page.landing, status_code=303)
    response.set_cookie(
        page.cookie,
        opened[1],
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="none" if embedded else "strict",
        secure=embedded or request.url.scheme == "https",
        path=page.path,
    )
    if embedded:
        # http.cookies knows the Partitioned attribute only from Python 3.14: append it.
        response.raw_headers = [
            (name, value + b"; Partitioned" if name == b"set-cookie" else value)
            for name, value in response.raw_headers
        ]
    return response


class SignedOut(Exception):
    """The desk session is missing, expired or its key was revoked."""

    #: Where a page asked for without a session sends the browser.
    sign_in = "/desk/sign-in"


class KioskSignedOut(SignedOut):
    """A branch kiosk or screen without its session: it is signed in again by staff."""

    sign_in = "/branch/sign-in"


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = templates.get_template(name).render(now=dt.datetime.now(dt.UTC), **context)
    return HTMLResponse(html, status_code=status)


def desk_actor(request: Request, engine: EngineDep) -> Actor:
    token = request.cookies.get(COOKIE)
    actor = session_actor(engine, token) if token else None
    if actor is None or not allows(actor.role, Permission.READ_CUSTOMERS):
        raise SignedOut()
    return actor


DeskActor = Annotated[Actor, Depends(desk_actor)]


def require_on_desk(actor: Actor, permission: Permission) -> None:
    """Refuse (403) a desk action the signed-in key's role may not take."""
    if not allows(actor.role, permission):
        raise Forbidden(
            "forbidden",
            f"a desk signed in as '{actor.role}' may not do this",
            hint="ask someone whose key has that right (a supervisor reviews duplicates)",
        )


async def desk_form(request: Request) -> dict[str, str]:
    """The fields of a desk POST; refused unless it carries the desk's own header."""
    if request.headers.get("x-desk-fragment") != "1":
        raise InvalidRequest(
            "not_from_the_desk", "desk changes come from the desk page itself", hint="reload it"
        )
    form = parse_qs((await read_bounded(request, 4096)).decode(errors="replace"))
    return {key: values[0] for key, values in form.items()}
