"""Identifiers in Kraken's shapes: txids `OQCLML-BW3P3-BUCMWZ`, trade ids `TCCCTY-WE2O6-P3NB37`, tokens.

Seeded, so that a run is reproducible, and unique within one simulator.
"""

from __future__ import annotations

import random
import string

_ALPHABET = string.ascii_uppercase + "234567"
_TOKEN_ALPHABET = string.ascii_letters + string.digits


class IdFactory:
    """Makes every id the simulator hands out."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._issued: set[str] = set()

    def txid(self, prefix: str) -> str:
        """`<prefix>XXXXX-XXXXX-XXXXXX`: 'O' for orders, 'T' for trades, 'L' for ledger entries."""
        while True:
            chars = "".join(self._random.choice(_ALPHABET) for _ in range(16))
            candidate = f"{prefix}{chars[:5]}-{chars[5:10]}-{chars[10:]}"
            if candidate not in self._issued:
                self._issued.add(candidate)
                return candidate

    def token(self) -> str:
        """A WebSocket token: 43 URL-safe characters, like Kraken's."""
        while True:
            candidate = "".join(self._random.choice(_TOKEN_ALPHABET) for _ in range(43))
            if candidate not in self._issued:
                self._issued.add(candidate)
                return candidate

    def connection_id(self) -> int:
        """A v2 `connection_id`: 64 bits, above 2**63 as Kraken's often are."""
        return (1 << 63) | self._random.getrandbits(63)
