"""The shape of a supervised component: something that runs until asked to stop."""

from __future__ import annotations

from typing import Protocol


class Component(Protocol):
    """A long-running part of `galfriday run`.

    `run()` works until `stop()` asks it to finish; returning before that, or raising, counts as a crash and
    the supervisor starts `run()` again after a backoff. `run()` may be called again on the same instance, so
    state that must survive a crash (a queue of accepted events) lives on the instance.
    """

    @property
    def name(self) -> str: ...

    async def run(self) -> None: ...

    async def stop(self) -> None:
        """Ask `run()` to finish what it has accepted and return; must not block for long."""
        ...
