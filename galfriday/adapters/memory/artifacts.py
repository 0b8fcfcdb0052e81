"""Artifact store in process memory, verifying sha256 on every read like the durable stores do."""

from __future__ import annotations

import hashlib

from galfriday.errors import IntegrityError, InvalidValueError, NotFoundError

SCHEME = "memory://"


class MemoryArtifactStore:
    """`ArtifactStore` keeping bytes in a dict keyed by `memory://<name>/<version>/<sha256 prefix>`.

    `tamper` overwrites stored bytes so tests can prove that corruption is caught on read.
    """

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    async def put(self, name: str, version: int, data: bytes) -> tuple[str, str]:
        """Store `data`; return its URI and sha256. Storing the same bytes again returns the same URI."""
        if not name or "/" in name:
            raise InvalidValueError("name", name, "a non-empty model name without '/'")
        blob = bytes(data)  # a bytearray could change under us
        sha256 = hashlib.sha256(blob).hexdigest()
        uri = f"{SCHEME}{name}/{version}/{sha256[:16]}"
        self._blobs[uri] = blob
        return uri, sha256

    async def get(self, uri: str, expected_sha256: str) -> bytes:
        """The bytes at `uri`; `IntegrityError` if they do not hash to `expected_sha256`."""
        blob = self._blob(uri)
        actual = hashlib.sha256(blob).hexdigest()
        if actual != expected_sha256:
            raise IntegrityError(uri, expected_sha256, actual)
        return blob

    async def delete(self, uri: str) -> None:
        """Remove the artifact; deleting one that is already gone is not an error (retention may race)."""
        self._blobs.pop(uri, None)

    def __contains__(self, uri: object) -> bool:
        return uri in self._blobs

    def tamper(self, uri: str, data: bytes) -> None:
        """Test hook: replace the stored bytes without updating anything else."""
        self._blob(uri)
        self._blobs[uri] = bytes(data)

    def _blob(self, uri: str) -> bytes:
        try:
            return self._blobs[uri]
        except KeyError:
            raise NotFoundError("artifact", uri) from None
