"""JSON responses encoded once with orjson (about 3 x cheaper than FastAPI's encoder)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

PROBLEM = "application/problem+json"
# Row keys from SQLAlchemy are str subclasses; OPT_NON_STR_KEYS lets orjson take them.
_OPTIONS = orjson.OPT_NON_STR_KEYS


def json_response(body: Any, status: int = 200) -> Response:
    return Response(
        orjson.dumps(body, option=_OPTIONS), status_code=status, media_type="application/json"
    )


def problem_response(status: int, body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body, option=_OPTIONS), status_code=status, media_type=PROBLEM)
