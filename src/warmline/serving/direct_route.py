"""Routes whose usual request is answered without FastAPI's parameter and dependency
solving, and whose every other request is answered by it, as before.

FastAPI solves an endpoint's parameters and dependencies on every request: a cache key per
dependency, each parameter looked up and validated through pydantic, each dependency
called. On the card, read on every contact, that cost more than half as much as the card's
own reads. A :class:`DirectRoute` keeps the endpoint's declared signature for all that
FastAPI derives from it (the OpenAPI document, the permission the route table checks) and
hands each request first to the endpoint's *direct* function (set with :func:`direct`):
that one reads what it needs from the request itself and calls the same permission check
and the same endpoint, or returns None when anything is unusual (a parameter it would have
to refuse), and FastAPI's own handling answers instead: its refusals byte for byte.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute

Direct = Callable[[Request], Awaitable[Response | None]]
E = TypeVar("E", bound=Callable[..., Any])


def direct(answer: Direct) -> Callable[[E], E]:
    """Give an endpoint of a :class:`DirectRoute` router its direct function ``answer``:
    the response, or None to leave the request to FastAPI."""

    def mark(endpoint: E) -> E:
        endpoint.direct = answer  # type: ignore[attr-defined]
        return endpoint

    return mark


class DirectRoute(APIRoute):
    """An API route whose endpoint may have a direct function (:func:`direct`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        solved = super().get_route_handler()
        answer: Direct | None = getattr(self.endpoint, "direct", None)
        if answer is None:
            return solved

        async def handler(request: Request) -> Response:
            response = await answer(request)
            return await solved(request) if response is None else response

        return handler
