"""The README's curl example does what the README says: it joins the demo's Miles."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from warmline.actions.keys import create_key
from warmline.demo.cast import CAST
from warmline.demo.world import seed_world
from warmline.storage import schema as t

README = Path(__file__).parents[2] / "README.md"


def readme_example() -> tuple[list[dict[str, Any]], str]:
    """The batch the README posts (its shell-spliced time filled in) and its search URL."""
    section = README.read_text().split("Or feed the memory yourself through the API", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    body = re.search(r"-d '(\[.*?\])'\n", block.group(1), re.S)
    search = re.search(r'curl -s "http://127\.0\.0\.1:8000(/v1/customers\?[^"]+)"', block.group(1))
    assert body is not None and search is not None
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.loads(body.group(1).replace("'\"$NOW\"'", now)), search.group(1)


def test_the_readme_example_joins_the_demo_miles(client: TestClient, engine: Engine) -> None:
    seed_world(engine, customers=0)  # the cast alone
    _, key = create_key(engine, role="admin", name="demo")  # as `warmline demo` makes it
    demo = {"Authorization": f"Bearer {key}"}
    with engine.connect() as conn:
        miles = conn.execute(
            sa.select(t.identifiers.c.customer_id).where(
                t.identifiers.c.value == CAST["miles"].email
            )
        ).scalar_one()
    batch, search = readme_example()

    answer = client.post("/v1/events", json=batch, headers=demo)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["status"], r["customer_id"], r["resolution"]) for r in results] == [
        ("accepted", miles, "known"),
        ("accepted", miles, "known"),
    ]
    again = client.post("/v1/events", json=batch, headers=demo)
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]

    found = client.get(search, headers=demo).json()
    assert found["customers"][0]["id"] == miles and found["total"] >= 1
    with engine.connect() as conn:
        customers = conn.execute(
            sa.select(sa.func.count()).where(t.customers.c.name == "Miles Okafor")
        ).scalar_one()
    assert customers == 1  # no second Miles
