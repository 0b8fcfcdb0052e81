"""Errors of the Kraken WebSocket message pipeline; each carries the start of the offending frame."""

from __future__ import annotations

from galfriday.errors import ExchangeError

EXCERPT_CHARS = 200


def excerpt(frame: object) -> str:
    """The first 200 characters of a frame, decoded leniently, for an error message or a log line."""
    if isinstance(frame, bytes | bytearray | memoryview):
        return bytes(frame[: EXCERPT_CHARS * 4]).decode("utf-8", "replace")[:EXCERPT_CHARS]
    if isinstance(frame, str):
        return frame[:EXCERPT_CHARS]
    return repr(frame)[:EXCERPT_CHARS]


class KrakenMessageError(ExchangeError):
    """A WebSocket frame is not a Kraken v2 message we can read: bad JSON, wrong shape or impossible values."""

    summary = "unreadable Kraken WebSocket message"

    def __init__(self, reason: str, frame: object) -> None:
        self.reason = reason
        self.frame = excerpt(frame)
        super().__init__(f"{self.summary} ({reason}): {self.frame!r}")


class KrakenTranslationError(KrakenMessageError):
    """A well-formed Kraken message whose values the domain refuses, or which lacks what a domain event needs.

    `frame` holds the start of the message (or of the entry of it) that was refused.
    """

    summary = "Kraken message not translatable"
