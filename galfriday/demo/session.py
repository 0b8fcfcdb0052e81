"""One demo run's moving parts: the Kraken simulator, the app built from the demo's configuration, and the
runtime `galfriday run` keeps running on it, started in this process and stopped in the same order.

`running_demo` is `galfriday.runtime.process.serve` with handles: the scenario steps reach the simulator (its
market, chaos hooks and truth) and the runtime's services (stream recovery, reconciliation, predictions).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import attrs

from galfriday.adapters.sql import migrations
from galfriday.app import App
from galfriday.config import Config
from galfriday.db_commands import store_target
from galfriday.demo.configuration import MODEL_NAME, SYMBOL, SimulatorEndpoints, demo_config
from galfriday.domain.executions import Execution
from galfriday.domain.orders import Order
from galfriday.domain.timestamps import EPOCH
from galfriday.errors import GalfridayError
from galfriday.ports.stores import Store
from galfriday.runtime.process import Runtime, ShutdownReport
from galfriday.testing.kraken_simulator import KrakenSimulator, new_secret

API_KEY = "galfriday-demo"
BALANCES = {"USD": Decimal("100000"), "BTC": Decimal("2")}
SIMULATOR_SEED = 7
WAIT_SECONDS = 60.0
POLL_SECONDS = 0.05


class DemoFailedError(GalfridayError):
    """A demo step did not reach the state it waits for, or a final check found the store wrong."""


@attrs.define
class DemoSession:
    """The simulator, the started app and its runtime; `shutdown` once the runtime has stopped."""

    simulator: KrakenSimulator
    app: App
    runtime: Runtime
    workdir: Path
    shutdown: ShutdownReport | None = None

    @property
    def config(self) -> Config:
        return self.app.config

    def now(self) -> datetime:
        now: datetime = self.app.clock.now()
        return now


async def until(condition: Callable[[], Awaitable[bool]], what: str, within: float = WAIT_SECONDS) -> float:
    """Wait until `condition()` holds; return the seconds it took. `DemoFailedError` naming `what` if it never does."""
    started = time.monotonic()
    while not await condition():
        if time.monotonic() - started > within:
            raise DemoFailedError(f"gave up after {within:.0f} s waiting until {what}")
        await asyncio.sleep(POLL_SECONDS)
    return time.monotonic() - started


def simulator() -> KrakenSimulator:
    """A simulated Kraken with one funded account; seeded, so order and trade ids repeat run after run."""
    return KrakenSimulator(
        api_key=API_KEY,
        api_secret=new_secret(),
        balances=BALANCES,
        pairs=[SYMBOL],
        seed=SIMULATOR_SEED,
        rate_tier=None,
    )


def endpoints(sim: KrakenSimulator) -> SimulatorEndpoints:
    account = sim.state.account("default")
    return SimulatorEndpoints(sim.rest_url, sim.ws_url, sim.ws_auth_url, account.api_key, account.api_secret)


async def migrate_store(config: Config) -> list[str]:
    """Apply pending migrations (what `galfriday db migrate` does); the memory store has none."""
    if config.store.adapter not in migrations.BACKENDS:
        return []
    backend, dsn = store_target(config)
    return await asyncio.to_thread(migrations.migrate, backend, dsn)


async def require_empty(store: Store) -> None:
    """The demo compares the store with a fresh simulator, so it needs a store without orders or demo models."""
    async with store.unit_of_work() as uow:
        orders = await uow.orders.list_updated_since(EPOCH)
        models = await uow.models.versions(MODEL_NAME)
    if orders or models:
        raise DemoFailedError(
            f"the store already holds {len(orders)} orders and {len(models)} versions of {MODEL_NAME}; "
            "the demo needs an empty store: point GALFRIDAY_STORE_DSN at a new database"
        )


async def reopened(config: Config) -> tuple[list[Order], list[Execution]]:
    """Every order and fill of the store, read by a new app on the same configuration (as after a restart)."""
    async with App.from_config(config, kinds=("store",)) as app, app.store.unit_of_work() as uow:
        return await uow.orders.list_updated_since(EPOCH), await uow.executions.since(EPOCH)


@asynccontextmanager
async def running_demo(user: Config, workdir: Path) -> AsyncIterator[DemoSession]:
    """Start the simulator, then the app and its runtime on the demo's configuration; stop them in reverse."""
    sim = simulator()
    await sim.start()
    try:
        config = demo_config(user, endpoints(sim), workdir)
        await migrate_store(config)
        async with App.from_config(config) as app:
            trainer = app.trainer
            if getattr(trainer, "store", False) is None:
                trainer.store = app.store  # the sklearn trainer reads its candles from the app's store
            await require_empty(app.store)
            runtime = Runtime(app)
            await runtime.start()
            session = DemoSession(sim, app, runtime, workdir)
            try:
                yield session
            finally:
                session.shutdown = await runtime.stop(config.runtime.shutdown_timeout_seconds)
    finally:
        await sim.close()
