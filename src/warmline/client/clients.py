"""The clients: :class:`Client` (sync) and :class:`AsyncClient`, both on httpx."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from types import TracebackType
from typing import Any

import httpx2 as httpx

from warmline.client.endpoints import Endpoints
from warmline.client.errors import error_for

DEFAULT_TIMEOUT = 10.0


def _headers(key: str | None) -> dict[str, str]:
    headers = {"User-Agent": "warmline-client"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return headers


def _answer(response: httpx.Response, ok: Sequence[int]) -> Any:
    body: Any = None
    if response.content:
        try:
            body = response.json()
        except ValueError:
            body = response.text
    if response.status_code not in ok:
        error = error_for(response.status_code, body)
        if "retry-after" in response.headers and isinstance(error.body, dict):
            error.body.setdefault("retry_after", response.headers["retry-after"])
        raise error
    return body


class Client(Endpoints[Any]):
    """Warmline's API from Python, one method per operation. A problem answer raises a
    :class:`~warmline.client.errors.WarmlineAPIError` carrying its ``code``.

    ``Client("http://127.0.0.1:8000", key="wl_...")``; pass ``http`` to bring your own
    ``httpx.Client`` (a test's ``TestClient`` works too).
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx.Client | None = None,
    ) -> None:
        self._own = http is None
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self.headers = _headers(key)

    def _send(self, method: str, path: str, request: dict[str, Any], ok: Sequence[int]) -> Any:
        return _answer(self.http.request(method, path, **request), ok)

    def close(self) -> None:
        if self._own:
            self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(Endpoints[Awaitable[Any]]):
    """The same methods as :class:`Client`, each to be awaited."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._own = http is None
        self.http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self.headers = _headers(key)

    def _send(
        self, method: str, path: str, request: dict[str, Any], ok: Sequence[int]
    ) -> Awaitable[Any]:
        async def call() -> Any:
            return _answer(await self.http.request(method, path, **request), ok)

        return call()

    async def aclose(self) -> None:
        if self._own:
            await self.http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
