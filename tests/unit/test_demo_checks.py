"""The demo's final checks compare the store with the simulator's own record: equal passes, any difference fails
and names what differs. The simulator here is a real one (its state, not its server), with one partly filled bid
and one filled bid; "the store" is the same account rebuilt from those fills through the domain."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from galfriday.demo.results import FinalState, fill_checks, restart_check, shutdown_check
from galfriday.demo.trading import StoredState
from galfriday.domain.executions import OrderSide
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.portfolio import replay_positions
from galfriday.runtime.process import ShutdownReport
from galfriday.testing.kraken_simulator import AccountTruth, KrakenSimulator, new_secret
from galfriday.testing.kraken_simulator.records import OrderRequest

SYMBOL = "BTC/USD"


@pytest.fixture(scope="module")
def truth() -> AccountTruth:
    sim = KrakenSimulator(
        api_key="k", api_secret=new_secret(), balances={"USD": 10_000}, pairs=[SYMBOL], rate_tier=None
    )
    account = sim.state.account("default")
    for n, price in enumerate((Decimal("29000"), Decimal("29100")), start=1):
        request = OrderRequest(SYMBOL, OrderSide.BUY, "limit", Decimal("0.0100"), price, cl_ord_id=f"bid-{n}")
        sim.state.add_order(account, request)
    sim.market.trade(SYMBOL, OrderSide.SELL, Decimal("29100"), Decimal("0.0100"))
    sim.market.trade(SYMBOL, OrderSide.SELL, Decimal("29000"), Decimal("0.0040"))
    return sim.truth()


def as_stored(truth: AccountTruth) -> FinalState:
    """What a store that followed the exchange perfectly holds."""
    executions = truth.domain_executions()
    orders = []
    for txid, sim in truth.orders.items():
        order = Order.create(
            client_order_id=sim.request.cl_ord_id or txid,
            symbol=sim.symbol,
            side=sim.side,
            order_type=OrderType.LIMIT,
            quantity=sim.volume,
            limit_price=sim.request.price,
            at=sim.opened_at,
        )
        order = order.apply_status(OrderStatus.NEW, sim.opened_at, exchange_order_id=txid).order
        for execution in (e for e in executions if e.order_id == txid):
            order = order.apply_execution(execution).order
        orders.append(order)
    position = replay_positions(executions).get(SYMBOL)
    return FinalState(StoredState(orders, executions), position, {}, truth)


def failed(final: FinalState) -> dict[str, str]:
    return {check.name: check.detail for check in fill_checks(final) if not check.passed}


def test_a_store_equal_to_the_simulator_passes_every_fill_check(truth: AccountTruth) -> None:
    assert len(truth.executions) == 2
    assert failed(as_stored(truth)) == {}


def test_a_fill_missing_from_the_store_fails_and_is_named(truth: AccountTruth) -> None:
    final = as_stored(truth)
    lost = final.stored.executions[0]
    final = attrs.evolve(final, stored=StoredState(final.stored.orders, final.stored.executions[1:]))
    problems = failed(final)
    assert "fills equal the simulator's" in problems
    assert lost.exec_id in problems["fills equal the simulator's"]


def test_an_order_whose_status_differs_from_the_exchange_fails_and_is_named(truth: AccountTruth) -> None:
    final = as_stored(truth)
    partly = next(o for o in final.stored.orders if o.status is OrderStatus.PARTIALLY_FILLED)
    canceled = partly.apply_status(OrderStatus.CANCELED, partly.updated_at).order
    orders = [canceled if o is partly else o for o in final.stored.orders]
    problems = failed(attrs.evolve(final, stored=StoredState(orders, final.stored.executions)))
    assert list(problems) == ["orders equal the simulator's"]
    assert str(partly.exchange_order_id) in problems["orders equal the simulator's"]


def test_a_position_that_is_not_the_sum_of_the_fills_fails(truth: AccountTruth) -> None:
    final = as_stored(truth)
    assert final.position is not None
    doubled = attrs.evolve(final.position, quantity=final.position.quantity * 2)
    assert list(failed(attrs.evolve(final, position=doubled))) == ["position equals the fills"]


def test_a_shutdown_with_a_backlog_fails_its_check() -> None:
    report = ShutdownReport(accepted=3, applied=2, backlog=1, cancelled=(), seconds=0.1)
    assert not shutdown_check(report).passed
    assert shutdown_check(attrs.evolve(report, applied=3, backlog=0)).passed


def test_a_store_reopened_with_every_fill_and_order_passes_the_restart_check(truth: AccountTruth) -> None:
    final = as_stored(truth)
    reopened = StoredState(list(reversed(final.stored.orders)), list(final.stored.executions))
    assert restart_check(reopened, final).passed


def test_a_store_reopened_without_a_fill_fails_the_restart_check(truth: AccountTruth) -> None:
    final = as_stored(truth)
    check = restart_check(StoredState(final.stored.orders, final.stored.executions[1:]), final)
    assert not check.passed
    assert "DIFFERENT" in check.detail
