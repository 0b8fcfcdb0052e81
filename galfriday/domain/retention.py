"""Retention policies: what expires when, in whole UTC days, and what a retention run did."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from attrs import field, frozen

from galfriday.domain.timestamps import to_utc
from galfriday.errors import InvalidValueError

RETAINED_TABLES = ("candles", "raw_journal")


def _table(value: object) -> str:
    if value not in RETAINED_TABLES:
        raise InvalidValueError("retention table", value, f"one of {', '.join(RETAINED_TABLES)}")
    return str(value)


def _keep_days(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidValueError("keep_days", value, "a whole number of days, at least 1")
    return value


def start_of_day(instant: datetime) -> datetime:
    """Midnight UTC of the day `instant` falls in."""
    return datetime.combine(to_utc(instant).date(), time(0), tzinfo=UTC)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[midnight, next midnight) of a UTC day."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


@frozen
class RetentionPolicy:
    """Keep `keep_days` whole UTC days of `table` (for candles: of one interval); archive before deleting."""

    table: str = field(converter=_table)
    keep_days: int = field(converter=_keep_days)
    interval_seconds: int | None = None
    archive: bool = True

    def __attrs_post_init__(self) -> None:
        if self.table == "candles" and self.interval_seconds is None:
            raise InvalidValueError(
                "interval_seconds", None, "the candle interval this policy applies to, e.g. 60"
            )

    def cutoff(self, now: datetime) -> datetime:
        """Rows older than this (midnight UTC, `keep_days` before today) expire."""
        return start_of_day(now) - timedelta(days=self.keep_days)

    @property
    def label(self) -> str:
        return f"{self.table}[{self.interval_seconds}s]" if self.interval_seconds else self.table


@frozen
class CandleDay:
    """How many candles of one symbol and interval open on one UTC day."""

    symbol: str
    interval_seconds: int
    day: date
    rows: int


@frozen
class RetentionAction:
    """One unit of retention work: a table partition (symbol and day, or day) to archive and delete."""

    policy: RetentionPolicy
    cutoff: datetime = field(converter=to_utc)
    day: date
    rows: int
    symbol: str | None = None


@frozen
class RetentionOutcome:
    """What one action did: rows archived (verified in the file), rows deleted, where the archive went."""

    action: RetentionAction
    archived_rows: int
    deleted_rows: int
    archive_path: str | None


class RetentionRunStatus(StrEnum):
    """How a retention run of one policy ended; a dry run changes nothing and is not recorded."""

    SUCCESS = "success"
    FAILED = "failed"


def _run_id(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidValueError("retention run id", value, "a non-empty string, e.g. uuid4().hex")
    return value


def _row_count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidValueError("row count", value, "a whole number, zero or more")
    return value


@frozen
class RetentionRun:
    """The audit record of one policy's retention run: what expired, what was archived and deleted, how it ended.

    `id` is a uuid4 hex chosen by the service when the run starts (unique without coordination; the store
    refuses a different run under a used id). `table_name` is the policy label (`candles[60s]`). A failed run
    counts only the work committed before the failure. `archive_path` is the one file written, or the folder
    common to all of them; None when nothing was archived.
    """

    id: str = field(converter=_run_id)
    table_name: str
    cutoff: datetime = field(converter=to_utc)
    archived_rows: int = field(converter=_row_count)
    deleted_rows: int = field(converter=_row_count)
    archive_path: str | None
    status: RetentionRunStatus = field(converter=RetentionRunStatus)
    started_at: datetime = field(converter=to_utc)
    finished_at: datetime = field(converter=to_utc)

    def __attrs_post_init__(self) -> None:
        if self.finished_at < self.started_at:
            raise InvalidValueError(
                "finished_at", self.finished_at, f"at or after started_at {self.started_at}"
            )

    @classmethod
    def summarize(
        cls,
        *,
        run_id: str,
        policy: RetentionPolicy,
        cutoff: datetime,
        outcomes: Sequence[RetentionOutcome],
        status: RetentionRunStatus,
        started_at: datetime,
        finished_at: datetime,
    ) -> RetentionRun:
        """The run of `policy` that produced `outcomes`: their totals, and the folder of their archive files."""
        paths = [o.archive_path for o in outcomes if o.archive_path is not None]
        return cls(
            id=run_id,
            table_name=policy.label,
            cutoff=cutoff,
            archived_rows=sum(o.archived_rows for o in outcomes),
            deleted_rows=sum(o.deleted_rows for o in outcomes),
            archive_path=common_folder(paths),
            status=status,
            started_at=started_at,
            finished_at=finished_at,
        )


_SEPARATORS = re.compile(r"([/\\])")


def common_folder(paths: Sequence[str]) -> str | None:
    """The one path itself, or the deepest folder holding every path (`/` or `\\` separated); None if none."""
    if len(set(paths)) <= 1:
        return paths[0] if paths else None
    split = [_SEPARATORS.split(path)[:-1] for path in paths]  # tokens of each path's folder
    common: list[str] = []
    for tokens in zip(*split, strict=False):
        if any(token != tokens[0] for token in tokens):
            break
        common.append(tokens[0])
    while len(common) > 1 and _SEPARATORS.fullmatch(common[-1]) and common[-2]:
        common.pop()  # "a/b/" -> "a/b", but a root ("/", "memory://") keeps its separator
    return "".join(common) or None
