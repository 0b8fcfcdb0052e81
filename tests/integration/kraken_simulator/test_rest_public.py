"""Public REST endpoints answer in Kraken's documented shapes, with Kraken's asset and pair names."""

from __future__ import annotations

import re
from decimal import Decimal

from kraken_sim_clients import Rest

from galfriday.testing.kraken_simulator import KrakenSimulator


async def test_time_gives_unixtime_and_rfc1123(rest: Rest) -> None:
    result = (await rest.public("Time"))["result"]
    assert isinstance(result["unixtime"], int)
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d\d \d\d:\d\d:\d\d \+0000", result["rfc1123"])


async def test_system_status_is_online_with_an_rfc3339_timestamp(rest: Rest) -> None:
    payload = await rest.public("SystemStatus")
    assert payload["error"] == []
    assert payload["result"]["status"] == "online"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", payload["result"]["timestamp"])


async def test_system_status_follows_the_simulator(sim: KrakenSimulator, rest: Rest) -> None:
    sim.set_system_status("cancel_only")
    assert (await rest.public("SystemStatus"))["result"]["status"] == "cancel_only"


async def test_assets_use_kraken_keys_and_altnames(rest: Rest) -> None:
    result = (await rest.public("Assets"))["result"]
    assert result["XXBT"] == {
        "aclass": "currency",
        "altname": "XBT",
        "decimals": 10,
        "display_decimals": 5,
        "collateral_value": 1,
        "status": "enabled",
    }
    assert result["ZUSD"]["altname"] == "USD"
    assert result["XXDG"]["altname"] == "XDG"


async def test_assets_can_be_asked_for_by_altname(rest: Rest) -> None:
    assert set((await rest.public("Assets", asset="XBT,USD"))["result"]) == {"XXBT", "ZUSD"}


async def test_an_unknown_asset_is_an_error(rest: Rest) -> None:
    assert await rest.public("Assets", asset="NOPE") == {"error": ["EQuery:Unknown asset"]}


async def test_asset_pairs_carry_kraken_names_and_precisions(rest: Rest) -> None:
    result = (await rest.public("AssetPairs"))["result"]
    btc = result["XXBTZUSD"]
    assert (btc["altname"], btc["wsname"], btc["base"], btc["quote"]) == ("XBTUSD", "XBT/USD", "XXBT", "ZUSD")
    assert (btc["pair_decimals"], btc["lot_decimals"], btc["cost_decimals"]) == (1, 8, 5)
    assert (btc["ordermin"], btc["costmin"], btc["tick_size"], btc["status"]) == (
        "0.0001",
        "0.5",
        "0.1",
        "online",
    )
    assert btc["fees"][0] == [0, Decimal("0.26")]
    assert btc["fees_maker"][0] == [0, Decimal("0.16")]


async def test_doge_trades_as_xdg(rest: Rest) -> None:
    doge = (await rest.public("AssetPairs"))["result"]["XDGUSD"]
    assert (doge["altname"], doge["wsname"], doge["base"], doge["pair_decimals"]) == (
        "XDGUSD",
        "XDG/USD",
        "XXDG",
        7,
    )


async def test_asset_pairs_accept_any_of_a_pairs_names(rest: Rest) -> None:
    result = (await rest.public("AssetPairs", pair="XBTUSD,XETHZUSD,XDG/USD,BTC/USD"))["result"]
    assert set(result) == {"XXBTZUSD", "XETHZUSD", "XDG/USD", "BTC/USD"}  # slash names key their own entry
    assert result["BTC/USD"]["altname"] == "XBTUSD"


async def test_asset_pairs_info_narrows_the_answer(rest: Rest) -> None:
    result = (await rest.public("AssetPairs", pair="XBTUSD", info="leverage"))["result"]
    assert result == {"XXBTZUSD": {"leverage_buy": [], "leverage_sell": []}}


async def test_an_unknown_pair_is_an_error(rest: Rest) -> None:
    assert await rest.public("AssetPairs", pair="NOPEUSD") == {"error": ["EQuery:Unknown asset pair"]}


async def test_depth_lists_levels_as_strings(sim: KrakenSimulator, rest: Rest) -> None:
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30001.0"), Decimal("0.5"))
    sim.market.add_liquidity("BTC/USD", "buy", Decimal("29999.0"), Decimal("0.25"))
    book = (await rest.public("Depth", pair="XBTUSD", count=1))["result"]["XXBTZUSD"]
    assert book["asks"][0][:2] == ["30001.0", "0.50000000"]
    assert book["bids"][0][:2] == ["29999.0", "0.25000000"]


async def test_ticker_reports_the_book_and_last_trade(sim: KrakenSimulator, rest: Rest) -> None:
    sim.market.add_liquidity("BTC/USD", "sell", Decimal("30001.0"), Decimal("1"))
    sim.market.trade("BTC/USD", "buy", Decimal("30001.0"), Decimal("0.4"))
    ticker = (await rest.public("Ticker", pair="XBTUSD"))["result"]["XXBTZUSD"]
    assert ticker["a"] == ["30001.0", "0", "0.600"]
    assert ticker["c"] == ["30001.0", "0.40000000"]
    assert ticker["t"] == [1, 1]
