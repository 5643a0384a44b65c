"""Fixtures: every storage and API test runs on SQLite and again on PostgreSQL.

PostgreSQL comes from ``WARMLINE_TEST_POSTGRES_URL`` (``make test`` starts a
throwaway server and sets it). Without it the PostgreSQL half fails loudly:
a skipped backend would be a green run that proved nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.factories import Keys
from warmline.actions.keys import create_key
from warmline.app import create_app
from warmline.config import Settings
from warmline.domain.access.roles import Role
from warmline.storage import identity_config, insight_config, schema
from warmline.storage.engine import make_engine
from warmline.storage.migrate import upgrade

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "warmline.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    url = os.environ.get("WARMLINE_TEST_POSTGRES_URL")
    if not url:
        pytest.fail(
            "WARMLINE_TEST_POSTGRES_URL is not set: run the suite with `make test`, which starts "
            "a throwaway PostgreSQL, or point the variable at a server you own",
            pytrace=False,
        )
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


def truncate_postgres(engine: Engine) -> None:
    names = ", ".join(table.name for table in schema.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of the test's backend, and its URL."""
    if backend == "sqlite":
        path = tmp_path / "warmline.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    engine: Engine = request.getfixturevalue("postgres_engine")
    truncate_postgres(engine)
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    # The configurations in force are cached per database URL for a few seconds; a test's
    # fresh database must not see the one before it.
    identity_config.forget_current()
    insight_config.forget_current()
    engine = make_engine(db_url, sqlite_synchronous="OFF")
    yield engine
    engine.dispose()


@pytest.fixture
def settings(db_url: str) -> Settings:
    # The refinement pass runs when a test asks for it, not in the background.
    return Settings(
        database_url=db_url,
        sqlite_synchronous="OFF",
        max_body_bytes=16 * 1024 * 1024,
        refine_insight=False,
    )


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine)) as test_client:
        yield test_client


@pytest.fixture
def keys(engine: Engine) -> Keys:
    """One key per role, as ``Authorization`` headers."""
    made = {}
    for role in Role:
        # The integrator stands for a CRM that verified what it sends.
        _, key = create_key(
            engine, role=role.value, name=f"test-{role.value}", may_verify=role is Role.INTEGRATOR
        )
        made[role.value] = {"Authorization": f"Bearer {key}"}
    return Keys(**made)
