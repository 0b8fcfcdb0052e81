"""Kraken names ↔ neutral names, built from Assets and AssetPairs answers (spec B.1, B.2)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from galfriday.adapters.kraken.naming import KrakenNames, normalise_asset, split_variant
from galfriday.domain.instruments import TradingPair
from galfriday.errors import InvalidValueError

SAMPLES: dict[str, Any] = json.loads((Path(__file__).parent / "kraken_rest_samples.json").read_text())


def names(assets: str = "assets_constructed", pairs: str = "asset_pairs_constructed") -> KrakenNames:
    return KrakenNames.from_responses(SAMPLES[assets]["result"], SAMPLES[pairs]["result"])


def test_the_documented_asset_pairs_sample_gives_btc_usd_with_its_precision() -> None:
    documented = names("assets", "asset_pairs")
    pair = documented.pair("BTC/USD")
    assert (pair.key, pair.altname, pair.wsname, pair.base, pair.quote) == (
        "XXBTZUSD",
        "XBTUSD",
        "XBT/USD",
        "XXBT",
        "ZUSD",
    )
    assert pair.trading_pair() == TradingPair(
        symbol="BTC/USD", price_precision=1, quantity_precision=8, min_quantity=Decimal("0.0001")
    )
    assert (pair.costmin, pair.tick_size, pair.status) == (Decimal("0.5"), Decimal("0.1"), "online")
    assert documented.trading_pairs() == [pair.trading_pair()]


@pytest.mark.parametrize("name", ["BTC/USD", "XXBTZUSD", "XBTUSD", "XBT/USD"])
def test_every_kraken_name_of_a_pair_gives_the_neutral_symbol(name: str) -> None:
    assert names().symbol(name) == "BTC/USD"
    assert names().ws_symbol(name) == "BTC/USD"


def test_neutral_symbols_map_back_to_rest_key_and_altname() -> None:
    kraken = names()
    assert kraken.rest_pair("BTC/USD") == "XXBTZUSD"
    assert kraken.altname("BTC/USD") == "XBTUSD"
    assert kraken.rest_pair("DOGE/USD") == "XDGUSD"
    assert kraken.rest_pair("BTC/USDT") == "XBTUSDT"


@pytest.mark.parametrize("name", ["XDGUSD", "XDG/USD", "DOGE/USD"])
def test_xdg_is_doge(name: str) -> None:
    assert names().symbol(name) == "DOGE/USD"


@pytest.mark.parametrize(
    ("code", "neutral"),
    [
        ("XXBT", "BTC"),
        ("XBT", "BTC"),
        ("XXDG", "DOGE"),
        ("XDG", "DOGE"),
        ("XETH", "ETH"),
        ("ZUSD", "USD"),
        ("ZEUR", "EUR"),
        ("USDT", "USDT"),
        ("SOL", "SOL"),
        ("XTZ", "XTZ"),
    ],
)
def test_assets_normalise_from_the_assets_answer(code: str, neutral: str) -> None:
    assert names().asset(code) == neutral


@pytest.mark.parametrize(
    ("code", "neutral"),
    [("XBT.F", "BTC.F"), ("ETH2.S", "ETH2.S"), ("USD.M", "USD.M"), ("XXBT.M", "BTC.M"), ("SOL.S", "SOL.S")],
)
def test_staking_and_rewards_variants_keep_their_suffix_on_the_neutral_base(code: str, neutral: str) -> None:
    assert names().asset(code) == neutral


def test_split_variant_separates_the_suffix() -> None:
    assert split_variant("ETH2.S") == ("ETH2", ".S")
    assert split_variant("XXBT") == ("XXBT", "")


def test_codes_that_merely_start_with_x_or_z_are_not_stripped() -> None:
    assert normalise_asset("XTZ") == "XTZ"
    assert normalise_asset("ZEC") == "ZEC"
    assert normalise_asset("XCN") == "XCN"


def test_without_the_assets_answer_the_fallback_table_covers_legacy_codes() -> None:
    kraken = KrakenNames.from_responses(None, SAMPLES["asset_pairs_constructed"]["result"])
    assert kraken.symbol("XDGUSD") == "DOGE/USD"
    assert kraken.symbol("XETHZUSD") == "ETH/USD"
    assert kraken.asset("XXBT") == "BTC"


def test_neutral_assets_map_back_to_kraken_codes() -> None:
    kraken = names()
    assert kraken.kraken_asset("BTC") == "XXBT"
    assert kraken.kraken_asset("DOGE") == "XXDG"
    assert kraken.kraken_asset("USD") == "ZUSD"
    assert kraken.kraken_asset("SOL") == "SOL"
    assert KrakenNames({}, []).kraken_asset("ETH") == "XETH"


def test_a_pair_asset_pairs_no_longer_lists_is_split_by_its_quote() -> None:
    kraken = names()
    assert kraken.symbol("XBTGBP") == "BTC/GBP"
    assert kraken.symbol("LTCUSDT") == "LTC/USDT"
    assert kraken.symbol("XXBTZEUR") == "BTC/EUR"


def test_an_unknown_pair_that_cannot_be_split_is_refused_by_name() -> None:
    with pytest.raises(InvalidValueError, match="NOPE"):
        names().symbol("NOPE")
    with pytest.raises(InvalidValueError, match="SHIB/USD"):
        names().pair("SHIB/USD")


def test_pairs_whose_assets_are_not_valid_codes_are_skipped_not_fatal() -> None:
    pairs = dict(SAMPLES["asset_pairs_constructed"]["result"])
    pairs["AAPLxUSD"] = {**pairs["SOLEUR"], "altname": "AAPLxUSD", "base": "AAPLx", "quote": "ZUSD"}
    kraken = KrakenNames.from_responses(None, pairs)
    assert len(kraken.pairs) == len(pairs) - 1


def test_precision_of_every_pair_becomes_a_trading_pair() -> None:
    by_symbol = {pair.symbol: pair for pair in names().trading_pairs()}
    assert by_symbol["DOGE/USD"] == TradingPair(
        symbol="DOGE/USD", price_precision=7, quantity_precision=8, min_quantity=Decimal(50)
    )
    assert set(by_symbol) == {"BTC/USD", "DOGE/USD", "ETH/USD", "BTC/USDT", "XTZ/USD", "SOL/EUR"}
