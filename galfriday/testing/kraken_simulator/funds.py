"""Money rules: fees, rounding to an asset's decimals, and what an open order holds (`hold_trade`).

A limit buy holds `volume * price * (1 + the higher fee rate)` of the quote; a market buy holds what walking
the book costs now plus the taker fee; a sell holds its base volume. Ledger amounts and fees are rounded
half-up to the asset's decimals, as Kraken's ledger shows them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from attrs import define

from galfriday.adapters.memory.matching import FeeSchedule
from galfriday.domain.amounts import ZERO
from galfriday.domain.executions import Liquidity
from galfriday.testing.kraken_simulator.catalog import KrakenAsset


def round_to(asset: KrakenAsset, value: Decimal) -> Decimal:
    """`value` rounded half-up to the asset's decimals."""
    return value.quantize(Decimal(1).scaleb(-asset.decimals), rounding=ROUND_HALF_UP)


def fee_for(fees: FeeSchedule, quote: KrakenAsset, cost: Decimal, maker: bool) -> Decimal:
    """The fee of one fill in the quote currency."""
    return round_to(quote, fees.fee(cost, Liquidity.MAKER if maker else Liquidity.TAKER))


@define
class Hold:
    """What one open order holds; `per_unit` is released per unit filled (None: what each fill cost)."""

    asset: str
    amount: Decimal
    per_unit: Decimal | None

    def release_for(self, volume: Decimal, charged: Decimal) -> Decimal:
        """How much a fill of `volume` that charged `charged` (cost plus fee) releases."""
        wanted = charged if self.per_unit is None else volume * self.per_unit
        released = min(wanted, self.amount)
        self.amount -= released
        return released

    def release_all(self) -> Decimal:
        released, self.amount = self.amount, ZERO
        return released
