"""Registers the in-memory adapters. Loaded through galfriday's own `galfriday` entry point, like any plugin."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from galfriday.adapters.memory.archive import MemoryArchive
from galfriday.adapters.memory.artifacts import MemoryArtifactStore
from galfriday.adapters.memory.bus import MemoryEventBus
from galfriday.adapters.memory.exchange import FakeExchange
from galfriday.adapters.memory.notifier import MemoryNotifier
from galfriday.adapters.memory.runtime import MemoryModelRuntime
from galfriday.adapters.memory.store import MemoryStore
from galfriday.adapters.memory.trainer import MemoryTrainer
from galfriday.domain.instruments import TradingPair
from galfriday.domain.models import TrainingRequest
from galfriday.errors import ConfigurationError, InvalidValueError, ModelError
from galfriday.hookspecs import AdapterContext, RegisterAdapter, hookimpl

DEFAULT_PAIRS: tuple[TradingPair, ...] = (
    TradingPair("BTC/USD", price_precision=1, quantity_precision=8, min_quantity=Decimal("0.0001")),
    TradingPair("ETH/USD", price_precision=2, quantity_precision=8, min_quantity=Decimal("0.001")),
)
DEFAULT_BALANCES: Mapping[str, Decimal] = {
    "USD": Decimal("100000"),
    "BTC": Decimal("1"),
    "ETH": Decimal("10"),
}


def _pairs(settings: Mapping[str, Any]) -> tuple[TradingPair, ...]:
    raw = settings.get("pairs")
    if raw is None:
        return DEFAULT_PAIRS
    try:
        return tuple(TradingPair(**entry) for entry in raw)
    except (TypeError, InvalidValueError) as exc:
        raise ConfigurationError(
            "exchange.settings.pairs",
            raw,
            f"a list of tables with symbol, price_precision, quantity_precision ({exc})",
        ) from None


def _balances(settings: Mapping[str, Any]) -> dict[str, Decimal]:
    raw = settings.get("balances")
    if raw is None:
        return dict(DEFAULT_BALANCES)
    try:
        return {asset: Decimal(str(amount)) for asset, amount in raw.items()}
    except (AttributeError, ArithmeticError):
        raise ConfigurationError(
            "exchange.settings.balances", raw, 'a table such as {USD = "1000"}'
        ) from None


def _fee(settings: Mapping[str, Any], key: str, default: str) -> Decimal:
    value = settings.get(key, default)
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise ConfigurationError(
            f"exchange.settings.{key}", value, 'a decimal rate such as "0.0026"'
        ) from None


def make_fake_exchange(ctx: AdapterContext) -> FakeExchange:
    return FakeExchange(
        clock=ctx.clock,
        pairs=_pairs(ctx.settings),
        balances=_balances(ctx.settings),
        maker_fee=_fee(ctx.settings, "maker_fee", "0.0016"),
        taker_fee=_fee(ctx.settings, "taker_fee", "0.0026"),
    )


def _no_dataset(request: TrainingRequest) -> tuple[list[dict[str, float]], list[float]]:
    raise ModelError(
        f"the memory trainer has no dataset for {request.model_name!r}: construct MemoryTrainer(dataset=...) "
        "and pass it to App.from_config(overrides={'trainer': ...})"
    )


@hookimpl
def galfriday_register_exchanges(register: RegisterAdapter) -> None:
    register("memory", make_fake_exchange)


@hookimpl
def galfriday_register_stores(register: RegisterAdapter) -> None:
    register("memory", lambda ctx: MemoryStore())


@hookimpl
def galfriday_register_event_buses(register: RegisterAdapter) -> None:
    register("memory", lambda ctx: MemoryEventBus(maxsize=ctx.config.bus.maxsize))


@hookimpl
def galfriday_register_model_runtimes(register: RegisterAdapter) -> None:
    register("memory", lambda ctx: MemoryModelRuntime())


@hookimpl
def galfriday_register_artifact_stores(register: RegisterAdapter) -> None:
    register("memory", lambda ctx: MemoryArtifactStore())


@hookimpl
def galfriday_register_trainers(register: RegisterAdapter) -> None:
    register("memory", lambda ctx: MemoryTrainer(dataset=_no_dataset))


@hookimpl
def galfriday_register_notifiers(register: RegisterAdapter) -> None:
    register("memory", lambda ctx: MemoryNotifier())


@hookimpl
def galfriday_register_archives(register: RegisterAdapter) -> None:
    register("memory", lambda ctx: MemoryArchive())
