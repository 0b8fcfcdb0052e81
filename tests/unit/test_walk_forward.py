"""Walk-forward splits: training always ends before validation begins, by at least the purge gap."""

from __future__ import annotations

import pytest

from galfriday.domain.walk_forward import Split, expanding_folds, holdout_split
from galfriday.errors import InvalidValueError


def test_holdout_is_the_last_fifth_with_the_purge_gap_before_it() -> None:
    assert holdout_split(100, purge=3) == Split(77, 80, 100)


def test_embargo_widens_the_gap() -> None:
    assert holdout_split(100, purge=1, embargo=4) == Split(75, 80, 100)


def test_folds_cover_the_second_half_in_order_without_overlap() -> None:
    folds = expanding_folds(103, 4, purge=2)
    assert [(f.validate_start, f.validate_end) for f in folds] == [(51, 64), (64, 77), (77, 90), (90, 103)]
    assert [f.train_end for f in folds] == [49, 62, 75, 88]


@pytest.mark.parametrize(("rows", "folds", "purge"), [(100, 4, 1), (57, 3, 5), (1000, 6, 0)])
def test_no_training_row_is_within_the_purge_of_its_validation_block(
    rows: int, folds: int, purge: int
) -> None:
    for split in expanding_folds(rows, folds, purge=purge):
        assert max(split.train_rows) + purge < split.validate_start


def test_too_few_rows_for_the_folds_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="rows"):
        expanding_folds(6, 4)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2])
def test_a_holdout_fraction_outside_0_1_is_refused(fraction: float) -> None:
    with pytest.raises(InvalidValueError, match="holdout_fraction"):
        holdout_split(100, fraction)
