"""Two discrepancies for reconciliation to find: one on each side of the comparison.

- Exchange side: the simulator credits a few cents of USD without any message on the stream (a fee rebate,
  say). Within the USD tolerance, reconciliation corrects our balance to the exchange's.
- Our side: the stored BTC balance is overwritten with 0.05 BTC too much (a bad manual edit of the database).
  Beyond tolerance, reconciliation leaves it for review, alerts, and halts new orders.

The run is the one `galfriday reconcile` makes (`reconciliation_service`), sharing the runtime's trading gate.
"""

from __future__ import annotations

from decimal import Decimal

from attrs import frozen

from galfriday.demo.configuration import SYMBOL
from galfriday.demo.session import DemoSession
from galfriday.domain.balances import Balance
from galfriday.domain.executions import OrderSide
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.reconciliation_audit import RunKind
from galfriday.errors import TradingHaltedError
from galfriday.reconcile_command import reconciliation_service
from galfriday.services.reconciliation import ReconciliationReport
from galfriday.services.trading_gate import GatedOrders
from galfriday.testing.kraken_simulator import DEFAULT_ACCOUNT

UNREPORTED_CREDIT = ("USD", Decimal("0.37"))
"""Credited on the simulator, never streamed."""
BAD_EDIT = ("BTC", Decimal("0.05"))
"""Added to our stored balance."""


@frozen
class Injected:
    """The two discrepancies, as `balance:<asset>` subjects."""

    corrected: str
    flagged: str


@frozen
class Reconciled:
    report: ReconciliationReport
    halt_reasons: dict[str, str]
    refused_order: str | None
    """The error a new order got while trading was halted (None if it was not refused)."""


def credit_silently(session: DemoSession, asset: str, amount: Decimal) -> None:
    """Change the simulator's balance behind the stream's back (its ledger and channels stay silent)."""
    account = session.simulator.state.account(DEFAULT_ACCOUNT)
    code = session.simulator.catalog.asset(asset).code
    account.totals[code] = account.totals.get(code, Decimal(0)) + amount


async def overwrite_stored(session: DemoSession, asset: str, extra: Decimal) -> Balance:
    """Add `extra` to our stored balance of `asset` (total and available), as a bad manual edit would."""
    async with session.app.store.unit_of_work() as uow:
        balance = await uow.balances.get(asset)
        if balance is None:
            raise LookupError(f"no stored balance of {asset}")
        edited = Balance(asset, balance.total + extra, balance.available + extra, session.now())
        await uow.balances.save(edited)
        await uow.commit()
    return edited


async def inject(session: DemoSession) -> Injected:
    credit_silently(session, *UNREPORTED_CREDIT)
    await overwrite_stored(session, *BAD_EDIT)
    return Injected(corrected=f"balance:{UNREPORTED_CREDIT[0]}", flagged=f"balance:{BAD_EDIT[0]}")


async def reconcile_now(session: DemoSession) -> Reconciled:
    """A manual reconciliation run, then a new order, which the halted trading gate must refuse."""
    runtime = session.runtime
    report = await reconciliation_service(session.app, runtime.trading_gate).run(RunKind.MANUAL)
    refused = None
    order = Order.create(
        client_order_id="demo-while-halted",
        symbol=SYMBOL,
        side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.0100"),
        limit_price=Decimal("28000"),
        at=session.now(),
    )
    try:
        await GatedOrders(session.app.exchange, runtime.trading_gate).place_order(order)
    except TradingHaltedError as exc:
        refused = str(exc)
    return Reconciled(report, runtime.trading_gate.reasons, refused)
