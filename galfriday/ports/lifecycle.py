"""Adapters that hold resources start and close through this port; the app drives it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Lifecycle(Protocol):
    async def start(self) -> None:
        """Acquire resources (connections, pools, files). Called once, in dependency order."""

    async def close(self) -> None:
        """Release them. Called once, in reverse order, also after a failed start of a later adapter."""
