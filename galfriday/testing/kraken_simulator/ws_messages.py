"""Envelopes of WebSocket v2 responses: method acks (success or error, `time_in`/`time_out`) and channel
messages (`snapshot`/`update`, with `sequence` where Kraken carries one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from galfriday.testing.kraken_simulator.wire import rfc3339


def ack(
    method: str,
    req_id: int | None,
    time_in: datetime,
    time_out: datetime,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    symbol: str | None = None,
) -> dict[str, Any]:
    """`{"method", "req_id"?, "result"|"error", "success", "time_in", "time_out"}`."""
    message: dict[str, Any] = {"method": method}
    if req_id is not None:
        message["req_id"] = req_id
    if error is None:
        message["result"] = result or {}
        message["success"] = True
    else:
        message["error"] = error
        message["success"] = False
        if symbol is not None:
            message["symbol"] = symbol
    message["time_in"] = rfc3339(time_in)
    message["time_out"] = rfc3339(time_out)
    return message


def channel_message(
    channel: str, kind: str, data: Any, *, sequence: int | None = None, timestamp: str | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"channel": channel, "type": kind}
    if timestamp is not None:
        message["timestamp"] = timestamp
    message["data"] = data
    if sequence is not None:
        message["sequence"] = sequence
    return message
