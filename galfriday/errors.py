"""Typed errors. Each carries the offending values and says what was expected.

Depends on nothing but the standard library so that every layer, the domain included, may raise them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


class GalfridayError(Exception):
    """Base of every error galfriday raises on purpose."""


# --- values and domain rules -------------------------------------------------------------------------


class DomainError(GalfridayError):
    """A domain rule was broken."""


class InvalidValueError(DomainError, ValueError):
    """A value has the wrong type or form; names the field, the value and the expected form."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{field}: got {value!r} ({type(value).__name__}); expected {expected}")


class FloatAmountError(InvalidValueError):
    """A float reached a money or quantity field; floats cannot hold exact amounts."""


class NaiveDatetimeError(InvalidValueError):
    """A datetime without a timezone reached a field that needs UTC."""


class InvalidOrderTransition(DomainError):  # noqa: N818 - public name, kept stable
    """An order status change the state machine forbids."""

    def __init__(self, order_id: str, current: str, requested: str) -> None:
        self.order_id = order_id
        self.current = current
        self.requested = requested
        super().__init__(f"order {order_id}: cannot move from {current!r} to {requested!r}")


class OverfillError(DomainError):
    """An execution would fill an order beyond its quantity (or beyond what it had when it closed)."""

    def __init__(
        self, order_id: str, exec_id: str, limit: Decimal, filled: Decimal, quantity: Decimal
    ) -> None:
        self.order_id = order_id
        self.exec_id = exec_id
        self.limit = limit
        self.filled = filled
        self.quantity = quantity
        super().__init__(
            f"order {order_id}: execution {exec_id} of {quantity} on top of {filled} filled "
            f"exceeds the fillable limit {limit}"
        )


class ExecutionMismatchError(DomainError):
    """An execution names a different order, symbol or side than the order it is applied to."""

    def __init__(self, order_id: str, exec_id: str, field: str, order_value: Any, exec_value: Any) -> None:
        self.order_id = order_id
        self.exec_id = exec_id
        self.field = field
        super().__init__(
            f"execution {exec_id} does not belong to order {order_id}: "
            f"{field} is {exec_value!r} on the execution and {order_value!r} on the order"
        )


class ConflictingExecutionError(DomainError):
    """Two reports of one exec id disagree on what was filled: a real conflict, not the same fill said twice."""

    def __init__(self, exec_id: str, field: str, stored: Any, reported: Any) -> None:
        self.exec_id = exec_id
        self.field = field
        self.stored = stored
        self.reported = reported
        super().__init__(
            f"execution {exec_id} reported again with {field} {reported!r}, "
            f"but it is stored with {field} {stored!r}"
        )


# --- configuration and plugins ---------------------------------------------------------------------


class ConfigurationError(GalfridayError, ValueError):
    """Invalid configuration: names the key, the bad value and the expected form."""

    def __init__(self, key: str, value: Any, expected: str, *, secret: bool = False) -> None:
        self.key = key
        self.expected = expected
        shown = "<redacted>" if secret else repr(value)
        super().__init__(f"configuration {key}: got {shown}; expected {expected}")


class UnknownAdapterError(ConfigurationError):
    """Configuration names an adapter that no installed plugin registers."""

    def __init__(self, kind: str, name: str, installed: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.installed = sorted(installed)
        listed = ", ".join(self.installed) or "none"
        super().__init__(f"{kind} adapter", name, f"one of the installed {kind} adapters: {listed}")


class PluginError(GalfridayError):
    """A plugin failed to load or registered something invalid."""


class StartupError(GalfridayError):
    """The application could not start; the adapters started so far have been closed."""


# --- stores ------------------------------------------------------------------------------------------


class StoreError(GalfridayError):
    """A store operation failed."""


class DuplicateKeyError(StoreError):
    """A row with the same unique key exists and the new one differs from it."""

    def __init__(self, entity: str, key: Any) -> None:
        self.entity = entity
        self.key = key
        super().__init__(f"{entity} {key!r} already exists with different content")


class NotFoundError(StoreError, LookupError):
    """A row that must exist does not."""

    def __init__(self, entity: str, key: Any) -> None:
        self.entity = entity
        self.key = key
        super().__init__(f"{entity} {key!r} not found")


class ArchiveMismatchError(StoreError):
    """An archive holds a different number of rows than were read or deleted; nothing was deleted."""


class UnitOfWorkError(StoreError):
    """A unit of work was used outside its `async with` block or after it ended."""


# --- exchanges ---------------------------------------------------------------------------------------


class ExchangeError(GalfridayError):
    """The exchange answered with an error, or could not be asked."""


class OutcomeUnknownError(ExchangeError):
    """We could not learn the outcome (network error, timeout). Never the same as "not found"."""


class OrderNotFoundError(ExchangeError, LookupError):
    """The exchange answered definitively that it has no such order."""

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(f"the exchange has no order {order_id!r}")


class InsufficientFundsError(ExchangeError):
    """The exchange refused an order for lack of funds."""


class InvalidOrderError(ExchangeError):
    """The exchange refused an order's arguments."""


class RateLimitedError(ExchangeError):
    """The exchange (or our own counter) refused the call for rate; retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class AuthenticationError(ExchangeError):
    """The exchange refused our credentials or their permissions; retrying will not help until they change."""


class TradingHaltedError(GalfridayError):
    """New orders are halted; `reasons` maps each reason's key (`reconciliation`, `stream`) to its detail."""

    def __init__(self, reasons: dict[str, str]) -> None:
        self.reasons = dict(reasons)
        listed = "; ".join(f"{key}: {detail}" for key, detail in sorted(self.reasons.items()))
        super().__init__(f"trading is halted ({listed}); resolve these, then retry the order")


class BusClosedError(GalfridayError):
    """Publishing to, or subscribing on, an event bus that has been closed."""


class ModelError(GalfridayError):
    """A model artifact or inference failed."""


class IntegrityError(ModelError):
    """An artifact's bytes do not match the sha256 recorded for it."""

    def __init__(self, uri: str, expected: str, actual: str) -> None:
        self.uri = uri
        self.expected = expected
        self.actual = actual
        super().__init__(f"artifact {uri}: sha256 is {actual}, expected {expected}; refusing to load it")
