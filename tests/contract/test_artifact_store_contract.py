"""The memory and filesystem artifact stores honour the artifact store contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from galfriday.adapters.filesystem.artifacts import FilesystemArtifactStore
from galfriday.adapters.memory.artifacts import MemoryArtifactStore
from galfriday.testing.artifact_store_contract import ArtifactStoreContract, Tamper


class TestMemoryArtifactStore(ArtifactStoreContract):
    @pytest.fixture
    def artifact_store(self) -> MemoryArtifactStore:
        return MemoryArtifactStore()

    @pytest.fixture
    def tamper(self) -> Tamper:
        return lambda store, uri, data: store.tamper(uri, data)


class TestFilesystemArtifactStore(ArtifactStoreContract):
    @pytest.fixture
    def artifact_store(self, tmp_path: Path) -> FilesystemArtifactStore:
        return FilesystemArtifactStore(tmp_path / "artifacts")

    @pytest.fixture
    def tamper(self) -> Tamper:
        return lambda store, uri, data: store.path(uri).write_bytes(data)
