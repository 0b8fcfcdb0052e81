"""The in-memory store honours the whole store contract."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from galfriday.adapters.memory.store import MemoryStore
from galfriday.ports.stores import Store
from galfriday.testing.store_contract import StoreContract


class TestMemoryStore(StoreContract):
    @pytest_asyncio.fixture
    async def store(self) -> AsyncIterator[Store]:
        store = MemoryStore()
        await store.start()
        yield store
        await store.close()
