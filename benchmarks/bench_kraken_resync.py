"""Kraken WebSocket v2 resync: how long from Kraken being reachable again to a `KrakenStream` fully resynced
(healthy: both connections up, every subscription acked, executions, balances and book snapshots received).

Against the Kraken simulator on loopback (private executions and balances with a fresh REST token; public
BTC/USD book and ticker), with the stream's default settings (backoff: immediate retry, then full jitter from
0.25 s doubling), except the connection budget (Kraken's ~150 attempts per IP per 10 minutes, which a run of
dozens of forced reconnects would use up by design; the simulator has no such limit):

- `kraken_resync_after_drop`: the server drops every connection (TCP abort, no close frame) and stays up; timed
  from the drop to healthy again.
- `kraken_resync_after_outage`: the server drops every connection and refuses handshakes for `--outage` s;
  timed from the moment it accepts again to healthy (what backoff still waits counts: that is the cost of not
  hammering a server that is down).

Baseline, in the same run against the same simulator: a bare client doing the minimum a resync needs, once:
fetch a token over REST, open both WebSockets with the `websockets` library, subscribe the same channels and
wait for the same snapshots. Figures: median and p99 in ms over `--repeats`; target < 1 s (the median).

    python benchmarks/bench_kraken_resync.py [--quick] [--repeats N] [--outage S]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import sys

import harness
from websockets.asyncio.client import ClientConnection, connect

from galfriday.adapters.kraken.rate_limit import RateTier
from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.adapters.kraken.stream import KrakenStream
from galfriday.adapters.kraken.ws_backoff import ConnectionBudget
from galfriday.config import Secret
from galfriday.domain.market_data import MarketChannel
from galfriday.testing.kraken_simulator import KrakenSimulator

KEY = "bench-api-key"
SECRET = base64.b64encode(b"bench-secret!!!!" * 4).decode()
SYMBOL = "BTC/USD"
UNTHROTTLED = RateTier("bench", 10_000, 10_000)


async def bare_resync(sim: KrakenSimulator, rest: KrakenRestClient) -> float:
    """Seconds for a bare client to get a token, connect both endpoints and receive every snapshot."""
    start = harness.clock()
    token = (await rest.get_websockets_token()).token.reveal()
    private, public = await asyncio.gather(
        connect(sim.ws_auth_url, ping_interval=None), connect(sim.ws_url, ping_interval=None)
    )
    try:
        await asyncio.gather(
            _subscribe_until_snapshots(
                private,
                [
                    {"channel": "executions", "token": token, "snap_orders": True, "snap_trades": True},
                    {"channel": "balances", "token": token, "snapshot": True},
                ],
                {"executions", "balances"},
            ),
            _subscribe_until_snapshots(
                public,
                [
                    {"channel": "book", "symbol": [SYMBOL], "depth": 10},
                    {"channel": "ticker", "symbol": [SYMBOL]},
                ],
                {"book"},
            ),
        )
        return harness.clock() - start
    finally:
        await asyncio.gather(private.close(), public.close())


async def _subscribe_until_snapshots(
    ws: ClientConnection, requests: list[dict[str, object]], wanted: set[str]
) -> None:
    for req_id, params in enumerate(requests, 1):
        await ws.send(json.dumps({"method": "subscribe", "req_id": req_id, "params": params}))
    missing = set(wanted)
    while missing:
        message = json.loads(await ws.recv())
        if message.get("type") == "snapshot":
            missing.discard(message.get("channel"))


async def until_unhealthy(stream: KrakenStream) -> None:
    """The drop is seen on the stream's next read."""
    while True:
        if not stream.health().healthy:
            return
        await asyncio.sleep(0.0005)


async def stream_resync(sim: KrakenSimulator, stream: KrakenStream, outage: float) -> float:
    """Seconds from the server being reachable again to the stream healthy."""
    await stream.wait_healthy(10)
    await asyncio.sleep(0.05)
    if outage:
        sim.chaos.refuse_connections(outage)
    sim.chaos.drop_connections()
    back = harness.clock() + outage
    await until_unhealthy(stream)
    await stream.wait_healthy(30)
    return harness.clock() - back


async def measure(repeats: int, outage: float) -> dict[str, list[float]]:
    logging.getLogger("galfriday").setLevel(logging.ERROR)
    sim = KrakenSimulator(
        api_key=KEY, api_secret=SECRET, balances={"USD": "100000", "BTC": "2"}, rate_tier=None
    )
    await sim.start()
    sim.market.seed_book(SYMBOL, levels=30)
    results: dict[str, list[float]] = {"bare": [], "drop": [], "outage": []}
    try:
        async with KrakenRestClient(sim.rest_url, Secret(KEY), Secret(SECRET), tier=UNTHROTTLED) as rest:
            budget = ConnectionBudget(
                limit=100_000
            )  # the simulator has no per-IP limit; Kraken's is kept apart
            stream = KrakenStream(sim.ws_url, sim.ws_auth_url, tokens=rest, pair_source=rest, budget=budget)
            async with stream:
                await stream.subscribe([SYMBOL], [MarketChannel.BOOK, MarketChannel.TICKER])
                drain = asyncio.get_running_loop().create_task(_drain(stream))
                await bare_resync(sim, rest)  # warm-up, untimed
                await stream_resync(sim, stream, 0.0)
                for repeat in range(repeats):
                    harness.progress(f"repeat {repeat + 1}/{repeats}")
                    results["bare"].append(await bare_resync(sim, rest))
                    results["drop"].append(await stream_resync(sim, stream, 0.0))
                    results["outage"].append(await stream_resync(sim, stream, outage))
                drain.cancel()
                harness.progress(f"stream counters: {stream.counters}")
    finally:
        await sim.close()
    return results


async def _drain(stream: KrakenStream) -> None:
    async for _ in stream.events():
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: finishes in well under a minute")
    parser.add_argument("--repeats", type=int, help="resyncs of each kind")
    parser.add_argument("--outage", type=float, default=0.5, help="seconds the server refuses handshakes")
    args = parser.parse_args()
    repeats = args.repeats or (4 if args.quick else 20)
    results = asyncio.run(measure(repeats, args.outage))
    bare = harness.Summary.of(results["bare"]).scaled(1000)
    report = harness.Report(f"Kraken WebSocket v2 resync ({'quick' if args.quick else 'full'} run)")
    for kind in ("drop", "outage"):
        ours = harness.Summary.of(results[kind]).scaled(1000)
        detail = harness.latency_detail(ours, bare, scale=1.0)
        target = harness.Target.value_below(1000, "ms")
        report.add(
            harness.figure(
                f"kraken_resync_after_{kind}",
                ours.p50,
                "ms",
                "bare_connect_subscribe",
                bare.p50,
                target,
                detail,
            )
        )
        report.add(
            harness.figure(
                f"kraken_resync_after_{kind}_p99",
                ours.p99,
                "ms",
                "bare_connect_subscribe",
                bare.p99,
                None,
                detail,
            )
        )
    report.note(
        f"{repeats} resyncs of each kind; outage {args.outage:g} s; simulator in the same process; "
        f"Python {sys.version.split()[0]}"
    )
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))
