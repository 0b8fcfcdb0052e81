"""Per-API-key nonces: strictly increasing across every task and thread of the process.

Kraken requires each nonce of a key to exceed the last one it saw. A nonce is `max(last + 1, time_ns())`, so
it follows the wall clock in nanoseconds (an unsigned 64-bit value until the year 2554) and still increases if
the clock stalls or steps back. One `NonceSource` per key is shared through `nonce_source_for`, whose registry
is keyed by a SHA-256 digest of the key, never by the key itself.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from galfriday.config import Secret

__all__ = ["NonceSource", "key_fingerprint", "nonce_source_for"]


class NonceSource:
    """A strictly increasing nonce counter; `next()` is safe from any thread or task."""

    __slots__ = ("_last", "_lock", "_time_ns")

    def __init__(self, *, time_ns: Callable[[], int] = time.time_ns, start: int = 0) -> None:
        self._time_ns = time_ns
        self._last = start
        self._lock = threading.Lock()

    def next(self) -> int:
        """A nonce greater than every nonce returned before."""
        with self._lock:
            self._last = max(self._last + 1, self._time_ns())
            return self._last

    def advance_past(self, nonce: int) -> None:
        """Make every later nonce exceed `nonce` (for example one another process is known to have used)."""
        with self._lock:
            self._last = max(self._last, nonce)

    @property
    def last(self) -> int:
        return self._last

    def __repr__(self) -> str:
        return f"NonceSource(last={self._last})"


def key_fingerprint(api_key: Secret | str) -> str:
    """A SHA-256 hex digest naming a key without revealing it."""
    raw = api_key.reveal() if isinstance(api_key, Secret) else api_key
    return hashlib.sha256(raw.encode()).hexdigest()


_registry: dict[str, NonceSource] = {}
_registry_lock = threading.Lock()


def nonce_source_for(api_key: Secret | str) -> NonceSource:
    """The process-wide nonce source of this API key (created on first use)."""
    fingerprint = key_fingerprint(api_key)
    with _registry_lock:
        source = _registry.get(fingerprint)
        if source is None:
            source = _registry[fingerprint] = NonceSource()
        return source
