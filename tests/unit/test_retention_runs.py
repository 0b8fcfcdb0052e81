"""Retention runs: the audit record of one policy's run, and the folder that holds its archive files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import attrs
import pytest

from galfriday.domain.retention import (
    RetentionAction,
    RetentionOutcome,
    RetentionPolicy,
    RetentionRun,
    RetentionRunStatus,
    common_folder,
)
from galfriday.errors import InvalidValueError, NaiveDatetimeError
from galfriday.testing import samples

POLICY = RetentionPolicy(table="candles", interval_seconds=60, keep_days=2)
CUTOFF = datetime(2026, 11, 22, tzinfo=UTC)
STARTED = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


def outcome(symbol: str, day: int, rows: int, path: str | None) -> RetentionOutcome:
    action = RetentionAction(POLICY, CUTOFF, date(2026, 11, day), rows, symbol=symbol)
    return RetentionOutcome(action, rows if path else 0, rows, path)


def summarize(outcomes: list[RetentionOutcome], status: RetentionRunStatus) -> RetentionRun:
    return RetentionRun.summarize(
        run_id="abc",
        policy=POLICY,
        cutoff=CUTOFF,
        outcomes=outcomes,
        status=status,
        started_at=STARTED,
        finished_at=STARTED + timedelta(seconds=3),
    )


def test_a_run_totals_its_outcomes_under_the_policy_label() -> None:
    run = summarize(
        [
            outcome("BTC/USD", 20, 4, "arc/candles/interval=60/symbol=BTC-USD/date=2026-11-20/part-001"),
            outcome("ETH/USD", 20, 5, "arc/candles/interval=60/symbol=ETH-USD/date=2026-11-20/part-001"),
        ],
        RetentionRunStatus.SUCCESS,
    )
    assert (run.id, run.table_name, run.cutoff) == ("abc", "candles[60s]", CUTOFF)
    assert (run.archived_rows, run.deleted_rows, run.status) == (9, 9, RetentionRunStatus.SUCCESS)
    assert run.archive_path == "arc/candles/interval=60"
    assert (run.started_at, run.finished_at) == (STARTED, STARTED + timedelta(seconds=3))


def test_a_run_of_one_file_points_at_that_file() -> None:
    path = "arc/candles/interval=60/symbol=BTC-USD/date=2026-11-20/part-001"
    assert summarize([outcome("BTC/USD", 20, 4, path)], RetentionRunStatus.SUCCESS).archive_path == path


def test_a_run_that_archived_nothing_has_no_archive_path() -> None:
    run = summarize([outcome("BTC/USD", 20, 4, None)], RetentionRunStatus.SUCCESS)
    assert (run.archive_path, run.archived_rows, run.deleted_rows) == (None, 0, 4)


def test_a_failed_run_before_any_work_counts_nothing() -> None:
    run = summarize([], RetentionRunStatus.FAILED)
    assert (run.archived_rows, run.deleted_rows, run.archive_path) == (0, 0, None)
    assert run.status == "failed"


def test_run_times_are_normalised_to_utc() -> None:
    east = timezone(timedelta(hours=5, minutes=45))
    run = samples.retention_run(cutoff=CUTOFF.astimezone(east), started_at=STARTED.astimezone(east))
    assert run.cutoff == CUTOFF
    assert run.started_at.utcoffset() == timedelta(0)
    assert run.finished_at.utcoffset() == timedelta(0)


def test_a_naive_run_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        samples.retention_run(cutoff=datetime(2026, 11, 22))


def test_a_run_cannot_finish_before_it_started() -> None:
    with pytest.raises(InvalidValueError, match="finished_at"):
        samples.retention_run(finished_at=samples.T0 - timedelta(microseconds=1))


@pytest.mark.parametrize("field", ["archived_rows", "deleted_rows"])
@pytest.mark.parametrize("value", [-1, True, 1.0])
def test_row_counts_are_whole_numbers_of_zero_or_more(field: str, value: object) -> None:
    with pytest.raises(InvalidValueError):
        samples.retention_run(**{field: value})


@pytest.mark.parametrize("value", ["", None, 7])
def test_a_run_id_is_a_non_empty_string(value: object) -> None:
    with pytest.raises(InvalidValueError):
        samples.retention_run(value)


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="dry_run"):
        samples.retention_run(status="dry_run")


def test_a_status_is_read_from_its_stored_text() -> None:
    assert attrs.evolve(samples.retention_run(), status="failed").status is RetentionRunStatus.FAILED


@pytest.mark.parametrize(
    ("paths", "folder"),
    [
        ([], None),
        (["a/b/part-001"], "a/b/part-001"),
        (["a/b/part-001", "a/b/part-001"], "a/b/part-001"),
        (["a/b/part-001", "a/b/part-002"], "a/b"),
        (["a/b/x/part-001", "a/c/y/part-001"], "a"),
        (["a/part-001", "a/b/part-001"], "a"),
        (["a/part-001", "b/part-001"], None),
        (["/srv/a/part-001", "/var/b/part-001"], "/"),
        (["memory://candles/x/part-001", "memory://candles/y/part-001"], "memory://candles"),
        (["memory://candles/part-001", "memory://raw_journal/part-001"], "memory://"),
        ([r"C:\arc\d1\p.parquet", r"C:\arc\d2\p.parquet"], r"C:\arc"),
        (["arc/ab/part-001", "arc/ac/part-001"], "arc"),
    ],
)
def test_the_common_folder_of_archive_files(paths: list[str], folder: str | None) -> None:
    assert common_folder(paths) == folder
