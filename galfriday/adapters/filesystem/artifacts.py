"""`ArtifactStore` on a local directory.

Layout: `<root>/<name>/<version>/<sha256>.<suffix>`, addressed as `filesystem://<name>/<version>/<sha256>.<suffix>`
(a URI relative to the root, so the directory can move). The file name is the content's sha256, so the same
bytes always land on the same path and a path never holds two different contents:

- a write goes to a temporary file in the target directory, is fsynced, then hard-linked into place (a link,
  unlike a rename, fails if the target exists, so nothing is ever overwritten, even by a racing writer), and
  the directory is fsynced;
- putting bytes that are already stored returns the existing URI; if the existing file no longer hashes to its
  name (it was tampered with), the put is refused with `IntegrityError` rather than repaired silently;
- every read hashes the bytes and refuses them (`IntegrityError` naming the URI, the expected and the actual
  sha256) unless they match.

File I/O runs in a worker thread so that the event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import Final

from galfriday.errors import IntegrityError, InvalidValueError, NotFoundError

SCHEME: Final = "filesystem://"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_SUFFIX = re.compile(r"[a-z0-9]{1,16}")
_URI = re.compile(
    r"filesystem://(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,127})/(?P<version>[0-9]{1,18})/"
    r"(?P<sha256>[0-9a-f]{64})\.(?P<suffix>[a-z0-9]{1,16})"
)


class FilesystemArtifactStore:
    """Artifacts under `root` (created on first write). `suffix` names the files (`onnx` by default)."""

    def __init__(self, root: str | os.PathLike[str], *, suffix: str = "onnx") -> None:
        if not _SUFFIX.fullmatch(suffix):
            raise InvalidValueError("suffix", suffix, "1 to 16 lower-case letters or digits, such as 'onnx'")
        self.root = Path(root)
        self.suffix = suffix

    def __repr__(self) -> str:
        return f"FilesystemArtifactStore(root={str(self.root)!r})"

    async def put(self, name: str, version: int, data: bytes) -> tuple[str, str]:
        """Store `data` atomically; return its URI and sha256. The same bytes again return the same URI."""
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidValueError(
                "name",
                name,
                "a model name of letters, digits, '.', '_' or '-' (not starting with '.' or '-')",
            )
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise InvalidValueError("version", version, "a whole number >= 0")
        blob = bytes(data)  # a bytearray could change while we write it
        sha256 = hashlib.sha256(blob).hexdigest()
        uri = f"{SCHEME}{name}/{version}/{sha256}.{self.suffix}"
        await asyncio.to_thread(self._write_once, uri, self.path(uri), blob, sha256)
        return uri, sha256

    async def get(self, uri: str, expected_sha256: str) -> bytes:
        """The bytes at `uri`; `IntegrityError` unless they hash to `expected_sha256`, `NotFoundError` if absent."""
        path = self.path(uri)
        try:
            blob = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise NotFoundError("artifact", uri) from None
        actual = hashlib.sha256(blob).hexdigest()
        if actual != expected_sha256:
            raise IntegrityError(uri, expected_sha256, actual)
        return blob

    async def delete(self, uri: str) -> None:
        """Remove the artifact (and its directories once empty); an artifact already gone is not an error."""
        await asyncio.to_thread(self._remove, self.path(uri))

    def path(self, uri: str) -> Path:
        """The file a URI of this store names; `InvalidValueError` for any other URI (no path can escape root)."""
        match = _URI.fullmatch(uri) if isinstance(uri, str) else None
        if match is None:
            raise InvalidValueError(
                "uri", uri, f"{SCHEME}<name>/<version>/<sha256>.<suffix>, as put() returned it"
            )
        return self.root / match["name"] / match["version"] / f"{match['sha256']}.{match['suffix']}"

    @staticmethod
    def _write_once(uri: str, path: Path, blob: bytes, sha256: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            _check_existing(uri, path, sha256)
            return
        temporary = path.parent / f".tmp-{uuid.uuid4().hex}"
        try:
            with open(temporary, "xb") as handle:
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:  # a concurrent writer won the race; its file must hold the same bytes
                _check_existing(uri, path, sha256)
                return
            _fsync_directory(path.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()

    def _remove(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        for directory in (path.parent, path.parent.parent):
            if directory == self.root:
                break
            try:
                directory.rmdir()
            except OSError:  # not empty (other versions or files), or already gone
                break


def _check_existing(uri: str, path: Path, sha256: str) -> None:
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != sha256:
        raise IntegrityError(uri, sha256, actual)


def _fsync_directory(directory: Path) -> None:
    """Make the new directory entry durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
