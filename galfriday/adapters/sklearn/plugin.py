"""Registers the built-in scikit-learn trainer as `sklearn`, through galfriday's own `galfriday` entry point.

Settings (`[models.settings]`): `symbol` (default "BTC/USD"), `interval_seconds` (3600), `horizon` (1 bar),
`max_trials` (8), `time_budget_seconds` (60). scikit-learn is imported only when the trainer is built, so
an install without the `train` extra still starts. The trainer reads candles from a store: the composition
root sets `trainer.store` to the app's store (a factory only sees configuration, not other adapters).
"""

from __future__ import annotations

from typing import Any

from galfriday.errors import ConfigurationError
from galfriday.hookspecs import AdapterContext, RegisterAdapter, hookimpl

DEFAULTS: dict[str, Any] = {
    "symbol": "BTC/USD",
    "interval_seconds": 3600,
    "horizon": 1,
    "max_trials": 8,
    "time_budget_seconds": 60.0,
}


def make_sklearn_trainer(ctx: AdapterContext) -> Any:
    try:
        from galfriday.adapters.sklearn.trainer import SklearnTrainer
    except ImportError as exc:
        raise ConfigurationError(
            "models.trainer", "sklearn", f"the train extra installed (pip install 'galfriday[train]'): {exc}"
        ) from None
    chosen = {key: ctx.settings.get(key, default) for key, default in DEFAULTS.items()}
    if not isinstance(chosen["symbol"], str) or not chosen["symbol"]:
        raise ConfigurationError("models.settings.symbol", chosen["symbol"], "a symbol such as 'BTC/USD'")
    for key in ("interval_seconds", "horizon", "max_trials"):
        value = chosen[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigurationError(f"models.settings.{key}", value, "a whole number >= 1")
    seconds = chosen["time_budget_seconds"]
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise ConfigurationError("models.settings.time_budget_seconds", seconds, "zero or more seconds")
    return SklearnTrainer(
        None,
        symbol=chosen["symbol"],
        interval_seconds=chosen["interval_seconds"],
        horizon=chosen["horizon"],
        max_trials=chosen["max_trials"],
        time_budget_seconds=float(seconds),
        clock=ctx.clock,
    )


@hookimpl
def galfriday_register_trainers(register: RegisterAdapter) -> None:
    register("sklearn", make_sklearn_trainer)
