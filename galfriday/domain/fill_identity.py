"""When two reports of one exec id are the same fill.

An exchange can report one fill through two channels that say it differently: Kraken's WebSocket execution
carries the client order id and the exact time, its REST TradesHistory neither (and a time rounded to a tenth
of a millisecond). Both are the same fill when every economic field agrees (order id, symbol, side, quantity,
price, fee and fee currency), the optional fields (client order id, liquidity, trade id) agree wherever both
sides have them, and the times lie within a tolerance. Anything else under one exec id is a real conflict.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs

from galfriday.domain.executions import Execution, Liquidity
from galfriday.errors import ConflictingExecutionError, InvalidValueError

__all__ = ["DEFAULT_TIME_TOLERANCE", "same_fill"]

DEFAULT_TIME_TOLERANCE = timedelta(seconds=1)
"""How far apart two reports of one fill may place it in time (REST rounds; the stream does not)."""

_ECONOMIC = ("order_id", "symbol", "side", "quantity", "price", "fee", "fee_currency")


def same_fill(
    stored: Execution, reported: Execution, time_tolerance: timedelta = DEFAULT_TIME_TOLERANCE
) -> Execution:
    """The stored fill, completed with the optional fields only `reported` has.

    Raises `ConflictingExecutionError` naming the first field on which they disagree (or `timestamp` when
    they lie further apart than `time_tolerance`), and `InvalidValueError` for a negative tolerance or two
    different exec ids.
    """
    if time_tolerance < timedelta(0):
        raise InvalidValueError("time_tolerance", time_tolerance, "a timedelta of zero or more")
    if stored.exec_id != reported.exec_id:
        raise InvalidValueError(
            "reported.exec_id", reported.exec_id, f"the stored exec id {stored.exec_id!r}"
        )
    for name in _ECONOMIC:
        _agree(stored, reported, name, getattr(stored, name), getattr(reported, name))
    if abs(stored.timestamp - reported.timestamp) > time_tolerance:
        _conflict(stored, reported, "timestamp")
    filled_in: dict[str, Any] = {}
    for name in ("client_order_id", "trade_id"):
        mine, theirs = getattr(stored, name), getattr(reported, name)
        if mine is None:
            filled_in[name] = theirs
        elif theirs is not None:
            _agree(stored, reported, name, mine, theirs)
    if stored.liquidity is Liquidity.UNKNOWN:
        filled_in["liquidity"] = reported.liquidity
    elif reported.liquidity is not Liquidity.UNKNOWN:
        _agree(stored, reported, "liquidity", stored.liquidity, reported.liquidity)
    completed = attrs.evolve(stored, **filled_in)
    return stored if completed == stored else completed


def _agree(stored: Execution, reported: Execution, name: str, mine: object, theirs: object) -> None:
    if mine != theirs:
        _conflict(stored, reported, name)


def _conflict(stored: Execution, reported: Execution, name: str) -> None:
    raise ConflictingExecutionError(stored.exec_id, name, getattr(stored, name), getattr(reported, name))
