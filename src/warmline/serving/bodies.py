"""Request bodies read with a bound: a client cannot make a route buffer more than it allows."""

from __future__ import annotations

from fastapi import Request

from warmline.errors import PayloadTooLarge


async def read_bounded(request: Request, limit: int) -> bytes:
    """The request body, refusing it as soon as it grows past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        "body_too_large",
        f"the request body is over {limit} bytes",
        hint="send fewer events per request (WARMLINE_MAX_BODY_BYTES sets the limit)",
    )
