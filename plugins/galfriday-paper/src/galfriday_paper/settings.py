"""`[exchange.settings]` of the paper exchange, read into typed values with errors that name the key.

[exchange]
adapter = "paper"

[exchange.settings]
pairs = [{symbol = "BTC/USD", price_precision = 1, quantity_precision = 8, min_quantity = "0.0001"}]
balances = {USD = "100000"}
maker_fee = "0.0016"
taker_fee = "0.0026"
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from attrs import frozen

from galfriday.domain.instruments import TradingPair, asset_code
from galfriday.errors import ConfigurationError, InvalidValueError
from galfriday_paper.exchange import DEFAULT_MAKER_FEE, DEFAULT_TAKER_FEE

DEFAULT_PAIRS: tuple[TradingPair, ...] = (
    TradingPair("BTC/USD", price_precision=1, quantity_precision=8, min_quantity=Decimal("0.0001")),
    TradingPair("ETH/USD", price_precision=2, quantity_precision=8, min_quantity=Decimal("0.001")),
)
DEFAULT_BALANCES: Mapping[str, Decimal] = {"USD": Decimal("100000")}
KNOWN_KEYS = frozenset({"pairs", "balances", "maker_fee", "taker_fee"})


@frozen
class PaperSettings:
    pairs: tuple[TradingPair, ...] = DEFAULT_PAIRS
    balances: Mapping[str, Decimal] = DEFAULT_BALANCES
    maker_fee: Decimal = DEFAULT_MAKER_FEE
    taker_fee: Decimal = DEFAULT_TAKER_FEE

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> PaperSettings:
        """Read the settings table; a missing key takes its default, an unknown or malformed one is refused."""
        for key in sorted(set(settings) - KNOWN_KEYS):
            raise ConfigurationError(
                f"exchange.settings.{key}", settings[key], f"one of {sorted(KNOWN_KEYS)}"
            )
        return cls(
            pairs=_pairs(settings.get("pairs")),
            balances=_balances(settings.get("balances")),
            maker_fee=_rate("maker_fee", settings.get("maker_fee", DEFAULT_MAKER_FEE)),
            taker_fee=_rate("taker_fee", settings.get("taker_fee", DEFAULT_TAKER_FEE)),
        )


def _decimal(value: Any) -> Decimal:
    """A TOML value as a Decimal: strings and integers exactly, a float by its shortest text ('0.0016')."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ArithmeticError(value)
    result = Decimal(str(value))
    if not result.is_finite():
        raise ArithmeticError(value)
    return result


def _pairs(raw: Any) -> tuple[TradingPair, ...]:
    if raw is None:
        return DEFAULT_PAIRS
    expected = 'a list of tables such as {symbol = "BTC/USD", price_precision = 1, quantity_precision = 8}'
    if not isinstance(raw, list) or not raw:
        raise ConfigurationError("exchange.settings.pairs", raw, expected)
    try:
        pairs = tuple(TradingPair(**_pair_fields(entry)) for entry in raw)
    except (TypeError, AttributeError, ArithmeticError, InvalidValueError) as exc:
        raise ConfigurationError("exchange.settings.pairs", raw, f"{expected} ({exc})") from None
    symbols = [pair.symbol for pair in pairs]
    if len(set(symbols)) != len(symbols):
        raise ConfigurationError("exchange.settings.pairs", symbols, "each symbol once")
    return pairs


def _pair_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _decimal(value) if key == "min_quantity" else value for key, value in entry.items()}


def _balances(raw: Any) -> dict[str, Decimal]:
    if raw is None:
        return dict(DEFAULT_BALANCES)
    try:
        balances = {asset_code(asset): _decimal(amount) for asset, amount in raw.items()}
    except (AttributeError, ArithmeticError, InvalidValueError):
        raise ConfigurationError(
            "exchange.settings.balances", raw, 'a table such as {USD = "100000"}'
        ) from None
    for asset, amount in balances.items():
        if amount < 0:
            raise ConfigurationError(f"exchange.settings.balances.{asset}", amount, "zero or more")
    return balances


def _rate(key: str, raw: Any) -> Decimal:
    try:
        rate = _decimal(raw)
    except ArithmeticError:
        rate = None
    if rate is None or not 0 <= rate < 1:
        raise ConfigurationError(f"exchange.settings.{key}", raw, 'a rate from 0 up to 1, such as "0.0026"')
    return rate
