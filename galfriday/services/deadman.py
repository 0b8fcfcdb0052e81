"""The dead-man's switch: keep the exchange's cancel-all-after timer armed while we have live orders.

If this process hangs, loses its network or dies, the exchange cancels every order once `timeout` seconds
pass without a re-arm. While the store lists non-terminal orders of ours, the switch is re-armed every
`timeout * rearm_fraction` seconds (15 s for the default 60 s); once none are left it is disarmed (0), once.
`poke()` re-checks at once, so an app can arm the switch right before it places an order. A failed call
(`OutcomeUnknownError`, rate limit, outage) is retried with backoff and logged as an error; if every retry
fails the switch may fire, which is logged as critical, and the next round tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime

from galfriday.errors import ExchangeError, InvalidValueError
from galfriday.ports.clock import Clock
from galfriday.ports.exchange import ExchangeAccount
from galfriday.ports.stores import Store

__all__ = ["DeadMansSwitch"]

log = logging.getLogger(__name__)


class DeadMansSwitch:
    """Arms `cancel_all_after(timeout)` while live orders exist; disarms it when none remain."""

    def __init__(
        self,
        account: ExchangeAccount,
        store: Store,
        clock: Clock,
        *,
        timeout: int = 60,
        rearm_fraction: float = 0.25,
        retry_delays: Sequence[float] = (0.5, 1.0, 2.0, 4.0),
        enabled: bool = True,
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout < 86400:
            raise InvalidValueError("timeout", timeout, "whole seconds from 1 to 86399")
        if not 0 < rearm_fraction < 1:
            raise InvalidValueError("rearm_fraction", rearm_fraction, "a fraction above 0 and below 1")
        self._account = account
        self._store = store
        self._clock = clock
        self.timeout = timeout
        self.interval = timeout * rearm_fraction
        self._retry_delays = tuple(retry_delays)
        self.enabled = enabled
        self._armed: bool | None = None
        """True once armed, False once disarmed, None before the first answer (state on the exchange unknown)."""
        self.fires_at: datetime | None = None
        self.failures = 0
        """Rounds in which every attempt failed."""
        self._poked = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        if not self.enabled:
            log.info("dead-man's switch disabled by configuration")
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        """Stop re-arming. An armed switch stays armed: if our orders are still live, it will cancel them."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def poke(self) -> None:
        """Check now rather than at the next interval (call it when an order is about to be placed)."""
        self._poked.set()

    # --- one round -----------------------------------------------------------------------------------

    async def step(self) -> datetime | None:
        """Arm if live orders exist, disarm if none remain (and it may be armed); when it fires, or None."""
        if not self.enabled:
            return None
        async with self._store.unit_of_work() as uow:
            live = len(await uow.orders.list_open())
        if live:
            succeeded, fires_at = await self._call(self.timeout, f"{live} live order(s)")
            if succeeded:
                self._armed, self.fires_at = True, fires_at
        elif self._armed is not False:
            succeeded, _ = await self._call(0, "no live orders")
            if succeeded:
                self._armed, self.fires_at = False, None
        return self.fires_at

    async def _call(self, seconds: int, why: str) -> tuple[bool, datetime | None]:
        """Call cancel_all_after with retries: whether it succeeded, and when the switch fires."""
        what = f"arm for {seconds}s" if seconds else "disarm"
        attempts = len(self._retry_delays) + 1
        for attempt in range(1, attempts + 1):
            try:
                fires_at = await self._account.cancel_all_after(seconds)
            except ExchangeError as exc:
                log.error(
                    "dead-man's switch: %s (%s) failed, attempt %d of %d: %s: %s",
                    what,
                    why,
                    attempt,
                    attempts,
                    type(exc).__name__,
                    exc,
                )
                if attempt < attempts:
                    await self._clock.sleep(self._retry_delays[attempt - 1])
                continue
            if attempt > 1:
                log.warning("dead-man's switch: %s succeeded on attempt %d", what, attempt)
            self.failures = 0
            return True, fires_at
        self.failures += 1
        log.critical(
            "dead-man's switch: could not %s after %d attempts (round %d in a row); %s",
            what,
            attempts,
            self.failures,
            f"it may fire at {self.fires_at.isoformat()} and cancel every order"
            if seconds and self.fires_at is not None
            else "its state on the exchange is unknown",
        )
        return False, None

    async def _run(self) -> None:
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # the switch must keep running whatever one round met
                log.exception("dead-man's switch round failed")
            await self._wait()

    async def _wait(self) -> None:
        self._poked.clear()
        poked = asyncio.ensure_future(self._poked.wait())
        slept = asyncio.ensure_future(self._clock.sleep(self.interval))
        try:
            await asyncio.wait((poked, slept), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (poked, slept):
                task.cancel()
