"""galfriday.testing.eventually: poll a check until it holds, or fail naming what never happened."""

from __future__ import annotations

import pytest

from galfriday.testing.eventually import eventually


async def test_it_returns_once_a_check_that_was_false_holds() -> None:
    calls: list[int] = []

    def third_call_holds() -> bool:
        calls.append(1)
        return len(calls) >= 3

    await eventually(third_call_holds, "the third call", within=1.0)

    assert len(calls) == 3


async def test_a_coroutine_check_is_awaited() -> None:
    async def awaited_false() -> bool:
        return False

    with pytest.raises(AssertionError):  # a coroutine object is truthy: only its awaited result counts
        await eventually(awaited_false, "an awaited check holding", within=0.05)


async def test_a_check_that_never_holds_fails_naming_what_did_not_happen() -> None:
    with pytest.raises(AssertionError, match=r"^the order filling did not happen within 0.05s$"):
        await eventually(lambda: False, "the order filling", within=0.05)
