"""Kraken messages become galfriday exchange events with the exact wire values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import kraken_frames as frames
import pytest
from hypothesis import given
from hypothesis import strategies as st

from galfriday.adapters.kraken.translation import (
    BalancesTranslator,
    ExecutionsTranslator,
    IncompleteOrderError,
    book_event,
    candle_event,
    default_asset_name,
    ticker_event,
    trade_event,
    trading_pairs,
)
from galfriday.adapters.kraken.trusted import (
    new_book_update,
    new_execution,
    new_execution_reported,
    new_order,
    new_order_reported,
)
from galfriday.adapters.kraken.ws_errors import KrakenTranslationError
from galfriday.adapters.kraken.ws_messages import (
    BalanceEntry,
    ExecutionReport,
    ExecutionsMessage,
    KrakenMessage,
    parse_message,
)
from galfriday.domain.events import BalanceReported, ExecutionReported, OrderReported
from galfriday.domain.executions import Execution, Liquidity, OrderSide
from galfriday.domain.instruments import TradingPair
from galfriday.domain.market_data import BookLevel, BookUpdate
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType, TimeInForce

D = Decimal
RECEIVED = datetime(2023, 9, 22, 10, 40, tzinfo=UTC)


def message(frame: str) -> Any:
    parsed: KrakenMessage = parse_message(frame)
    return parsed


def report(frame: str) -> ExecutionReport:
    parsed = message(frame)
    assert isinstance(parsed, ExecutionsMessage)
    result: ExecutionReport = parsed.data[0]
    return result


def report_of(**fields: object) -> ExecutionReport:
    base: dict[str, object] = {"order_id": "O1", "exec_type": "new"}
    return ExecutionReport(**{**base, **fields})  # type: ignore[arg-type]


class TestExecutionsLifecycle:
    """The documented order: pending_new, then new (partial update), then a fill."""

    def test_pending_new_reports_the_order(self) -> None:
        translator = ExecutionsTranslator()
        [event] = translator.translate(report(frames.EXECUTION_PENDING_NEW), RECEIVED)
        assert isinstance(event, OrderReported)
        order = event.order
        assert order.client_order_id == "OK4GJX-KSTLS-7DZZO5"  # no cl_ord_id: Kraken's id stands in
        assert order.exchange_order_id == "OK4GJX-KSTLS-7DZZO5"
        assert (order.symbol, order.side, order.order_type) == ("BTC/USD", OrderSide.SELL, OrderType.LIMIT)
        assert (order.quantity, order.limit_price) == (D("0.005"), D("26500.0"))
        assert order.time_in_force is TimeInForce.GTC
        assert order.status is OrderStatus.PENDING_NEW
        assert event.occurred_at == datetime(2023, 9, 22, 10, 33, 5, 709950, tzinfo=UTC)
        assert event.snapshot is False

    def test_a_partial_new_update_is_completed_from_what_came_before(self) -> None:
        translator = ExecutionsTranslator()
        translator.translate(report(frames.EXECUTION_PENDING_NEW), RECEIVED)
        [event] = translator.translate(report(frames.EXECUTION_NEW), RECEIVED)
        assert isinstance(event, OrderReported)
        assert event.order.status is OrderStatus.NEW
        assert event.order.quantity == D("0.005")
        assert event.order.created_at == datetime(2023, 9, 22, 10, 33, 5, 709950, tzinfo=UTC)
        assert event.order.updated_at == datetime(2023, 9, 22, 10, 33, 5, 709982, tzinfo=UTC)

    def test_the_fill_becomes_an_execution(self) -> None:
        translator = ExecutionsTranslator()
        [event] = translator.translate(report(frames.EXECUTION_TRADE), RECEIVED)
        assert isinstance(event, ExecutionReported)
        assert event.execution == Execution(
            exec_id="TGBB7L-HT5LX-J3BZ4A",
            order_id="OK4GJX-KSTLS-7DZZO5",
            symbol="BTC/USD",
            side="sell",
            quantity=D("0.005"),
            price=D("26599.9"),
            timestamp=datetime(2023, 9, 22, 10, 33, 5, 709993, tzinfo=UTC),
            fee=D("0.3458"),
            fee_currency="USD",
            liquidity=Liquidity.TAKER,
            trade_id="62887576",
            client_order_id=None,
        )
        assert str(event.execution.price) == "26599.9"

    def test_a_partial_fill_also_reports_the_order_partially_filled_with_its_cumulative_fill(self) -> None:
        translator = ExecutionsTranslator()
        translator.translate(report(frames.EXECUTION_PENDING_NEW), RECEIVED)
        translator.translate(report(frames.EXECUTION_NEW), RECEIVED)
        partial = report_of(
            order_id="OK4GJX-KSTLS-7DZZO5",
            exec_type="trade",
            exec_id="T1",
            last_qty=D("0.002"),
            last_price=D("26599.9"),
            order_status="partially_filled",
            cum_qty=D("0.002"),
            cum_cost=D("53.1998"),
            timestamp=datetime(2023, 9, 22, 10, 33, 6, tzinfo=UTC),
        )
        fill, state = translator.translate(partial, RECEIVED)
        assert isinstance(fill, ExecutionReported)
        assert isinstance(state, OrderReported)
        assert fill.execution.quantity == D("0.002")
        order = state.order
        assert order.status is OrderStatus.PARTIALLY_FILLED
        assert (order.filled_quantity, order.filled_cost) == (D("0.002"), D("53.1998"))
        assert (order.symbol, order.side, order.quantity) == ("BTC/USD", OrderSide.SELL, D("0.005"))
        assert order.exchange_order_id == "OK4GJX-KSTLS-7DZZO5"
        assert state.occurred_at == datetime(2023, 9, 22, 10, 33, 6, tzinfo=UTC)

    def test_the_documented_last_fill_marked_partially_filled_reports_only_the_fill(self) -> None:
        """Kraken's example fill completes the order yet says `partially_filled`; its `filled` report follows."""
        translator = ExecutionsTranslator()
        translator.translate(report(frames.EXECUTION_PENDING_NEW), RECEIVED)
        translator.translate(report(frames.EXECUTION_NEW), RECEIVED)
        events = translator.translate(report(frames.EXECUTION_TRADE), RECEIVED)
        assert [type(event) for event in events] == [ExecutionReported]

    def test_a_partial_fill_without_its_cumulative_fill_reports_only_the_fill(self) -> None:
        translator = ExecutionsTranslator()
        translator.translate(report(frames.EXECUTION_PENDING_NEW), RECEIVED)
        trade = report_of(
            order_id="OK4GJX-KSTLS-7DZZO5", exec_type="trade", exec_id="T1", last_qty=D("0.001"),
            last_price=D("26599.9"), order_status="partially_filled",
        )  # fmt: skip
        events = translator.translate(trade, RECEIVED)
        assert [type(event) for event in events] == [ExecutionReported]

    def test_a_trade_without_an_order_status_reports_only_the_fill(self) -> None:
        translator = ExecutionsTranslator()
        translator.translate(report(frames.EXECUTION_PENDING_NEW), RECEIVED)
        trade = report_of(
            order_id="OK4GJX-KSTLS-7DZZO5", exec_type="trade", exec_id="T1", last_qty=D("0.001"),
            last_price=D("26599.9"),
        )  # fmt: skip
        events = translator.translate(trade, RECEIVED, snapshot=True)
        assert [type(event) for event in events] == [ExecutionReported]

    def test_the_fill_that_closes_the_order_also_reports_it_filled(self) -> None:
        translator = ExecutionsTranslator()
        translator.translate(
            report_of(
                order_id="O6NTZC-K6FRH-ATWBCK",
                symbol="USDC/USD",
                side="sell",
                order_qty=D("15.44"),
                order_type="market",
                order_status="new",
            ),
            RECEIVED,
        )
        events = translator.translate(report(frames.executions(frames.MARKET_FILL_REPORT)), RECEIVED)
        assert [type(event) for event in events] == [ExecutionReported, OrderReported]
        fill, closed = events
        assert isinstance(fill, ExecutionReported)
        assert isinstance(closed, OrderReported)
        assert fill.execution.fee == D("0.3458")  # `fees` wins over fee_usd_equiv
        assert closed.order.status is OrderStatus.FILLED
        assert closed.order.order_type is OrderType.MARKET
        assert fill.execution.timestamp == RECEIVED  # no timestamp on the report: the receive time

    def test_a_closing_fill_of_an_unknown_order_still_reports_the_fill(self) -> None:
        events = ExecutionsTranslator().translate(
            report(frames.executions(frames.MARKET_FILL_REPORT)), RECEIVED
        )
        assert [type(event) for event in events] == [ExecutionReported]

    def test_cancel_carries_the_reason_and_forgets_the_order(self) -> None:
        translator = ExecutionsTranslator()
        translator.translate(
            report_of(
                order_id="OGAB7Y-BKX5F-PTK5RW",
                symbol="BTC/USD",
                side="buy",
                order_type="limit",
                order_qty=D("1"),
                limit_price=D("100"),
                order_status="new",
                cl_ord_id="mine-1",
            ),
            RECEIVED,
        )
        assert len(translator) == 1
        [event] = translator.translate(report(frames.executions(frames.CANCELED_REPORT)), RECEIVED)
        assert isinstance(event, OrderReported)
        assert event.order.status is OrderStatus.CANCELED
        assert event.order.reason == "User requested"
        assert event.order.client_order_id == "mine-1"
        assert len(translator) == 0

    def test_snapshot_flag_is_passed_on(self) -> None:
        [event] = ExecutionsTranslator().translate(report(frames.EXECUTION_TRADE), RECEIVED, snapshot=True)
        assert isinstance(event, ExecutionReported)
        assert event.snapshot is True

    def test_an_update_for_an_unknown_order_names_what_is_missing(self) -> None:
        with pytest.raises(IncompleteOrderError) as caught:
            ExecutionsTranslator().translate(report(frames.EXECUTION_NEW), RECEIVED)
        assert caught.value.order_id == "OK4GJX-KSTLS-7DZZO5"
        assert caught.value.missing == ["symbol", "side", "order_type", "order_qty"]

    def test_cumulative_fill_never_goes_back(self) -> None:
        translator = ExecutionsTranslator()
        known = {"symbol": "BTC/USD", "side": "buy", "order_type": "market", "order_qty": D("2")}
        translator.translate(report_of(order_status="new", cum_qty=D("1.5"), **known), RECEIVED)
        [event] = translator.translate(report_of(order_status="new", cum_qty=D("1")), RECEIVED)
        assert isinstance(event, OrderReported)
        assert event.order.filled_quantity == D("1.5")

    def test_the_oldest_orders_are_forgotten_beyond_the_bound(self) -> None:
        translator = ExecutionsTranslator(max_orders=2)
        for order_id in ("A", "B", "C"):
            translator.translate(
                report_of(order_id=order_id, symbol="BTC/USD", side="buy", order_type="market", order_qty=D(1),
                          order_status="new"),
                RECEIVED,
            )  # fmt: skip
        assert len(translator) == 2
        with pytest.raises(IncompleteOrderError):
            translator.translate(report_of(order_id="A", order_status="canceled"), RECEIVED)


class TestExecutionFields:
    def fill(self, **fields: object) -> Execution:
        base: dict[str, object] = {
            "exec_type": "trade",
            "exec_id": "T1",
            "symbol": "BTC/USD",
            "side": "buy",
            "last_qty": D("1"),
            "last_price": D("100"),
            "timestamp": datetime(2024, 1, 1, tzinfo=UTC),
        }
        [event, *_] = ExecutionsTranslator().translate(report_of(**{**base, **fields}), RECEIVED)
        assert isinstance(event, ExecutionReported)
        return event.execution

    @pytest.mark.parametrize(
        ("indicator", "liquidity"),
        [("m", Liquidity.MAKER), ("t", Liquidity.TAKER), (None, Liquidity.UNKNOWN), ("x", Liquidity.UNKNOWN)],
    )
    def test_liquidity_from_the_indicator(self, indicator: str | None, liquidity: Liquidity) -> None:
        assert self.fill(liquidity_ind=indicator).liquidity is liquidity

    def test_client_order_id_and_trade_id(self) -> None:
        execution = self.fill(cl_ord_id="gf-7", trade_id=42)
        assert (execution.client_order_id, execution.trade_id) == ("gf-7", "42")

    def test_fee_in_the_asset_kraken_names_mapped_to_ours(self) -> None:
        from galfriday.adapters.kraken.ws_messages import Fee

        execution = self.fill(fees=(Fee(asset="XBT", qty=D("0.0001")),))
        assert (execution.fee, execution.fee_currency) == (D("0.0001"), "BTC")

    def test_fees_in_one_asset_add_up(self) -> None:
        from galfriday.adapters.kraken.ws_messages import Fee

        execution = self.fill(fees=(Fee(asset="USD", qty=D("0.1")), Fee(asset="USD", qty=D("0.2"))))
        assert (execution.fee, execution.fee_currency) == (D("0.3"), "USD")

    def test_fees_in_several_assets_fall_back_to_the_usd_equivalent(self) -> None:
        from galfriday.adapters.kraken.ws_messages import Fee

        execution = self.fill(
            fees=(Fee(asset="USD", qty=D("0.1")), Fee(asset="BTC", qty=D("0.2"))), fee_usd_equiv=D("5")
        )
        assert (execution.fee, execution.fee_currency) == (D("5"), "USD")

    def test_no_fee_at_all_is_zero(self) -> None:
        assert (self.fill().fee, self.fill().fee_currency) == (D(0), "USD")

    def test_symbol_and_side_may_come_from_earlier_reports(self) -> None:
        translator = ExecutionsTranslator()
        translator.translate(
            report_of(symbol="ETH/EUR", side="sell", order_type="market", order_qty=D(3), order_status="new"),
            RECEIVED,
        )
        [event] = translator.translate(
            report_of(exec_type="trade", exec_id="T9", last_qty=D(1), last_price=D(2)), RECEIVED
        )
        assert isinstance(event, ExecutionReported)
        assert (event.execution.symbol, event.execution.side) == ("ETH/EUR", OrderSide.SELL)

    @pytest.mark.parametrize(
        "fields",
        [
            {"exec_id": None},
            {"last_qty": None},
            {"last_qty": D("0")},
            {"last_price": D("-1")},
            {"last_price": D("NaN")},
            {"side": "short"},
            {"side": None},
            {"symbol": "btcusd"},
            {"fees": ()} | {"fee_usd_equiv": D("-1")},
        ],
    )
    def test_an_impossible_fill_is_refused_with_the_typed_error(self, fields: dict[str, object]) -> None:
        with pytest.raises(KrakenTranslationError):
            self.fill(**fields)


class TestOrderFields:
    def order(self, **fields: object) -> Order:
        base: dict[str, object] = {
            "symbol": "BTC/USD",
            "side": "buy",
            "order_type": "limit",
            "order_qty": D("1"),
            "limit_price": D("100"),
            "order_status": "new",
        }
        [event] = ExecutionsTranslator().translate(report_of(**{**base, **fields}), RECEIVED)
        assert isinstance(event, OrderReported)
        return event.order

    @pytest.mark.parametrize(
        ("kraken", "status"),
        [("pending_new", "pending_new"), ("new", "new"), ("partially_filled", "partially_filled"),
         ("filled", "filled"), ("canceled", "canceled"), ("expired", "expired"), ("triggered", "new")],
    )  # fmt: skip
    def test_status_mapping(self, kraken: str, status: str) -> None:
        assert self.order(order_status=kraken).status == OrderStatus(status)

    def test_an_unknown_status_is_refused(self) -> None:
        with pytest.raises(KrakenTranslationError, match="order_status"):
            self.order(order_status="floating")

    @pytest.mark.parametrize(
        ("tif", "expected"), [("GTC", "gtc"), ("IOC", "ioc"), ("GTD", "gtd"), ("gtc", "gtc")]
    )
    def test_time_in_force(self, tif: str, expected: str) -> None:
        assert self.order(time_in_force=tif).time_in_force == TimeInForce(expected)

    @pytest.mark.parametrize(
        ("order_type", "limit_price_type", "expected"),
        [
            ("limit", "static", OrderType.LIMIT),
            ("iceberg", None, OrderType.LIMIT),
            ("stop-loss-limit", "static", OrderType.LIMIT),
            ("limit", "pct", OrderType.MARKET),  # the "price" is an offset, not a price
            ("market", None, OrderType.MARKET),
            ("stop-loss", None, OrderType.MARKET),
        ],
    )
    def test_kraken_order_types_map_to_limit_or_market(
        self, order_type: str, limit_price_type: str | None, expected: OrderType
    ) -> None:
        order = self.order(order_type=order_type, limit_price_type=limit_price_type)
        assert order.order_type is expected
        assert (order.limit_price is not None) is (expected is OrderType.LIMIT)

    def test_cumulative_fill_and_cost(self) -> None:
        order = self.order(cum_qty=D("0.4"), cum_cost=D("40"), order_status="partially_filled")
        assert (order.filled_quantity, order.filled_cost) == (D("0.4"), D("40"))

    def test_a_fill_beyond_the_quantity_is_refused(self) -> None:
        with pytest.raises(KrakenTranslationError, match="filled_quantity"):
            self.order(cum_qty=D("2"))


class TestBalances:
    def balances(self, frame: str, translator: BalancesTranslator | None = None) -> list[BalanceReported]:
        translator = translator or BalancesTranslator()
        parsed = message(frame)
        return [
            translator.translate(entry, RECEIVED, snapshot=parsed.type == "snapshot") for entry in parsed.data
        ]

    def test_snapshot_totals_with_earn_wallets_not_available(self) -> None:
        btc, matic, usd = self.balances(frames.BALANCES_SNAPSHOT)
        assert (btc.balance.asset, btc.balance.total, btc.balance.available) == ("BTC", D("1.2"), D("1.2"))
        assert (matic.balance.total, matic.balance.available) == (D("500"), D("300"))
        assert usd.balance.total == D("80595.4943")
        assert btc.snapshot is True
        assert btc.balance.updated_at == RECEIVED  # the snapshot has no timestamp

    def test_updates_carry_the_new_total_and_their_time(self) -> None:
        translator = BalancesTranslator()
        self.balances(frames.BALANCES_SNAPSHOT, translator)
        [usd] = self.balances(frames.BALANCES_TRADE_USD, translator)
        assert (usd.balance.asset, usd.balance.total, usd.balance.available) == ("USD", D("500"), D("500"))
        assert usd.balance.updated_at == datetime(2023, 9, 22, 10, 33, 5, 710082, tzinfo=UTC)
        assert usd.snapshot is False

    def test_an_earn_movement_changes_what_is_available(self) -> None:
        translator = BalancesTranslator()
        self.balances(frames.BALANCES_SNAPSHOT, translator)
        entry = BalanceEntry(asset="MATIC", balance=D("550"), wallet_type="earn", amount=D("50"))
        reported = translator.translate(entry, RECEIVED)
        assert (reported.balance.total, reported.balance.available) == (D("550"), D("300"))

    def test_kraken_asset_codes_are_mapped(self) -> None:
        entry = BalanceEntry(asset="XBT", balance=D("1"))
        assert BalancesTranslator().translate(entry, RECEIVED).balance.asset == "BTC"

    def test_a_custom_asset_mapping_is_used(self) -> None:
        entry = BalanceEntry(asset="XXBT", balance=D("1"))
        translator = BalancesTranslator(asset_name=lambda code: {"XXBT": "BTC"}.get(code, code))
        assert translator.translate(entry, RECEIVED).balance.asset == "BTC"

    @pytest.mark.parametrize(("asset", "balance"), [("BTC", D("-1")), ("btc", D("1")), ("BTC", D("NaN"))])
    def test_an_impossible_balance_is_refused(self, asset: str, balance: Decimal) -> None:
        with pytest.raises(KrakenTranslationError):
            BalancesTranslator().translate(BalanceEntry(asset=asset, balance=balance), RECEIVED)


class TestMarketData:
    def test_ticker(self) -> None:
        ticker = ticker_event(message(frames.TICKER).data[0], RECEIVED).ticker
        assert (ticker.symbol, ticker.bid, ticker.bid_quantity, ticker.ask) == (
            "ALGO/USD",
            D("0.10025"),
            D("740.0"),
            D("0.10036"),
        )
        assert (ticker.last, ticker.volume) == (D("0.10035"), D("997038.98383185"))
        assert ticker.timestamp == datetime(2023, 9, 25, 9, 4, 31, 742648, tzinfo=UTC)

    def test_trade(self) -> None:
        trade = trade_event(message(frames.TRADE).data[0]).trade
        assert (trade.symbol, trade.trade_id, trade.side, trade.price, trade.quantity) == (
            "MATIC/USD",
            "4665906",
            OrderSide.SELL,
            D("0.5117"),
            D("40.0"),
        )

    def test_ohlc_interval_in_minutes_becomes_seconds(self) -> None:
        parsed = message(frames.OHLC)
        event = candle_event(parsed.data[0], parsed.timestamp, RECEIVED)
        candle = event.candle
        assert (candle.symbol, candle.interval_seconds, candle.trade_count) == ("MATIC/USD", 300, 12)
        assert candle.open_time == datetime(2023, 10, 4, 16, 25, tzinfo=UTC)
        assert (candle.open, candle.high, candle.low, candle.close) == (
            D("0.5624"),
            D("0.5628"),
            D("0.5622"),
            D("0.5627"),
        )
        assert candle.volume == D("30927.68066226")
        assert event.occurred_at == datetime(2023, 10, 4, 16, 30, tzinfo=UTC)

    def test_an_impossible_candle_is_refused(self) -> None:
        parsed = message(frames.OHLC.replace('"high": 0.5628', '"high": 0.1'))
        with pytest.raises(KrakenTranslationError, match="high"):
            candle_event(parsed.data[0], parsed.timestamp, RECEIVED)

    def test_book_update_levels_as_sent(self) -> None:
        update = book_event(message(frames.BOOK_UPDATE).data[0], RECEIVED, snapshot=False).update
        assert update.bids == (BookLevel(D("0.5657"), D("1098.3947558")),)
        assert update.asks == ()
        assert update.is_snapshot is False
        assert update.timestamp == datetime(2023, 10, 6, 17, 35, 55, 440295, tzinfo=UTC)

    def test_book_snapshot(self) -> None:
        update = book_event(message(frames.BOOK_SNAPSHOT).data[0], RECEIVED, snapshot=True).update
        assert update.is_snapshot is True
        assert len(update.bids) == len(update.asks) == 10
        assert update.bids[6] == BookLevel(D("0.566"), D("18097.1547"))

    def test_instrument_pairs(self) -> None:
        [pair] = trading_pairs(message(frames.INSTRUMENT).data)
        assert pair == TradingPair(
            "BTC/USD", price_precision=1, quantity_precision=8, min_quantity=D("0.0001")
        )

    def test_an_instrument_pair_the_domain_refuses_is_reported_not_raised(self) -> None:
        parsed = message(frames.INSTRUMENT.replace('"symbol": "BTC/USD"', '"symbol": "AAPLx/USD"'))
        [problem] = trading_pairs(parsed.data)
        assert isinstance(problem, KrakenTranslationError)


def test_default_asset_names() -> None:
    assert [default_asset_name(code) for code in ("XBT", "XXBT", "XDG", "ETH", "USD")] == [
        "BTC",
        "BTC",
        "DOGE",
        "ETH",
        "USD",
    ]


# --- the trusted builders give what the domain constructors give ----------------------------------------

amounts = st.decimals(min_value=D("-5"), max_value=D("1e9"), places=8) | st.sampled_from(
    [D("NaN"), D("Infinity"), D("0"), D("1E-8")]
)
zones = st.sampled_from([UTC, timezone(timedelta(hours=2))])
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones
) | st.datetimes(max_value=datetime(2100, 1, 1))
symbols = st.sampled_from(["BTC/USD", "ETH/EUR", "btc/usd", "BTCUSD", ""])
sides = st.sampled_from(["buy", "sell", "BUY", "hold"])


def both(make_domain: Any, make_trusted: Any) -> None:
    """Either both succeed with equal objects, or both refuse the values (ValueError, InvalidValueError included)."""
    try:
        expected = make_domain()
    except ValueError:
        with pytest.raises(ValueError):  # noqa: PT011 - the domain raises ValueError (enums) or InvalidValueError
            make_trusted()
        return
    actual = make_trusted()
    assert actual == expected
    for field in attrs.fields(type(expected)):
        assert getattr(actual, field.name) == getattr(expected, field.name)
        assert type(getattr(actual, field.name)) is type(getattr(expected, field.name))


@given(
    symbol=symbols,
    side=sides,
    quantity=amounts,
    price=amounts,
    fee=amounts,
    timestamp=moments,
    fee_currency=st.sampled_from(["USD", "BTC", "usd", "ETH2.S"]),
    liquidity=st.sampled_from(list(Liquidity)),
    client_order_id=st.none() | st.just("c1"),
)
def test_new_execution_equals_the_domain_constructor(**values: Any) -> None:
    values |= {"exec_id": "T1", "order_id": "O1", "trade_id": "7"}
    both(lambda: Execution(**values), lambda: new_execution(**values))


@given(
    symbol=symbols,
    side=sides,
    quantity=amounts,
    limit_price=st.none() | amounts,
    filled_quantity=amounts,
    filled_cost=amounts,
    created_at=moments,
    updated_at=moments,
    order_type=st.sampled_from(list(OrderType)),
    time_in_force=st.sampled_from(["gtc", "ioc", "gtd"]),
    status=st.sampled_from(list(OrderStatus)),
    client_order_id=st.sampled_from(["c1", ""]),
    reason=st.none() | st.just("User requested"),
)
def test_new_order_equals_the_domain_constructor(**values: Any) -> None:
    values |= {"exchange_order_id": "O1"}
    both(lambda: Order(**values), lambda: new_order(**values))


ORDER = Order(
    client_order_id="c1",
    symbol="BTC/USD",
    side="buy",
    order_type=OrderType.LIMIT,
    quantity=D("0.01"),
    limit_price=D("26500.0"),
    created_at=datetime(2023, 9, 22, tzinfo=UTC),
    updated_at=datetime(2023, 9, 22, tzinfo=UTC),
)


@given(occurred_at=moments, snapshot=st.booleans())
def test_new_order_reported_equals_the_domain_constructor(occurred_at: datetime, snapshot: bool) -> None:
    both(
        lambda: OrderReported(ORDER, occurred_at, snapshot),
        lambda: new_order_reported(ORDER, occurred_at, snapshot),
    )


@given(snapshot=st.booleans())
def test_new_execution_reported_equals_the_domain_constructor(snapshot: bool) -> None:
    execution = new_execution(
        exec_id="T1",
        order_id="O1",
        symbol="BTC/USD",
        side="sell",
        quantity=D("0.005"),
        price=D("26599.9"),
        timestamp=datetime(2023, 9, 22, tzinfo=UTC),
        fee=D("0.3458"),
        fee_currency="USD",
        liquidity=Liquidity.TAKER,
        trade_id="7",
        client_order_id="c1",
    )
    both(
        lambda: ExecutionReported(execution, snapshot),
        lambda: new_execution_reported(execution, snapshot),
    )


@given(
    symbol=symbols,
    levels=st.lists(st.tuples(amounts, amounts), max_size=3),
    is_snapshot=st.booleans(),
    timestamp=moments,
)
def test_new_book_update_equals_the_domain_constructor(
    symbol: str, levels: list[tuple[Decimal, Decimal]], is_snapshot: bool, timestamp: datetime
) -> None:
    def domain() -> BookUpdate:
        return BookUpdate(
            symbol=symbol,
            bids=[BookLevel(price, quantity) for price, quantity in levels],
            asks=[BookLevel(price, quantity) for price, quantity in reversed(levels)],
            is_snapshot=is_snapshot,
            timestamp=timestamp,
        )

    def trusted() -> BookUpdate:
        return new_book_update(
            symbol=symbol,
            bids=levels,
            asks=list(reversed(levels)),
            is_snapshot=is_snapshot,
            timestamp=timestamp,
        )

    both(domain, trusted)


def test_after_a_closing_fill_the_filled_report_still_finds_the_order() -> None:
    translator = ExecutionsTranslator()
    translator.translate(report(frames.EXECUTION_PENDING_NEW), RECEIVED)
    closing = report_of(
        order_id="OK4GJX-KSTLS-7DZZO5", exec_type="trade", exec_id="T1", last_qty=D("0.005"),
        last_price=D("26600"), order_status="filled", cum_qty=D("0.005"),
    )  # fmt: skip
    assert [type(event) for event in translator.translate(closing, RECEIVED)] == [
        ExecutionReported,
        OrderReported,
    ]
    [filled] = translator.translate(
        report_of(order_id="OK4GJX-KSTLS-7DZZO5", exec_type="filled", order_status="filled"), RECEIVED
    )
    assert isinstance(filled, OrderReported)
    assert filled.order.status is OrderStatus.FILLED
    assert len(translator) == 0


def test_a_closed_order_is_forgotten_even_when_its_report_cannot_be_translated() -> None:
    translator = ExecutionsTranslator()
    with pytest.raises(IncompleteOrderError):
        translator.translate(report_of(order_id="X", exec_type="canceled", order_status="canceled"), RECEIVED)
    assert len(translator) == 0
