"""Spot positions per pair from fills, on average cost basis, with realized P&L in the quote currency."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs
from attrs import field, frozen

from galfriday.domain.amounts import ZERO, amount, non_negative
from galfriday.domain.executions import Execution
from galfriday.domain.instruments import parse_symbol
from galfriday.domain.timestamps import to_utc
from galfriday.errors import InvalidValueError


@frozen
class Position:
    """Net quantity (negative when short), average entry cost, and realized P&L (before fees)."""

    symbol: str = field(converter=parse_symbol)
    quantity: Decimal = field(converter=amount("quantity"))  # type: ignore[misc]
    average_cost: Decimal = field(converter=amount("average_cost", non_negative))  # type: ignore[misc]
    realized_pnl: Decimal = field(converter=amount("realized_pnl"))  # type: ignore[misc]
    updated_at: datetime = field(converter=to_utc)

    @classmethod
    def flat(cls, symbol: str, at: datetime) -> Position:
        return cls(symbol=symbol, quantity=ZERO, average_cost=ZERO, realized_pnl=ZERO, updated_at=at)

    def apply_fill(self, execution: Execution) -> Position:
        """Add a fill. Increasing moves the average cost; reducing realizes P&L; crossing zero re-opens.

        A fill of another pair is refused: it would silently mix two instruments in one position.
        """
        if execution.symbol != self.symbol:
            raise InvalidValueError(
                "symbol", execution.symbol, f"a fill of {self.symbol} (execution {execution.exec_id})"
            )
        signed = execution.quantity * execution.side.sign
        price = execution.price
        at = max(self.updated_at, execution.timestamp)
        same_direction = self.quantity == 0 or (self.quantity > 0) == (signed > 0)
        if same_direction:
            new_quantity = self.quantity + signed
            cost = abs(self.quantity) * self.average_cost + abs(signed) * price
            return attrs.evolve(
                self, quantity=new_quantity, average_cost=cost / abs(new_quantity), updated_at=at
            )
        closing = min(abs(signed), abs(self.quantity))
        direction = 1 if self.quantity > 0 else -1
        realized = self.realized_pnl + closing * (price - self.average_cost) * direction
        new_quantity = self.quantity + signed
        if new_quantity == 0:
            average = ZERO
        elif (new_quantity > 0) == (self.quantity > 0):
            average = self.average_cost
        else:
            average = price
        return attrs.evolve(
            self, quantity=new_quantity, average_cost=average, realized_pnl=realized, updated_at=at
        )

    def unrealized_pnl(self, mark_price: Decimal) -> Decimal:
        return self.quantity * (mark_price - self.average_cost)
