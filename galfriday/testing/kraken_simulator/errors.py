"""The one error the simulator's core raises: a Kraken error string, answered verbatim to the client."""

from __future__ import annotations


class KrakenError(Exception):
    """A refusal in Kraken's own words, such as `EOrder:Insufficient funds`."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def invalid_arguments(field: str | None = None) -> KrakenError:
    """`EGeneral:Invalid arguments[:field]`, Kraken's answer to a malformed parameter."""
    return KrakenError("EGeneral:Invalid arguments" + (f":{field}" if field else ""))
