"""The order gate: open unless some source holds it closed, and then it says who and why."""

from __future__ import annotations

import asyncio

import pytest

from galfriday.errors import OrderGateClosedError
from galfriday.services.order_gate import OrderGate


def test_a_new_gate_is_open() -> None:
    gate = OrderGate()

    gate.require_open()

    assert gate.is_open


def test_a_hold_closes_it_with_its_reason() -> None:
    gate = OrderGate()

    gate.close("stream", "disconnected")

    assert not gate.is_open
    with pytest.raises(OrderGateClosedError, match="stream: disconnected") as closed:
        gate.require_open()
    assert closed.value.reasons == {"stream": "disconnected"}


def test_it_opens_only_when_every_source_has_let_go() -> None:
    gate = OrderGate()
    gate.close("stream", "disconnected")
    gate.close("reconciliation", "drift")

    gate.open("stream")

    assert gate.reasons() == {"reconciliation": "drift"}
    gate.open("reconciliation")
    assert gate.is_open


def test_closing_again_replaces_the_sources_reason() -> None:
    gate = OrderGate()
    gate.close("stream", "disconnected")

    gate.close("stream", "backfilling")

    assert gate.reasons() == {"stream": "backfilling"}


def test_releasing_a_source_that_holds_nothing_changes_nothing() -> None:
    gate = OrderGate()
    gate.close("stream", "disconnected")

    gate.open("operator")

    assert gate.reasons() == {"stream": "disconnected"}


async def test_waiting_ends_when_the_gate_opens() -> None:
    gate = OrderGate()
    gate.close("stream", "disconnected")
    waiting = asyncio.ensure_future(gate.wait_open())
    await asyncio.sleep(0)
    assert not waiting.done()

    gate.open("stream")

    await asyncio.wait_for(waiting, 1)
