"""Public endpoints against the in-test server: documented answers become domain values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from kraken_rest_fake import error, kraken_fake, status

from galfriday.domain.instruments import TradingPair


async def test_time_is_kraken_s_clock_as_aware_utc() -> None:
    async with kraken_fake() as (_fake, client):
        assert await client.time() == datetime(2023, 7, 6, 18, 50, 48, tzinfo=UTC)


async def test_system_status() -> None:
    async with kraken_fake() as (_fake, client):
        status_ = await client.system_status()
        assert (status_.status, status_.timestamp) == ("online", datetime(2023, 7, 6, 18, 52, tzinfo=UTC))


async def test_assets_by_neutral_code() -> None:
    async with kraken_fake() as (_fake, client):
        codes = {asset.code for asset in await client.assets()}
        assert {"BTC", "DOGE", "ETH", "USD", "EUR", "BTC.F", "ETH2.S"} <= codes


async def test_asset_pairs_become_trading_pairs_with_kraken_s_precision() -> None:
    async with kraken_fake() as (_fake, client):
        pairs = {pair.symbol: pair for pair in await client.asset_pairs()}
        assert pairs["BTC/USD"] == TradingPair(
            symbol="BTC/USD", price_precision=1, quantity_precision=8, min_quantity=Decimal("0.0001")
        )
        assert "DOGE/USD" in pairs


async def test_public_calls_are_gets_without_credentials() -> None:
    async with kraken_fake() as (fake, client):
        await client.time()
        (call,) = fake.calls_to("Time")
        assert "API-Key" not in call.headers
        assert "API-Sign" not in call.headers
        assert call.headers["User-Agent"].startswith("galfriday")


async def test_names_are_loaded_once_and_refreshed_on_request() -> None:
    async with kraken_fake() as (fake, client):
        await client.balance()
        await client.open_orders()
        assert len(fake.calls_to("AssetPairs")) == 1
        await client.names(refresh=True)
        assert len(fake.calls_to("AssetPairs")) == 2


async def test_a_public_read_is_retried_after_a_bad_gateway_and_a_busy_service() -> None:
    async with kraken_fake() as (fake, client):
        fake.queue("Time", status(502), error("EService:Busy"))
        assert await client.time() == datetime(2023, 7, 6, 18, 50, 48, tzinfo=UTC)
        assert len(fake.calls_to("Time")) == 3
