"""What the SQLite store does for the audit records beyond the contract: every call is timed under its name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.testing.audit_store_contract import AUDIT_STATEMENT_NAMES, call_every_audit_method


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "audit.db")
    await store.start()
    yield store
    await store.close()


async def test_every_audit_repository_call_is_counted_under_its_statement_name(store: SqliteStore) -> None:
    async with store.unit_of_work() as uow:
        await call_every_audit_method(uow)
        await uow.commit()
    stats = store.monitor.snapshot()
    assert {name: stats[name].count for name in AUDIT_STATEMENT_NAMES if name in stats} == dict.fromkeys(
        AUDIT_STATEMENT_NAMES, 1
    )
