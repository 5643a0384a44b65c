"""Keyset cursors: where a page ended, as an opaque URL-safe string clients pass back."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import orjson

from warmline.errors import InvalidRequest


def encode_cursor(*values: str | int | dt.datetime) -> str:
    """The sort key of the last row of a page (times with their zone)."""
    plain = [v.isoformat() if isinstance(v, dt.datetime) else v for v in values]
    return base64.urlsafe_b64encode(orjson.dumps(plain)).decode().rstrip("=")


def decode_cursor(cursor: str, *shape: type) -> tuple[Any, ...]:
    """The values :func:`encode_cursor` wrote, checked against ``shape`` (``dt.datetime``
    for a time); a cursor of another shape is a 400 that says what to do."""
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(shape):
            raise ValueError(cursor)
        values: list[Any] = []
        for value, kind in zip(raw, shape, strict=True):
            if kind is dt.datetime:
                value = dt.datetime.fromisoformat(value)
                if value.tzinfo is None:
                    raise ValueError(cursor)
            elif not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(cursor)
            values.append(value)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise InvalidRequest(
            "invalid_cursor",
            "the cursor is not one this API returned",
            hint="pass the next_cursor of the previous page unchanged, or leave it out",
        ) from None
    return tuple(values)
