"""warmline.client against the live app (uvicorn on a loopback port): a method for every
operation of the OpenAPI document, answers as dicts, problems as typed errors with codes."""

from __future__ import annotations

import datetime as dt
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.browser.conftest import serving
from tests.connector_payloads import chatwoot_message
from tests.factories import Keys, miles_story
from tests.loops import run_apart
from warmline.app import create_app
from warmline.client import (
    AsyncClient,
    Client,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    WarmlineAPIError,
)
from warmline.client.endpoints import Endpoints
from warmline.config import Settings

METHODS = ("get", "post", "put", "patch", "delete")


def operations_of(client: TestClient) -> set[tuple[str, str]]:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {(m.upper(), p) for p, ops in paths.items() for m in ops if m in METHODS}


def client_operations() -> set[tuple[str, str]]:
    return {
        getattr(Client, name).__operation__
        for name in dir(Client)
        if hasattr(getattr(Client, name), "__operation__")
    }


def test_every_operation_has_a_client_method_and_every_method_an_operation(
    client: TestClient,
) -> None:
    documented = operations_of(client)
    assert len(documented) > 40
    assert documented - client_operations() == set(), "operations without a client method"
    assert client_operations() - documented == set(), "client methods for no operation"


@pytest.fixture
def live(db_url: str, engine: Engine) -> Iterator[str]:
    settings = Settings(database_url=db_url, sqlite_synchronous="OFF", insight=False)
    with serving(create_app(settings, engine)) as url:
        yield url


def key_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def test_the_client_against_the_live_app(live: str, keys: Keys) -> None:
    with Client(live, key=key_of(keys.integrator)) as crm:
        stored = crm.post_events(miles_story(dt.datetime.now(dt.UTC)))
        assert stored["rejected"] == 0
        contact = crm.start_contact(
            "voice", [{"kind": "phone", "value": "020 7946 0958"}], agent_id="test-agent"
        )
        assert contact["customer_id"]
        with pytest.raises(Forbidden) as refused:
            crm.find_customers(q="miles")
        assert refused.value.code == "forbidden" and refused.value.status == 403
        with pytest.raises(Unprocessable) as rejected:
            crm.post_events([{"specversion": "1.0"}])
        assert rejected.value.status == 422 and rejected.value.body["rejected"] == 1
        link = crm.embed_link(customer_id=contact["customer_id"], agent="test-agent")
        assert link["url"].startswith(live)

    with Client(live, key=key_of(keys.admin)) as admin:
        made = admin.create_connector("chatwoot", "7")
        delivered = admin.deliver_chatwoot("7", made["secret"], chatwoot_message(101))
        assert delivered["accepted"] == 2
        with pytest.raises(Unauthorized) as wrong:
            admin.deliver_chatwoot("7", "wlc_wrong", chatwoot_message(102))
        assert wrong.value.code == "invalid_connector_secret" and wrong.value.hint

    with Client(live, key=key_of(keys.agent)) as desk:
        found = desk.find_customers(identifier="email:miles@example.org")["customers"]
        card = desk.get_card(found[0]["id"], channel="voice")
        assert card["customer"]["name"] == "Miles Okafor"
        with pytest.raises(NotFound) as missing:
            desk.get_customer("cus_nobody")
        assert missing.value.code == "customer_not_found"
        assert isinstance(missing.value, WarmlineAPIError)

    with Client(live, key="wl_not_a_key") as stranger, pytest.raises(Unauthorized) as bad:
        stranger.list_connectors()
    assert bad.value.code == "invalid_key"


def test_the_async_client_has_the_same_methods(live: str, keys: Keys) -> None:
    async def run() -> None:
        async with AsyncClient(live, key=key_of(keys.agent)) as warmline:
            health = await warmline.health()
            assert health["status"] == "ok"
            assert (await warmline.find_customers(q="nobody"))["total"] == 0
            with pytest.raises(NotFound) as missing:
                await warmline.get_interaction("no-such-thing")
            assert missing.value.code == "interaction_not_found"

    run_apart(run)


def test_every_client_call_in_the_integration_page_is_a_method() -> None:
    page = (Path(__file__).parents[2] / "docs" / "integrate.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    called = {
        name for block in blocks for name in re.findall(r"\b(?:crm|desk|admin)\.(\w+)\(", block)
    }
    assert {"post_events", "start_contact", "get_card", "embed_link"} <= called
    assert {name for name in called if not callable(getattr(Client, name, None))} == set()


class Recorder(Endpoints[Any]):
    """Records each request a method builds instead of sending it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any], Any]] = []

    def _call(self, method: str, path: str, *, params: Any = None, json: Any = None,
              headers: Any = None, ok: Any = None) -> Any:  # fmt: skip
        self.sent.append((method, path, dict(params or {}), json))


def placeholder(annotation: str) -> Any:
    """A value of the parameter's annotated type (annotations are strings here)."""
    for marker, value in (("Sequence[Mapping", [{}]), ("Sequence", ["x"]), ("Mapping", {"k": 1}),
                          ("int", 1), ("bool", True), ("float", 1.0)):  # fmt: skip
        if annotation.startswith(marker) or annotation.startswith(f"{marker} |"):
            return value
    return "x"


def resolved(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_every_method_sends_what_its_operation_reads(client: TestClient) -> None:
    """Each method, called with every argument, sends its operation's method and path, only
    query parameters and body fields the operation declares, and all it requires."""
    document = client.app.openapi()  # type: ignore[attr-defined]
    checked = 0
    for name in dir(Recorder):
        function = getattr(Recorder, name)
        if not hasattr(function, "__operation__"):
            continue
        method, template = function.__operation__
        recorder = Recorder()
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for p in inspect.signature(function).parameters.values():
            if p.name == "self" or p.kind is p.VAR_KEYWORD:
                continue
            value = placeholder(str(p.annotation))
            if p.kind is p.KEYWORD_ONLY:
                kwargs[p.name] = value
            else:
                args.append(value)
        getattr(recorder, name)(*args, **kwargs)
        ((sent_method, path, params, body),) = recorder.sent
        assert sent_method == method, name
        assert re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path), (name, path)
        operation = document["paths"][template][method.lower()]
        query = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
        assert set(params) <= set(query), (name, set(params) - set(query))
        required = {n for n, p in query.items() if p.get("required")}
        assert required <= set(params), (name, "misses", required - set(params))
        content = operation.get("requestBody", {}).get("content", {})
        schema = next(iter(content.values()), {}).get("schema")
        if isinstance(body, dict) and schema:
            schema = resolved(schema, document)
            fields = set(schema.get("properties", {}))
            if fields and schema.get("additionalProperties") is not True:
                assert set(body) <= fields, (name, set(body) - fields)
            assert set(schema.get("required", [])) <= set(body), (name, "misses a field")
        checked += 1
    assert checked == len(operations_of(client))
