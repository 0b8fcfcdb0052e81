"""`KrakenSimulator`: one aiohttp server speaking Kraken's REST API and WebSocket v2, public and
authenticated, on one port, over the memory matching engine.

    async with KrakenSimulator(api_key=KEY, api_secret=SECRET, balances={"USD": 10_000}) as sim:
        sim.market.seed_book("BTC/USD")
        ...  # point a client at sim.rest_url, sim.ws_url and sim.ws_auth_url
        assert sim.truth().balances["USD"] > 0
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import TracebackType

from aiohttp import web

from galfriday.adapters.memory.clock import SystemClock
from galfriday.ports.clock import Clock
from galfriday.testing.kraken_simulator.catalog import Catalog
from galfriday.testing.kraken_simulator.chaos import Chaos
from galfriday.testing.kraken_simulator.ids import IdFactory
from galfriday.testing.kraken_simulator.market import Market
from galfriday.testing.kraken_simulator.ratelimit import TIERS, RateTier, RestRateLimiter
from galfriday.testing.kraken_simulator.rest_api import RestApi
from galfriday.testing.kraken_simulator.state import SimulatorState
from galfriday.testing.kraken_simulator.truth import AccountTruth, account_truth
from galfriday.testing.kraken_simulator.ws_api import WsApi

DEFAULT_ACCOUNT = "default"
WS_PATH = "/v2"
WS_AUTH_PATH = "/v2-auth"
WS_AUTH_ALIAS = "/auth/v2"
"""The authenticated endpoint again, for clients that append `/v2` to a base URL (`ws://host:port/auth`)."""
TICK_SECONDS = 0.05
"""How often dead-man's switches and good-till-date expiries are checked."""


def new_secret() -> str:
    """A random API secret in Kraken's form: base64 of 64 bytes."""
    return base64.b64encode(os.urandom(64)).decode()


class KrakenSimulator:
    """A protocol-faithful Kraken for tests and local runs; see the package docstring for the details."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        balances: Mapping[str, Decimal | int | str] | None = None,
        pairs: Sequence[str] | None = None,
        clock: Clock | None = None,
        seed: int | None = 0,
        rate_tier: str | RateTier | None = "intermediate",
        token_ttl: int = 900,
        heartbeat_interval: float = 1.0,
        idle_timeout: float | None = 60.0,
        maker_fee: Decimal = Decimal("0.0016"),
        taker_fee: Decimal = Decimal("0.0026"),
        max_open_orders: int | None = None,
    ) -> None:
        tier = TIERS[rate_tier] if isinstance(rate_tier, str) else rate_tier
        self.clock: Clock = clock or SystemClock()
        self.catalog = Catalog(pairs)
        self.state = SimulatorState(
            catalog=self.catalog,
            clock=self.clock,
            ids=IdFactory(seed),
            maker_fee=maker_fee,
            taker_fee=taker_fee,
            token_ttl=token_ttl,
            max_open_orders=max_open_orders,
        )
        self.limiter = RestRateLimiter(tier)
        self.ws = WsApi(self.state, heartbeat_interval=heartbeat_interval, idle_timeout=idle_timeout)
        self.rest = RestApi(self.state, self.ws.chaos, self.limiter)
        self.market = Market(self.state, seed)
        self.app = self._application()
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None
        self._ticker: asyncio.Task[None] | None = None
        if api_key is not None:
            if api_secret is None:
                raise ValueError("api_key needs an api_secret (base64, as Kraken issues them)")
            self.add_account(DEFAULT_ACCOUNT, api_key, api_secret, balances or {})

    @property
    def chaos(self) -> Chaos:
        return self.ws.chaos

    def add_account(
        self, name: str, api_key: str, api_secret: str, balances: Mapping[str, Decimal | int | str] = {}
    ) -> None:
        """Another account, reachable with its own key; balances by asset (`USD`, `XBT` or `XXBT`)."""
        base64.b64decode(api_secret, validate=True)
        self.state.add_account(name, api_key, api_secret, balances)

    def truth(self, account: str = DEFAULT_ACCOUNT) -> AccountTruth:
        """The simulator's authoritative orders, executions and balances of `account`, right now."""
        return account_truth(self.state, account)

    def deposit(self, asset: str, amount: Decimal | int | str, account: str = DEFAULT_ACCOUNT) -> None:
        """Credit an account (a `deposit` on the balances channel)."""
        self.state.deposit(account, asset, Decimal(amount))

    def set_system_status(self, status: str) -> None:
        """`online`, `maintenance`, `cancel_only` or `post_only`: SystemStatus, `status` and order entry."""
        self.state.set_system(status)

    # --- serving ------------------------------------------------------------------------------------

    def _application(self) -> web.Application:
        app = web.Application()

        async def public_ws(request: web.Request) -> web.StreamResponse:
            return await self.ws.handle(request, private=False)

        async def private_ws(request: web.Request) -> web.StreamResponse:
            return await self.ws.handle(request, private=True)

        app.router.add_route("GET", "/0/public/{method}", self.rest.public)
        app.router.add_route("POST", "/0/public/{method}", self.rest.public)
        app.router.add_route("*", "/0/private/{method}", self.rest.private)
        app.router.add_get(WS_PATH, public_ws)
        app.router.add_get(WS_AUTH_PATH, private_ws)
        app.router.add_get(WS_AUTH_ALIAS, private_ws)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on `host:port` (0 picks a free port); returns the bound port."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already started")
        runner = web.AppRunner(self.app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._host = host
        self._port = int(runner.addresses[0][1])
        self._ticker = asyncio.get_running_loop().create_task(self._tick())
        return self._port

    async def close(self) -> None:
        """Stop market activity, close every connection and stop listening."""
        await self.market.stop_activity()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            self.state.tick()

    async def __aenter__(self) -> KrakenSimulator:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the simulator is not started; await start() first")
        return self._port

    @property
    def rest_url(self) -> str:
        """Base URL for REST: append `/0/public/Time` and so on."""
        return f"http://{self._host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self._host}:{self.port}{WS_PATH}"

    @property
    def ws_auth_url(self) -> str:
        return f"ws://{self._host}:{self.port}{WS_AUTH_PATH}"
