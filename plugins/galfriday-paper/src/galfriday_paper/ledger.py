"""The paper account's balances: totals per asset, and holds that open orders keep on them.

An order places one hold (the quote it may spend, fees included, or the base it may sell); each fill pays out
of its order's hold and credits what it bought; closing the order releases what is left. `available` is the
total minus every hold, so an order can never spend money another open order has promised.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from galfriday.domain.amounts import ZERO, non_negative
from galfriday.domain.balances import Balance
from galfriday.domain.instruments import asset_code
from galfriday.errors import InsufficientFundsError, InvalidValueError


class Ledger:
    """Balances of one paper account, exact to the last decimal."""

    def __init__(self, balances: Mapping[str, Decimal]) -> None:
        self._totals = {
            asset_code(asset): non_negative(f"balances[{asset}]", amount)
            for asset, amount in balances.items()
        }
        self._holds: dict[str, tuple[str, Decimal]] = {}
        self._reserved: dict[str, Decimal] = {}

    # --- reading ---------------------------------------------------------------------------------------

    def total(self, asset: str) -> Decimal:
        return self._totals.get(asset, ZERO)

    def reserved(self, asset: str) -> Decimal:
        return self._reserved.get(asset, ZERO)

    def available(self, asset: str) -> Decimal:
        return self.total(asset) - self.reserved(asset)

    def held(self, key: str) -> Decimal:
        """What the hold named `key` still keeps back (zero once released or spent)."""
        hold = self._holds.get(key)
        return ZERO if hold is None else hold[1]

    def balance(self, asset: str, at: datetime) -> Balance:
        return Balance(asset, self.total(asset), self.available(asset), at)

    def balances(self, at: datetime) -> list[Balance]:
        """Every asset the account has ever held, by asset code."""
        return [self.balance(asset, at) for asset in sorted(self._totals)]

    # --- holds -----------------------------------------------------------------------------------------

    def hold(self, key: str, asset: str, amount: Decimal) -> None:
        """Keep `amount` of `asset` back for the order `key`; `InsufficientFundsError` if it is not available."""
        non_negative("amount", amount)
        if key in self._holds:
            raise InvalidValueError("key", key, "an order without a hold already")
        available = self.available(asset)
        if amount > available:
            raise InsufficientFundsError(
                f"{key} needs {amount} {asset} (fees included); {available} {asset} is available"
            )
        self._holds[key] = (asset, amount)
        self._reserved[asset] = self.reserved(asset) + amount

    def release(self, key: str) -> Decimal:
        """Give back what the hold `key` still keeps; returns that amount (zero if there was none)."""
        hold = self._holds.pop(key, None)
        if hold is None:
            return ZERO
        asset, amount = hold
        self._reserved[asset] -= amount
        return amount

    # --- fills -----------------------------------------------------------------------------------------

    def settle(self, key: str, pay: tuple[str, Decimal], receive: tuple[str, Decimal]) -> None:
        """A fill of order `key`: pay `pay` (out of its hold first), then receive `receive`.

        Paying more than the hold and the available balance together is an `InsufficientFundsError`, and
        nothing changes.
        """
        pay_asset, pay_amount = pay[0], non_negative("pay", pay[1])
        receive_asset, receive_amount = receive[0], non_negative("receive", receive[1])
        asset, held = self._holds.get(key, (pay_asset, ZERO))
        from_hold = min(pay_amount, held) if asset == pay_asset else ZERO
        beyond = pay_amount - from_hold
        if beyond > self.available(pay_asset):
            raise InsufficientFundsError(
                f"a fill of order {key} costs {pay_amount} {pay_asset}; only {held} is held for it and "
                f"{self.available(pay_asset)} {pay_asset} is available"
            )
        if from_hold:
            self._holds[key] = (asset, held - from_hold)
            self._reserved[asset] -= from_hold
        self._totals[pay_asset] = self.total(pay_asset) - pay_amount
        self._totals[receive_asset] = self.total(receive_asset) + receive_amount
