"""Retention policies: what expires when, in whole UTC days, and what a retention run did."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

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
