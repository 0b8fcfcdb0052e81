"""The SQLite store honours the whole store contract, on a fresh database file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.ports.stores import Store
from galfriday.testing.store_contract import StoreContract


class TestSqliteStore(StoreContract):
    @pytest_asyncio.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[Store]:
        store = SqliteStore(tmp_path / "contract.db")
        await store.start()
        yield store
        await store.close()
