"""Walk-forward splits of time-ordered rows, purged so no training label peeks into the validation rows.

A label looking `purge` bars ahead (the label horizon) makes the last `purge` training rows before a
validation block overlap it in time; they are dropped (purged). `embargo` drops extra rows after the gap
when more caution is wanted. The final holdout is the last `holdout_fraction` of the rows, never used by the
hyperparameter search; the search runs expanding-window folds over the rows before it.
"""

from __future__ import annotations

from attrs import frozen

from galfriday.errors import InvalidValueError


@frozen
class Split:
    """Train on rows [0, train_end), validate on rows [validate_start, validate_end)."""

    train_end: int
    validate_start: int
    validate_end: int

    @property
    def train_rows(self) -> range:
        return range(self.train_end)

    @property
    def validate_rows(self) -> range:
        return range(self.validate_start, self.validate_end)


def _gap(purge: int, embargo: int) -> int:
    if purge < 0 or embargo < 0:
        raise InvalidValueError("purge/embargo", (purge, embargo), "zero or more rows")
    return purge + embargo


def holdout_split(rows: int, holdout_fraction: float = 0.2, *, purge: int = 1, embargo: int = 0) -> Split:
    """The final holdout: the last `holdout_fraction` of `rows`, training on everything before the gap."""
    if not 0.0 < holdout_fraction < 1.0:
        raise InvalidValueError("holdout_fraction", holdout_fraction, "a fraction in (0, 1)")
    start = rows - max(1, round(rows * holdout_fraction))
    train_end = start - _gap(purge, embargo)
    if train_end < 1:
        raise InvalidValueError("rows", rows, f"more rows than the holdout and a gap of {purge + embargo}")
    return Split(train_end, start, rows)


def expanding_folds(rows: int, folds: int = 4, *, purge: int = 1, embargo: int = 0) -> tuple[Split, ...]:
    """`folds` consecutive validation blocks over the second half of `rows`, each trained on all before it.

    The first half is always training data, so the first fold already has a sensible amount of it.
    """
    if folds < 1:
        raise InvalidValueError("folds", folds, "at least 1")
    gap = _gap(purge, embargo)
    first = rows // 2
    size = (rows - first) // folds
    if size < 1 or first - gap < 1:
        raise InvalidValueError("rows", rows, f"enough rows for {folds} folds after a gap of {gap}")
    splits = []
    for k in range(folds):
        start = first + k * size
        end = rows if k == folds - 1 else start + size
        splits.append(Split(start - gap, start, end))
    return tuple(splits)
