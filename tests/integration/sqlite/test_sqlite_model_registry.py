"""The model registry on a SQLite store: concurrent registration, promotion and rollback in one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.ports.stores import Store
from galfriday.testing.model_registry_contract import ModelRegistryStoreContract


class TestSqliteModelRegistry(ModelRegistryStoreContract):
    @pytest_asyncio.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[Store]:
        store = SqliteStore(tmp_path / "registry.db")
        await store.start()
        yield store
        await store.close()
