"""Two looks at the same account: only what both found is confirmed; what vanished has settled."""

from __future__ import annotations

from decimal import Decimal

from galfriday.domain.reconciliation import Discrepancy, DiscrepancyKind, Scope
from galfriday.domain.reconciliation_confirmation import confirm

D = Decimal


def balance(asset: str, ours: str, theirs: str) -> Discrepancy:
    return Discrepancy(
        DiscrepancyKind.BALANCE_MISMATCH,
        f"balance:{asset}",
        Scope.ASSET,
        asset,
        D(ours),
        D(theirs),
        "differs",
    )


def test_a_discrepancy_both_looks_found_is_confirmed() -> None:
    result = confirm([balance("BTC", "1", "2")], [balance("BTC", "1", "2")])
    assert [d.subject for d in result.confirmed] == ["balance:BTC"]
    assert result.settled == ()


def test_a_discrepancy_the_second_look_no_longer_finds_has_settled() -> None:
    result = confirm([balance("BTC", "1", "2"), balance("ETH", "5", "6")], [balance("ETH", "5", "6")])
    assert [d.subject for d in result.settled] == ["balance:BTC"]
    assert [d.subject for d in result.confirmed] == ["balance:ETH"]


def test_the_same_subject_with_other_values_is_not_the_same_discrepancy() -> None:
    result = confirm([balance("BTC", "1", "2")], [balance("BTC", "1.5", "2")])
    assert result.confirmed == ()
    assert [d.internal for d in result.settled] == [D(1)]


def test_what_only_the_second_look_found_is_left_for_the_next_run() -> None:
    result = confirm([], [balance("BTC", "1", "2")])
    assert result.confirmed == ()
    assert result.settled == ()
