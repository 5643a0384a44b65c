"""The product's app with floor endpoints beside it, for ``card.py`` only (never the product).

The floors run in the same process, on the same engine and pool, under the same uvicorn
and middleware as ``GET /v1/customers/{id}/card``, so the card's rate can be read as a
fraction of theirs measured in the same run:

* ``/bench/floor/{customer_id}``: the card's reads, raw. The live-customer lookup and
  the card's eight row statements (customer with its risk score, latest interactions,
  open cases, open commitments, activities, verifications, merge suggestions, recent
  messages): the same SQL on the same tables and indexes, run on the pooled connection's
  DB-API cursor, the rows returned as JSON arrays. No key, no audit, no assembly.
* ``/bench/floor3/{customer_id}``: the three lookups the issue's figure used (the
  customer, latest 20 interactions, open cases).
* ``/bench/json``: a fixed JSON body: what the HTTP stack alone costs.

    uvicorn --factory card_app:create_app --app-dir benchmarks
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from warmline.app import create_app as create_product_app
from warmline.storage.card_queries import CARD, CARD_PARTS

FLOOR_PARTS = ("customer", *CARD_PARTS)
LIVE = "SELECT status, merged_into FROM customers WHERE id = {mark}"
FLOOR3 = (
    "SELECT id, status, name, traits FROM customers WHERE id = {mark}",
    "SELECT id, channel, started_at, reason, outcome, summary FROM interactions "
    "WHERE customer_id = {mark} ORDER BY started_at DESC, id DESC LIMIT 20",
    "SELECT * FROM cases WHERE customer_id = {mark} AND status <> 'resolved' "
    "ORDER BY updated_at DESC LIMIT 10",
)
FIXED = orjson.dumps({"customer": {"id": "cus_0", "name": "Customer 0"}, "items": list(range(20))})


def _floor_sql(engine: Engine) -> tuple[str, list[tuple[str, dict[str, Any], tuple[str, ...]]]]:
    """The card's statements compiled once for ``engine``'s dialect: the SQL, its literal
    parameters (limits, statuses) and its bind order (empty for named parameters)."""
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    statements = []
    for part in FLOOR_PARTS:
        compiled = CARD[part].statement.compile(dialect=engine.dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else ()
        fixed = {k: b.effective_value for k, b in compiled.binds.items() if not b.required}
        statements.append((str(compiled), fixed, order))
    return mark, statements


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body, default=str), media_type="application/json")


def create_app() -> FastAPI:
    app = create_product_app()
    engine: Engine = app.state.engine
    mark, statements = _floor_sql(engine)

    @app.get("/bench/floor/{customer_id}", include_in_schema=False)
    def floor(customer_id: str) -> Response:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(LIVE.format(mark=mark), (customer_id,))
            live = cursor.fetchall()
            out: dict[str, Any] = {"live": live}
            for (sql, fixed, order), part in zip(statements, FLOOR_PARTS, strict=True):
                params = {**fixed, "cid": customer_id}
                bound: Any = tuple(params[n] for n in order) if order else params
                cursor.execute(sql, bound)
                out[part] = cursor.fetchall()
            cursor.close()
            raw.rollback()
        finally:
            raw.close()
        return _json(out)

    @app.get("/bench/floor3/{customer_id}", include_in_schema=False)
    def floor3(customer_id: str) -> Response:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            out = []
            for sql in FLOOR3:
                cursor.execute(sql.format(mark=mark), (customer_id,))
                out.append(cursor.fetchall())
            cursor.close()
            raw.rollback()
        finally:
            raw.close()
        return _json(out)

    @app.get("/bench/json", include_in_schema=False)
    def fixed() -> Response:
        return Response(FIXED, media_type="application/json")

    # First in the route table: matched at once, so a floor pays no walk past the product's
    # routes (at the end of the table that walk cost it more than its three lookups).
    floors = [r for r in app.router.routes if getattr(r, "path", "").startswith("/bench/")]
    app.router.routes[:] = floors + [r for r in app.router.routes if r not in floors]
    return app
