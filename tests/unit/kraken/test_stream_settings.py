"""Stream settings refuse what Kraken or the stream cannot work with, naming the value."""

from __future__ import annotations

from typing import Any

import pytest

from galfriday.adapters.kraken.stream import KrakenStream, StreamSettings
from galfriday.adapters.kraken.ws_connection import LivenessPolicy
from galfriday.errors import InvalidValueError


def test_the_defaults_are_valid() -> None:
    assert StreamSettings().book_depth == 10


@pytest.mark.parametrize(
    "options",
    [
        {"book_depth": 20},
        {"queue_size": 0},
        {"silence_timeout": 0},
        {"ping_interval": -1.0},
        {"request_timeout": True},
        {"connections_per_window": 0},
    ],
)
def test_impossible_settings_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidValueError) as refused:
        StreamSettings(**options)
    assert next(iter(options)) in str(refused.value)


def test_a_liveness_policy_needs_positive_times() -> None:
    with pytest.raises(InvalidValueError, match="silence_timeout"):
        LivenessPolicy(silence_timeout=0)


def test_a_private_stream_needs_the_private_url() -> None:
    class Tokens:
        async def get_websockets_token(self) -> Any: ...

    with pytest.raises(InvalidValueError, match="ws_auth_url"):
        KrakenStream("wss://ws.kraken.com/v2", tokens=Tokens())
