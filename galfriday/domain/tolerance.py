"""Tolerance policy: how far our numbers may drift from the exchange's before a human must look.

A discrepancy is *within* a tolerance when `absolute <= max(max_absolute, max_relative * magnitude)`, the rule of
`math.isclose`: small in absolute terms (dust) or small relative to the amount involved. Within → corrected
automatically; beyond → manual review, an alert and (optionally) a halt on new orders. Tolerances are chosen per
asset (balances), per pair (orders, fills, positions) or fall back to the default. The absolute bound is in the
unit of the values compared (asset units for balances, base quantity for orders and positions); a cost-basis
mismatch, a price, is judged by the relative bound alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from attrs import field, frozen

from galfriday.domain.amounts import ZERO, amount, non_negative
from galfriday.domain.instruments import asset_code, parse_symbol
from galfriday.errors import InvalidValueError


@frozen
class Tolerance:
    """Bounds on one discrepancy: `max_absolute` in the compared unit, `max_relative` as a fraction (0.001)."""

    max_absolute: Decimal = field(default=ZERO, converter=amount("max_absolute", non_negative))  # type: ignore[misc]
    max_relative: Decimal = field(default=ZERO, converter=amount("max_relative", non_negative))  # type: ignore[misc]

    def admits(self, absolute: Decimal, relative: Decimal, *, relative_only: bool = False) -> bool:
        """Whether a drift of `absolute` (that is `relative` of the larger value compared) is tolerated."""
        if relative_only:
            return relative <= self.max_relative
        return absolute <= self.max_absolute or relative <= self.max_relative

    @classmethod
    def from_table(cls, key: str, table: Any) -> Tolerance:
        """From a configuration table `{absolute = "0.0001", relative = "0.001"}` (decimal strings or ints)."""
        if not isinstance(table, Mapping):
            raise InvalidValueError(key, table, "a table such as {absolute = '0.0001', relative = '0.001'}")
        unknown = sorted(set(table) - {"absolute", "relative"})
        if unknown:
            raise InvalidValueError(f"{key}.{unknown[0]}", table[unknown[0]], "only absolute and relative")
        return cls(
            max_absolute=_decimal(f"{key}.absolute", table.get("absolute", 0)),
            max_relative=_decimal(f"{key}.relative", table.get("relative", 0)),
        )


def _decimal(key: str, value: Any) -> Decimal:
    # TOML floats such as 0.001 are read as text so that the bound is exactly what was written.
    if isinstance(value, float):
        value = repr(value)
    return non_negative(key, value)


DEFAULT_TOLERANCE = Tolerance(max_absolute=ZERO, max_relative=Decimal("0.0001"))
"""0.01% of the amount involved, nothing absolute: rounding noise is corrected, anything real is reviewed."""


@frozen
class TolerancePolicy:
    """Tolerances per asset and per pair with a default; whether manual review halts new orders.

    `always_import_fills`: a fill the exchange's trade history holds and we lack is imported whatever its size.
    It is the exchange's own record (not an estimate), and catching up after a dropped stream is routine; set it
    false to have large missed fills reviewed like any other drift.
    """

    default: Tolerance = DEFAULT_TOLERANCE
    per_asset: Mapping[str, Tolerance] = field(factory=dict)
    per_pair: Mapping[str, Tolerance] = field(factory=dict)
    halt_on_manual_review: bool = True
    always_import_fills: bool = True

    def __attrs_post_init__(self) -> None:
        for asset in self.per_asset:
            asset_code(asset)
        for symbol in self.per_pair:
            parse_symbol(symbol)

    def for_asset(self, asset: str) -> Tolerance:
        return self.per_asset.get(asset, self.default)

    def for_pair(self, symbol: str) -> Tolerance:
        return self.per_pair.get(symbol, self.default)

    @classmethod
    def from_table(
        cls, table: Mapping[str, Any], *, halt_on_manual_review: bool = True, always_import_fills: bool = True
    ) -> TolerancePolicy:
        """From `[reconciliation.tolerances]`: `default`, then keys that are assets (`BTC`) or pairs (`BTC/USD`)."""
        default = DEFAULT_TOLERANCE
        per_asset: dict[str, Tolerance] = {}
        per_pair: dict[str, Tolerance] = {}
        for key, value in table.items():
            name = f"tolerances.{key}"
            if key == "default":
                default = Tolerance.from_table(name, value)
            elif "/" in key:
                per_pair[parse_symbol(key)] = Tolerance.from_table(name, value)
            else:
                try:
                    asset = asset_code(key)
                except InvalidValueError:
                    raise InvalidValueError(
                        "tolerances", key, "'default', an asset such as 'BTC' or a pair such as 'BTC/USD'"
                    ) from None
                per_asset[asset] = Tolerance.from_table(name, value)
        return cls(
            default=default,
            per_asset=per_asset,
            per_pair=per_pair,
            halt_on_manual_review=halt_on_manual_review,
            always_import_fills=always_import_fills,
        )
