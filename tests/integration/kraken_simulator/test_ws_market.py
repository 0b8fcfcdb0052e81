"""Public channels: `book` snapshots and updates whose checksums verify with the adapter's `book_checksum`
on a book the client maintains, `ticker`, `trade`, `ohlc` and `instrument`."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from kraken_sim_clients import Message, Ws

from galfriday.adapters.kraken.checksum import book_checksum
from galfriday.domain.executions import OrderSide
from galfriday.testing.kraken_simulator import KrakenSimulator

PRECISIONS = {"BTC/USD": (1, 8), "ETH/USD": (2, 8), "DOGE/USD": (7, 8)}


class ClientBook:
    """What a client keeps: apply levels in order, drop zeros, truncate to depth, verify the checksum."""

    def __init__(self, symbol: str, depth: int) -> None:
        self.symbol = symbol
        self.depth = depth
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}

    def apply(self, message: Message) -> bool:
        (entry,) = message["data"]
        if message["type"] == "snapshot":
            self.bids, self.asks = {}, {}
        for side, levels in ((self.bids, entry["bids"]), (self.asks, entry["asks"])):
            for level in levels:
                if level["qty"] == 0:
                    side.pop(level["price"], None)
                else:
                    side[level["price"]] = level["qty"]
        self.bids = dict(sorted(self.bids.items(), reverse=True)[: self.depth])
        self.asks = dict(sorted(self.asks.items())[: self.depth])
        return bool(self.checksum() == entry["checksum"])

    def checksum(self) -> int:
        price, qty = PRECISIONS[self.symbol]
        return book_checksum(self.asks.items(), self.bids.items(), price, qty)


async def book_messages(ws: Ws) -> list[Message]:
    return [m for m in await ws.quiet(0.3) if m.get("channel") == "book"]


@pytest.mark.parametrize(("symbol", "depth"), [("BTC/USD", 10), ("DOGE/USD", 25), ("ETH/USD", 100)])
async def test_every_book_checksum_verifies_on_the_clients_book(
    sim: KrakenSimulator, public_ws: Ws, symbol: str, depth: int
) -> None:
    sim.market.seed_book(symbol, levels=40)
    await public_ws.subscribe({"channel": "book", "symbol": [symbol], "depth": depth})
    book = ClientBook(symbol, depth)
    snapshot = await public_ws.until(lambda m: m.get("channel") == "book")
    assert snapshot["type"] == "snapshot"
    assert len(snapshot["data"][0]["bids"]) == min(depth, 40)
    assert book.apply(snapshot)
    for _ in range(300):
        sim.market.step()
    updates = await book_messages(public_ws)
    assert len(updates) > 50
    assert all(book.apply(update) for update in updates)
    engine = sim.state.engine.book(symbol)
    assert list(book.bids.items()) == engine.levels(OrderSide.BUY)[:depth]
    assert list(book.asks.items()) == engine.levels(OrderSide.SELL)[:depth]


async def test_book_numbers_are_exact_json_numbers_without_padding(
    sim: KrakenSimulator, public_ws: Ws
) -> None:
    sim.market.add_liquidity("BTC/USD", "buy", Decimal("29000.0"), Decimal("4.00000000"))
    await public_ws.subscribe({"channel": "book", "symbol": ["BTC/USD"]})
    raw = await public_ws.connection.recv()
    assert '"bids":[{"price":29000.0,"qty":4.0}]' in str(raw)


async def test_book_updates_carry_a_timestamp_and_removed_levels_as_zero(
    sim: KrakenSimulator, public_ws: Ws
) -> None:
    order_id = sim.market.add_liquidity("BTC/USD", "sell", Decimal("30000.5"), Decimal("1"))
    await public_ws.subscribe({"channel": "book", "symbol": ["BTC/USD"]})
    await public_ws.until(lambda m: m.get("type") == "snapshot")
    sim.market.cancel(order_id)
    update = await public_ws.until(lambda m: m.get("channel") == "book")
    (entry,) = update["data"]
    assert entry["asks"] == [{"price": Decimal("30000.5"), "qty": Decimal("0.0")}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", entry["timestamp"])


async def test_ticker_snapshot_then_updates_on_trades(sim: KrakenSimulator, public_ws: Ws) -> None:
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30001.0"), Decimal("2"))
    sim.market.add_liquidity("BTC/USD", "buy", Decimal("29999.0"), Decimal("1"))
    ack = await public_ws.subscribe({"channel": "ticker", "symbol": ["BTC/USD"]})
    assert ack["result"] == {
        "channel": "ticker",
        "event_trigger": "trades",
        "snapshot": True,
        "symbol": "BTC/USD",
    }
    snapshot = await public_ws.until(lambda m: m.get("channel") == "ticker")
    (data,) = snapshot["data"]
    assert (data["bid"], data["ask"], data["ask_qty"], data["last"]) == (
        Decimal("29999.0"),
        Decimal("30001.0"),
        Decimal("2.0"),
        Decimal("0.0"),
    )
    assert set(data) >= {"volume", "vwap", "low", "high", "change", "change_pct", "timestamp"}
    sim.market.trade("BTC/USD", "buy", Decimal("30001.0"), Decimal("0.5"))
    update = await public_ws.until(lambda m: m.get("channel") == "ticker")
    assert (update["type"], update["data"][0]["last"], update["data"][0]["volume"]) == (
        "update",
        Decimal("30001.0"),
        Decimal("0.5"),
    )


async def test_a_bbo_ticker_follows_the_best_prices(sim: KrakenSimulator, public_ws: Ws) -> None:
    await public_ws.subscribe({"channel": "ticker", "symbol": ["BTC/USD"], "event_trigger": "bbo"})
    await public_ws.until(lambda m: m.get("channel") == "ticker")
    sim.market.add_liquidity("BTC/USD", "buy", Decimal("29000.0"), Decimal("1"))
    update = await public_ws.until(lambda m: m.get("channel") == "ticker")
    assert update["data"][0]["bid"] == Decimal("29000.0")


async def test_trade_snapshot_is_the_last_fifty_and_updates_follow(
    sim: KrakenSimulator, public_ws: Ws
) -> None:
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30000.0"), Decimal("10"))
    for _ in range(55):
        sim.market.trade("BTC/USD", "buy", Decimal("30000.0"), Decimal("0.001"))
    await public_ws.subscribe({"channel": "trade", "symbol": ["BTC/USD"]})
    snapshot = await public_ws.until(lambda m: m.get("channel") == "trade")
    assert [t["trade_id"] for t in snapshot["data"]] == list(range(6, 56))
    sim.market.trade("BTC/USD", "buy", Decimal("30000.0"), Decimal("0.002"))
    update = await public_ws.until(lambda m: m.get("channel") == "trade")
    assert update["data"] == [
        {
            "symbol": "BTC/USD",
            "side": "buy",
            "price": Decimal("30000.0"),
            "qty": Decimal("0.002"),
            "ord_type": "limit",
            "trade_id": 56,
            "timestamp": update["data"][0]["timestamp"],
        }
    ]


async def test_ohlc_snapshot_and_updates(sim: KrakenSimulator, public_ws: Ws) -> None:
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30000.0"), Decimal("10"))
    sim.market.trade("BTC/USD", "buy", Decimal("30000.0"), Decimal("0.1"))
    ack = await public_ws.subscribe({"channel": "ohlc", "symbol": ["BTC/USD"], "interval": 5})
    assert ack["result"]["interval"] == 5
    assert ack["result"]["warnings"] == ["timestamp is deprecated, use interval_begin"]
    snapshot = await public_ws.until(lambda m: m.get("channel") == "ohlc")
    (candle,) = snapshot["data"]
    assert (candle["open"], candle["close"], candle["volume"], candle["trades"], candle["interval"]) == (
        Decimal("30000.0"),
        Decimal("30000.0"),
        Decimal("0.1"),
        1,
        5,
    )
    assert candle["interval_begin"].endswith("000Z")
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30010.0"), Decimal("1"))
    sim.market.trade("BTC/USD", "buy", Decimal("30010.0"), Decimal("0.2"))
    update = await public_ws.until(lambda m: m.get("channel") == "ohlc")
    assert update["type"] == "update"
    assert "timestamp" in update


async def test_an_unsupported_ohlc_interval_is_refused(public_ws: Ws) -> None:
    ack = await public_ws.subscribe({"channel": "ohlc", "symbol": ["BTC/USD"], "interval": 7})
    assert ack["success"] is False


async def test_instrument_snapshot_lists_pairs_with_v2_names_and_precisions(public_ws: Ws) -> None:
    ack = await public_ws.subscribe({"channel": "instrument"})
    assert ack["result"]["warnings"] == ["tick_size is deprecated, use price_increment"]
    snapshot = await public_ws.until(lambda m: m.get("channel") == "instrument")
    pairs = {p["symbol"]: p for p in snapshot["data"]["pairs"]}
    assert set(pairs) == {"BTC/USD", "ETH/USD", "DOGE/USD"}
    assert (pairs["BTC/USD"]["price_precision"], pairs["BTC/USD"]["qty_precision"]) == (1, 8)
    assert pairs["DOGE/USD"]["price_increment"] == Decimal("0.0000001")
    assert {a["id"] for a in snapshot["data"]["assets"]} == {"BTC", "ETH", "DOGE", "USD"}
