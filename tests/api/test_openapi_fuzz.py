"""Schemathesis against the app's own OpenAPI document: no 5xx, and every response
matches the document (status codes, content types, bodies). Bounded examples."""

from __future__ import annotations

from pathlib import Path

import hypothesis.strategies._internal.random  # noqa: F401
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from warmline.actions.keys import create_key
from warmline.app import create_app
from warmline.config import Settings
from warmline.models import warm_up
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

# The module above is otherwise imported lazily in the middle of a deep draw, where pytest's
# assertion rewriting compiles it and CPython 3.11 can fail with "AST constructor recursion
# depth mismatch" (a flaky SystemError, not a finding): imported here, it is compiled once.

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_the_api_answers_as_its_document_says(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fuzz.db'}"
    engine = make_engine(url, sqlite_synchronous="OFF")
    upgrade(engine)
    _, key = create_key(engine, role="admin", name="fuzz")
    # Fuzzing sends bad keys on purpose: no lockout here (the lockout has its own test).
    settings_ = Settings(
        database_url=url,
        sqlite_synchronous="OFF",
        auth_failure_limit=1_000_000,
        refine_insight=False,
    )
    # As a served app is once its lifespan has loaded the models (else /readyz is a 503,
    # as it should be while they load).
    warm_up()
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings_, engine))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def exercise(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)

        exercise()
    engine.dispose()
