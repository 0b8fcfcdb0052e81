"""The `ArtifactStore` contract: what every artifact store (memory, filesystem, a plugin's) must honour.

Subclass `ArtifactStoreContract` and provide two fixtures: `artifact_store`, an empty store, and `tamper`, a
function `(store, uri, data) -> None` that replaces the stored bytes behind the store's back (as a disk fault or
an attacker would)::

    class TestMyArtifacts(ArtifactStoreContract):
        @pytest.fixture
        def artifact_store(self, tmp_path):
            return MyArtifactStore(tmp_path)

        @pytest.fixture
        def tamper(self):
            return lambda store, uri, data: store.path(uri).write_bytes(data)
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from galfriday.errors import IntegrityError, InvalidValueError, NotFoundError
from galfriday.ports.models import ArtifactStore

Tamper = Callable[[Any, str, bytes], None]

ARTIFACT = b"\x08\x07\x12\x0bgalfriday-test\x00\xff" * 64
"""Arbitrary bytes, NUL and 0xff included: a store must keep bytes, not text."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.asyncio
class ArtifactStoreContract:
    async def test_put_returns_a_uri_and_the_sha256_of_the_bytes(self, artifact_store: ArtifactStore) -> None:
        uri, digest = await artifact_store.put("btc-direction", 1, ARTIFACT)
        assert isinstance(uri, str)
        assert uri
        assert digest == sha256(ARTIFACT)

    async def test_get_returns_the_bytes_put(self, artifact_store: ArtifactStore) -> None:
        uri, digest = await artifact_store.put("btc-direction", 1, ARTIFACT)
        assert await artifact_store.get(uri, digest) == ARTIFACT

    async def test_versions_of_a_model_get_distinct_uris(self, artifact_store: ArtifactStore) -> None:
        first, _ = await artifact_store.put("btc-direction", 1, b"one")
        second, _ = await artifact_store.put("btc-direction", 2, b"two")
        assert first != second
        assert await artifact_store.get(first, sha256(b"one")) == b"one"
        assert await artifact_store.get(second, sha256(b"two")) == b"two"

    async def test_putting_the_same_bytes_again_returns_the_same_uri(
        self, artifact_store: ArtifactStore
    ) -> None:
        first = await artifact_store.put("btc-direction", 1, ARTIFACT)
        assert await artifact_store.put("btc-direction", 1, ARTIFACT) == first

    async def test_other_bytes_never_replace_stored_ones(self, artifact_store: ArtifactStore) -> None:
        uri, digest = await artifact_store.put("btc-direction", 1, ARTIFACT)
        other_uri, _ = await artifact_store.put("btc-direction", 1, b"different bytes")
        assert other_uri != uri
        assert await artifact_store.get(uri, digest) == ARTIFACT

    async def test_a_bytearray_changed_after_put_does_not_change_the_artifact(
        self, artifact_store: ArtifactStore
    ) -> None:
        data = bytearray(b"mutable artifact")
        uri, digest = await artifact_store.put("btc-direction", 1, data)  # type: ignore[arg-type]
        data[:] = b"changed afterwards"
        assert await artifact_store.get(uri, digest) == b"mutable artifact"

    async def test_a_wrong_expected_sha256_is_refused_naming_uri_expected_and_actual(
        self, artifact_store: ArtifactStore
    ) -> None:
        uri, digest = await artifact_store.put("btc-direction", 1, ARTIFACT)
        wrong = sha256(b"something else")
        with pytest.raises(IntegrityError) as caught:
            await artifact_store.get(uri, wrong)
        assert (caught.value.uri, caught.value.expected, caught.value.actual) == (uri, wrong, digest)
        assert uri in str(caught.value)

    async def test_tampered_bytes_are_refused_on_read(
        self, artifact_store: ArtifactStore, tamper: Tamper
    ) -> None:
        uri, digest = await artifact_store.put("btc-direction", 1, ARTIFACT)
        tamper(artifact_store, uri, ARTIFACT[:-1] + b"\x00")
        with pytest.raises(IntegrityError) as caught:
            await artifact_store.get(uri, digest)
        assert caught.value.expected == digest
        assert caught.value.actual == sha256(ARTIFACT[:-1] + b"\x00")

    async def test_an_empty_artifact_round_trips(self, artifact_store: ArtifactStore) -> None:
        uri, digest = await artifact_store.put("btc-direction", 1, b"")
        assert await artifact_store.get(uri, digest) == b""

    async def test_deleted_artifacts_are_not_found(self, artifact_store: ArtifactStore) -> None:
        uri, digest = await artifact_store.put("btc-direction", 1, ARTIFACT)
        await artifact_store.delete(uri)
        with pytest.raises(NotFoundError):
            await artifact_store.get(uri, digest)

    async def test_deleting_twice_is_not_an_error(self, artifact_store: ArtifactStore) -> None:
        uri, _ = await artifact_store.put("btc-direction", 1, ARTIFACT)
        await artifact_store.delete(uri)
        await artifact_store.delete(uri)

    async def test_deleting_one_version_keeps_the_others(self, artifact_store: ArtifactStore) -> None:
        first, _ = await artifact_store.put("btc-direction", 1, b"one")
        second, _ = await artifact_store.put("btc-direction", 2, b"two")
        await artifact_store.delete(first)
        assert await artifact_store.get(second, sha256(b"two")) == b"two"

    @pytest.mark.parametrize("name", ["", "a/b"])
    async def test_a_name_that_is_not_a_plain_model_name_is_refused(
        self, artifact_store: ArtifactStore, name: str
    ) -> None:
        with pytest.raises(InvalidValueError):
            await artifact_store.put(name, 1, ARTIFACT)

    async def test_concurrent_puts_of_the_same_bytes_agree(self, artifact_store: ArtifactStore) -> None:
        results = await asyncio.gather(*(artifact_store.put("btc-direction", 3, ARTIFACT) for _ in range(8)))
        assert len(set(results)) == 1
        uri, digest = results[0]
        assert await artifact_store.get(uri, digest) == ARTIFACT
