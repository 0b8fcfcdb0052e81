"""Real-Postgres fixtures: a fresh, uniquely named database per module (or per test), migrated, then dropped.

The server is `GALFRIDAY_TEST_PG_DSN` (an admin DSN) or postgresql://postgres@127.0.0.1:5432/postgres. If it
cannot be reached the tests skip, except under `CI=true`, where they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import pytest_asyncio
from psycopg import sql

from galfriday.adapters.postgres.store import PostgresStore
from galfriday.adapters.sql.migrations import migrate

DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"

GALFRIDAY_TABLES = (
    "orders",
    "executions",
    "positions",
    "balances",
    "candles",
    "model_versions",
    "model_aliases",
    "model_alias_history",
    "model_stage_history",
    "experiments",
    "experiment_outcomes",
    "reconciliation_events",
    "position_adjustments",
    "predictions",
    "raw_journal",
    "retention_runs",
)
"""Every table of docs/schema.md."""


@pytest.fixture(scope="session")
def galfriday_tables() -> tuple[str, ...]:
    return GALFRIDAY_TABLES


def admin_dsn() -> str:
    return os.environ.get("GALFRIDAY_TEST_PG_DSN") or DEFAULT_ADMIN_DSN


def _with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin DSN of a reachable server; skip (locally) or fail (CI=true) when there is none."""
    dsn = admin_dsn()
    try:
        with psycopg.connect(dsn, connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        parts = urlsplit(dsn)
        where = f"{parts.hostname}:{parts.port or 5432}{parts.path}"  # no user or password
        message = f"no PostgreSQL server at {where} ({type(exc).__name__}); set GALFRIDAY_TEST_PG_DSN"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and the Postgres tests cannot run: {message}")
        pytest.skip(message)
    return dsn


@contextmanager
def fresh_database(admin: str, *, migrated: bool) -> Iterator[str]:
    """Create a uniquely named database, migrated or not; yield its DSN; terminate its sessions and drop it."""
    name = f"galfriday_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = _with_database(admin, name)
    try:
        if migrated:
            migrate("postgres", dsn)
        yield dsn
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def migrated_module_dsn(postgres_server: str) -> Iterator[str]:
    """One migrated database shared by a module's tests (each test empties it first)."""
    with fresh_database(postgres_server, migrated=True) as dsn:
        yield dsn


@pytest.fixture
def migrated_dsn(postgres_server: str) -> Iterator[str]:
    """A migrated database of this test's own."""
    with fresh_database(postgres_server, migrated=True) as dsn:
        yield dsn


@pytest.fixture
def empty_dsn(postgres_server: str) -> Iterator[str]:
    """A database with no schema at all, for migration tests."""
    with fresh_database(postgres_server, migrated=False) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def module_admin_connection(migrated_module_dsn: str) -> Iterator[psycopg.Connection]:
    """One autocommit connection to the module's database, for emptying it between tests."""
    with psycopg.connect(migrated_module_dsn, autocommit=True) as connection:
        yield connection


def truncate_everything(connection: psycopg.Connection) -> None:
    """Empty every galfriday table (RESTART IDENTITY CASCADE); only the non-empty ones, as TRUNCATE is slow."""
    probe = sql.SQL("SELECT {}").format(
        sql.SQL(", ").join(
            sql.SQL("EXISTS (SELECT 1 FROM {})").format(sql.Identifier(t)) for t in GALFRIDAY_TABLES
        )
    )
    found = connection.execute(probe).fetchone() or ()
    used = [table for table, has_rows in zip(GALFRIDAY_TABLES, found, strict=True) if has_rows]
    if used:
        tables = sql.SQL(", ").join(sql.Identifier(table) for table in used)
        connection.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(tables))


@pytest_asyncio.fixture
async def pg_store(
    migrated_module_dsn: str, module_admin_connection: psycopg.Connection
) -> AsyncIterator[PostgresStore]:
    """A started store on the module's database, emptied first, closed afterwards."""
    truncate_everything(module_admin_connection)
    store = PostgresStore(
        migrated_module_dsn, pool_min_size=1, pool_max_size=10, application_name="galfriday-tests"
    )
    await store.start()
    yield store
    await store.close()
