"""The model registry on a real Postgres store: concurrent registration, promotion and rollback."""

from __future__ import annotations

import pytest

from galfriday.adapters.postgres.store import PostgresStore
from galfriday.testing.model_registry_contract import ModelRegistryStoreContract

pytestmark = pytest.mark.postgres


class TestPostgresModelRegistry(ModelRegistryStoreContract):
    @pytest.fixture
    def store(self, pg_store: PostgresStore) -> PostgresStore:
        return pg_store
