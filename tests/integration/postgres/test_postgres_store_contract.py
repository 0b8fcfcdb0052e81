"""The Postgres store honours the whole store contract, on a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from galfriday.adapters.postgres.store import PostgresStore
from galfriday.ports.stores import Store
from galfriday.testing.store_contract import StoreContract

pytestmark = pytest.mark.postgres


class TestPostgresStore(StoreContract):
    @pytest_asyncio.fixture
    async def store(self, pg_store: PostgresStore) -> AsyncIterator[Store]:
        yield pg_store
