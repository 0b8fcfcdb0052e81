"""Filesystem artifact store specifics: layout, atomic never-overwriting writes, URIs that cannot escape the root."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from galfriday.adapters.filesystem.artifacts import FilesystemArtifactStore
from galfriday.adapters.filesystem.plugin import make_filesystem_artifact_store
from galfriday.adapters.memory.clock import SystemClock
from galfriday.config import Config
from galfriday.errors import ConfigurationError, IntegrityError, InvalidValueError
from galfriday.hookspecs import AdapterContext


async def test_an_artifact_is_a_file_named_by_its_sha256_under_name_and_version(tmp_path: Path) -> None:
    store = FilesystemArtifactStore(tmp_path)
    uri, digest = await store.put("btc-direction", 7, b"model bytes")
    assert uri == f"filesystem://btc-direction/7/{digest}.onnx"
    assert (tmp_path / "btc-direction" / "7" / f"{digest}.onnx").read_bytes() == b"model bytes"


async def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    store = FilesystemArtifactStore(tmp_path)
    await store.put("btc-direction", 1, b"model bytes")
    await store.put("btc-direction", 1, b"model bytes")
    assert [p.name for p in (tmp_path / "btc-direction" / "1").iterdir() if p.name.startswith(".")] == []


async def test_a_tampered_file_is_not_silently_repaired_by_putting_the_bytes_again(tmp_path: Path) -> None:
    store = FilesystemArtifactStore(tmp_path)
    uri, digest = await store.put("btc-direction", 1, b"model bytes")
    store.path(uri).write_bytes(b"evil bytes")
    with pytest.raises(IntegrityError) as caught:
        await store.put("btc-direction", 1, b"model bytes")
    assert caught.value.expected == digest
    assert store.path(uri).read_bytes() == b"evil bytes"


async def test_uris_are_relative_to_the_root_so_the_directory_can_move(tmp_path: Path) -> None:
    uri, digest = await FilesystemArtifactStore(tmp_path / "old").put("m", 1, b"bytes")
    (tmp_path / "old").rename(tmp_path / "new")
    assert await FilesystemArtifactStore(tmp_path / "new").get(uri, digest) == b"bytes"


@pytest.mark.parametrize(
    "uri",
    [
        "filesystem://../1/" + "0" * 64 + ".onnx",
        "filesystem://m/1/../../etc/passwd",
        "file:///etc/passwd",
        "memory://m/1/abc",
        "filesystem://m/1/" + "0" * 63 + ".onnx",
    ],
)
async def test_a_uri_this_store_did_not_make_is_refused(tmp_path: Path, uri: str) -> None:
    with pytest.raises(InvalidValueError):
        await FilesystemArtifactStore(tmp_path).get(uri, hashlib.sha256(b"").hexdigest())


@pytest.mark.parametrize("name", ["..", ".hidden", "-flag", "a b", "a\\b"])
async def test_names_that_could_leave_the_directory_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidValueError):
        await FilesystemArtifactStore(tmp_path).put(name, 1, b"bytes")


async def test_a_negative_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidValueError):
        await FilesystemArtifactStore(tmp_path).put("m", -1, b"bytes")


async def test_deleting_the_last_version_removes_its_empty_directories_but_never_the_root(
    tmp_path: Path,
) -> None:
    store = FilesystemArtifactStore(tmp_path)
    uri, _ = await store.put("m", 1, b"bytes")
    await store.delete(uri)
    assert _entries(tmp_path) == []


def _entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_the_plugin_reads_artifact_dir_from_the_models_settings(tmp_path: Path) -> None:
    ctx = AdapterContext(Config(), {"artifact_dir": str(tmp_path / "a")}, SystemClock())
    assert make_filesystem_artifact_store(ctx).root == tmp_path / "a"


def test_the_plugin_refuses_an_artifact_dir_that_is_not_a_path() -> None:
    with pytest.raises(ConfigurationError):
        make_filesystem_artifact_store(AdapterContext(Config(), {"artifact_dir": 3}, SystemClock()))
