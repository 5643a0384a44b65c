"""Every example in docs/events.md is accepted exactly as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from warmline.actions.ingest import ingest_events
from warmline.events import EVENT_TYPES, CustomerRef

DOC = Path(__file__).parents[2] / "docs" / "events.md"


def json_blocks() -> list[Any]:
    return [
        orjson.loads(block) for block in re.findall(r"```json\n(.*?)```", DOC.read_text(), re.S)
    ]


def test_every_envelope_example_is_accepted(engine: Engine) -> None:
    envelopes: list[dict[str, Any]] = []
    for block in json_blocks():
        items = block if isinstance(block, list) else [block]
        envelopes.extend(item for item in items if isinstance(item, dict) and "specversion" in item)
    types = {e["type"] for e in envelopes}
    assert types == set(EVENT_TYPES), types
    results = [ingest_events(engine, [e]).items[0] for e in envelopes]
    assert [(r.id, r.status, r.errors) for r in results if r.status != "accepted"] == []


def test_the_customer_example_and_the_response_example_have_the_documented_shape() -> None:
    blocks = json_blocks()
    ref = next(b for b in blocks if isinstance(b, dict) and "identifiers" in b)
    parsed = CustomerRef.model_validate(ref)
    assert [i.value for i in parsed.identifiers] == ["miles.okafor@example.org", "+442079460958"]
    response = next(b for b in blocks if isinstance(b, dict) and "results" in b)
    assert {r["status"] for r in response["results"]} == {
        "accepted",
        "pending",
        "duplicate",
        "rejected",
    }
