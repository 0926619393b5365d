"""Fixtures for tests that need a real PostgreSQL server (see tests/postgres_server.py).

tests/conftest.py imports them, so every test can ask for:

- ``postgres_server``: one throwaway server for the whole session (a PostgresServer);
  the test is skipped, saying why, where PostgreSQL cannot run (binaries not installed).
- ``postgres_db``: a fresh, empty database on that server for one test, as a libpq
  conninfo string; it is dropped (open connections closed) after the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.postgres_server import PostgresServer, available


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    reason = available()
    if reason:
        pytest.skip(reason)
    server = PostgresServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_db(postgres_server: PostgresServer) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:16]}"
    conninfo = postgres_server.new_database(name)
    yield conninfo
    postgres_server.drop_database(name)
