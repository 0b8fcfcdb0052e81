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


def test_the_same_subject_with_another_gap_is_not_the_same_discrepancy() -> None:
    result = confirm([balance("BTC", "1", "2")], [balance("BTC", "1.5", "2")])
    assert result.confirmed == ()
    assert [d.internal for d in result.settled] == [D(1)]


def test_a_real_drift_is_confirmed_while_both_sides_keep_moving() -> None:
    """A missed 0.1 BTC fill: between the looks we traded 0.4 BTC more, and the exchange counted it too."""
    result = confirm([balance("BTC", "1.0", "1.1")], [balance("BTC", "1.4", "1.5")])
    assert [(d.internal, d.reference) for d in result.confirmed] == [(D("1.4"), D("1.5"))]
    assert result.settled == ()


def test_a_side_appearing_or_vanishing_is_another_discrepancy_even_with_the_same_gap() -> None:
    missing = Discrepancy(
        DiscrepancyKind.BALANCE_MISMATCH, "balance:BTC", Scope.ASSET, "BTC", None, D("0.1"), "we hold none"
    )
    result = confirm([missing], [balance("BTC", "0", "0.1")])
    assert result.confirmed == ()


def test_what_only_the_second_look_found_is_left_for_the_next_run() -> None:
    result = confirm([], [balance("BTC", "1", "2")])
    assert result.confirmed == ()
    assert result.settled == ()
