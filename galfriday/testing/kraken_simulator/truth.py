"""The simulator's authoritative view of an account, for tests to compare a client's local state with:
every order, every execution (fill) and the balances, as of the moment it was taken."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from attrs import frozen

from galfriday.domain.amounts import ZERO
from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution
from galfriday.testing.kraken_simulator.records import LedgerEntry, SimOrder, SimTrade
from galfriday.testing.kraken_simulator.state import SimulatorState


@frozen
class AccountTruth:
    """A snapshot of one account: orders by txid, fills in execution order, balances by v2 asset code."""

    account: str
    orders: dict[str, SimOrder]
    executions: tuple[SimTrade, ...]
    balances: dict[str, Decimal]
    held: dict[str, Decimal]
    ledger: tuple[LedgerEntry, ...]
    taken_at: datetime

    @property
    def open_orders(self) -> list[SimOrder]:
        return [order for order in self.orders.values() if order.state.is_open]

    @property
    def exec_ids(self) -> frozenset[str]:
        return frozenset(trade.exec_id for trade in self.executions)

    def domain_executions(self) -> list[Execution]:
        """The fills as galfriday domain executions (exec id = trade txid, order id = order txid)."""
        return [trade.to_execution() for trade in self.executions]

    def domain_balances(self) -> dict[str, Balance]:
        """Balances as domain values: total, and available after what open orders hold."""
        return {
            asset: Balance(asset, total, total - self.held.get(asset, ZERO), self.taken_at)
            for asset, total in self.balances.items()
        }


def account_truth(state: SimulatorState, account: str) -> AccountTruth:
    found = state.account(account)
    return AccountTruth(
        account=account,
        orders=dict(found.orders),
        executions=tuple(found.trades),
        balances=dict(found.totals),
        held={asset: held for asset, held in found.held.items() if held},
        ledger=tuple(found.ledger),
        taken_at=state.clock.now(),
    )
