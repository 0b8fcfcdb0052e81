"""Kraken WebSocket v2 latency on loopback: from the server's send of a book update to the event in the hands of
a `KrakenStream.events()` subscriber.

A websockets server in a subprocess (this script with `--serve`) speaks just enough Kraken v2: the `status`
greeting, acks, and on a `book` subscription the recorded BTC/USD stream (its snapshot, then its 509 updates,
cycled with a fresh snapshot, every checksum real), one update every `--interval` ms. It notes the monotonic
time (`time.perf_counter_ns`, CLOCK_MONOTONIC: the same clock in both processes) just before each send and
prints the list when done.

- ours: `KrakenStream` (parse, checksum-verified book upkeep, translation, the events queue), timed when the
  subscriber's `async for` receives the `BookReported`;
- baseline: a bare `websockets` client in the same run against the same server, timed when `recv()` returns
  the same frames (no parsing at all).

A first round each way is untimed; then latencies of the first `--warmup` updates of each connection are
dropped. Rounds alternate the baseline and ours. Figures: p50 and p99 in µs; target p99 < 1 ms.

    python benchmarks/bench_kraken_latency.py [--quick] [--frames N] [--rounds N] [--interval MS]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import harness
import orjson
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from galfriday.adapters.kraken.stream import KrakenStream, StreamSettings
from galfriday.domain.events import BookReported
from galfriday.domain.instruments import TradingPair
from galfriday.domain.market_data import MarketChannel

RECORDED_BOOK = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "kraken" / "book-v2-btcusd-recorded.json"
SYMBOL = "BTC/USD"
STATUS = orjson.dumps(
    {"channel": "status", "type": "update", "data": [{"system": "online", "api_version": "v2"}]}
)


# --- the server (a subprocess) -------------------------------------------------------------------------------


def recorded_frames() -> tuple[bytes, list[bytes]]:
    recorded = json.loads(RECORDED_BOOK.read_text())
    return orjson.dumps(recorded["init"]), [orjson.dumps(update) for update in recorded["updates"]]


async def serve_book(frames: int, interval: float) -> None:
    snapshot, updates = recorded_frames()

    async def send_updates(ws: ServerConnection) -> None:
        await ws.send(snapshot, text=True)
        await asyncio.sleep(0.05)
        sent: list[int] = []
        for index in range(frames):
            if index:
                await asyncio.sleep(interval)
            if index and index % len(updates) == 0:
                await ws.send(snapshot, text=True)  # the stream starts over: a fresh snapshot, not timed
                await asyncio.sleep(interval)
            frame = updates[index % len(updates)]
            sent.append(time.perf_counter_ns())
            await ws.send(frame, text=True)
        print(json.dumps({"sent": sent}), flush=True)

    async def handler(ws: ServerConnection) -> None:
        await ws.send(STATUS, text=True)
        senders: list[asyncio.Task[None]] = []
        try:
            async for text in ws:
                request = orjson.loads(text)
                method, req_id = request.get("method"), request.get("req_id")
                if method == "ping":
                    await ws.send(orjson.dumps({"method": "pong", "req_id": req_id}), text=True)
                    continue
                params = request.get("params", {})
                channel = params.get("channel")
                for symbol in params.get("symbol", [None]):
                    result: dict[str, Any] = {"channel": channel, "symbol": symbol}
                    if channel == "book":
                        result["depth"] = params.get("depth", 10)
                    ack = {"method": method, "req_id": req_id, "success": True, "result": result}
                    await ws.send(orjson.dumps(ack), text=True)
                if method == "subscribe" and channel == "book":
                    senders.append(asyncio.get_running_loop().create_task(send_updates(ws)))
        finally:
            for task in senders:
                task.cancel()

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        print(json.dumps({"port": port}), flush=True)
        await asyncio.Future()


# --- the clients ---------------------------------------------------------------------------------------------


class Server:
    """The server subprocess and the lines it prints."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port

    @classmethod
    async def start(cls, frames: int, interval_ms: float) -> Server:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--serve",
            "--frames",
            str(frames),
            "--interval",
            str(interval_ms),
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        port = json.loads(await process.stdout.readline())["port"]
        return cls(process, port)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v2"

    async def sent(self) -> list[int]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), 120)
        return list(json.loads(line)["sent"])

    async def stop(self) -> None:
        self.process.terminate()
        await self.process.wait()


async def through_stream(server: Server, frames: int) -> list[int]:
    """Receive times (ns) of the updates, as the subscriber of `KrakenStream.events()` gets them."""
    received: list[int] = []
    stream = KrakenStream(server.url, pairs=[TradingPair(SYMBOL, 1, 8)], settings=StreamSettings())
    async with stream:
        events = stream.events()
        await stream.subscribe([SYMBOL], [MarketChannel.BOOK])
        async for event in events:
            if type(event) is BookReported and not event.update.is_snapshot:
                received.append(time.perf_counter_ns())
                if len(received) == frames:
                    break
        assert stream.counters.checksum_mismatches == 0, "the recorded stream must verify"
    return received


async def through_bare_client(server: Server, frames: int) -> list[int]:
    """Receive times (ns) of the same updates at a bare websockets client's `recv()`, frames parsed only after."""
    stamps: list[tuple[int, str | bytes]] = []
    async with connect(server.url, ping_interval=None) as ws:
        await ws.recv()
        await ws.send(
            json.dumps(
                {"method": "subscribe", "req_id": 1, "params": {"channel": "book", "symbol": [SYMBOL]}}
            )
        )
        updates = 0
        while updates < frames:
            frame = await ws.recv()
            stamps.append((time.perf_counter_ns(), frame))
            if b'"type":"update"' in (frame if isinstance(frame, bytes) else frame.encode()):
                updates += 1
    return [at for at, frame in stamps if orjson.loads(frame).get("type") == "update"]


def latencies_us(sent: list[int], received: list[int], warmup: int) -> list[float]:
    if len(sent) != len(received):
        raise RuntimeError(f"{len(sent)} updates sent, {len(received)} received")
    return [(r - s) / 1000 for s, r in zip(sent[warmup:], received[warmup:], strict=True)]


async def measure(
    frames: int, rounds: int, warmup: int, interval_ms: float
) -> tuple[list[float], list[float]]:
    server = await Server.start(frames, interval_ms)
    ours: list[float] = []
    theirs: list[float] = []
    try:
        harness.progress("warm-up round, untimed")
        await through_bare_client(server, frames)
        await server.sent()
        await through_stream(server, frames)
        await server.sent()
        for round_ in range(rounds):
            harness.progress(f"round {round_ + 1}/{rounds}: {frames} updates each way")
            received = await through_bare_client(server, frames)
            theirs += latencies_us(await server.sent(), received, warmup)
            received = await through_stream(server, frames)
            ours += latencies_us(await server.sent(), received, warmup)
    finally:
        await server.stop()
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: finishes in well under a minute")
    parser.add_argument("--frames", type=int, help="book updates per connection")
    parser.add_argument("--rounds", type=int, help="connections each way (alternating)")
    parser.add_argument("--warmup", type=int, default=50, help="updates of each connection left untimed")
    parser.add_argument("--interval", type=float, default=1.0, help="ms between updates")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    frames = args.frames or (400 if args.quick else 2_000)
    if args.serve:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent ends the server with SIGTERM: no fuss
        asyncio.run(serve_book(frames, args.interval / 1000))
        return
    rounds = args.rounds or (2 if args.quick else 5)
    report = harness.Report(f"Kraken WebSocket v2 loopback latency ({'quick' if args.quick else 'full'} run)")
    ours, theirs = asyncio.run(measure(frames, rounds, args.warmup, args.interval))
    stream, bare = harness.Summary.of(ours), harness.Summary.of(theirs)
    detail = harness.latency_detail(stream, bare, scale=1.0, unit="µs")
    for name, value, baseline, target in (
        ("kraken_ws_latency_p50", stream.p50, bare.p50, None),
        ("kraken_ws_latency_p99", stream.p99, bare.p99, harness.Target.value_below(1000, "µs")),
    ):
        report.add(harness.figure(name, value, "µs", "bare_websockets_recv", baseline, target, detail))
    report.note(
        f"{len(ours):,} updates timed each way ({rounds} connections x {frames} - {args.warmup} warm-up), "
        f"one every {args.interval:g} ms; server in a subprocess; Python {sys.version.split()[0]}"
    )
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))
