"""Retention: archive expiring rows, verify the archive, then delete them; never delete what was not archived.

Candles go one symbol-day at a time: read, archive, count the rows back from the archive file, delete the same
range, all inside one unit of work, so a mismatch anywhere rolls the deletion back. After a table's days are
done the store may reclaim whole expired partitions (Postgres). The raw journal is archived per day and deleted
with one `delete_before`, whose count must equal what was archived.

Every policy a run acts on leaves one `RetentionRun` in the store: `success` with its totals, or `failed` with
what it committed before the failure, recorded in a unit of work of its own after the failed one rolled back
(then the error propagates). A dry run, and a policy with nothing expired, record nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime

from galfriday.domain.journal import JournalEntry
from galfriday.domain.retention import (
    RetentionAction,
    RetentionOutcome,
    RetentionPolicy,
    RetentionRun,
    RetentionRunStatus,
    day_bounds,
)
from galfriday.errors import ArchiveMismatchError
from galfriday.ports.archive import Archive
from galfriday.ports.clock import Clock
from galfriday.ports.stores import Store, UnitOfWork

log = logging.getLogger(__name__)

JOURNAL_PAGE = 10_000


def new_run_id() -> str:
    """A fresh retention run id: uuid4 hex, unique without asking the store."""
    return uuid.uuid4().hex


class RetentionService:
    def __init__(
        self,
        store: Store,
        archive: Archive,
        clock: Clock,
        policies: Sequence[RetentionPolicy],
        *,
        new_id: Callable[[], str] = new_run_id,
    ) -> None:
        self._store = store
        self._archive = archive
        self._clock = clock
        self._policies = tuple(policies)
        self._new_id = new_id

    async def plan(self) -> list[RetentionAction]:
        """What a run would archive and delete now, without changing anything."""
        now = self._clock.now()
        actions: list[RetentionAction] = []
        async with self._store.unit_of_work() as uow:
            for policy in self._policies:
                cutoff = policy.cutoff(now)
                if policy.table == "candles":
                    assert policy.interval_seconds is not None
                    for day in await uow.candles.day_counts(policy.interval_seconds, cutoff):
                        actions.append(RetentionAction(policy, cutoff, day.day, day.rows, symbol=day.symbol))
                else:
                    by_day = _journal_by_day(await _expired_journal(uow, cutoff))
                    actions += [RetentionAction(policy, cutoff, d, len(rows)) for d, rows in by_day.items()]
        return actions

    async def run(self, *, dry_run: bool = False) -> list[RetentionOutcome]:
        """Carry out the plan (or only report it with `dry_run`); return what each action did.

        Records one `RetentionRun` per policy with expired rows; a dry run records nothing.
        """
        actions = await self.plan()
        if dry_run:
            return [RetentionOutcome(action, 0, 0, None) for action in actions]
        outcomes: list[RetentionOutcome] = []
        for policy in self._policies:
            mine = [a for a in actions if a.policy == policy]
            if mine:
                outcomes += await self._run_policy(policy, mine)
        return outcomes

    async def _run_policy(
        self, policy: RetentionPolicy, actions: list[RetentionAction]
    ) -> list[RetentionOutcome]:
        """Expire one policy's actions and record the run, whether it succeeds or fails."""
        run_id, started_at, cutoff = self._new_id(), self._clock.now(), actions[0].cutoff
        done: list[RetentionOutcome] = []

        def summary(status: RetentionRunStatus) -> RetentionRun:
            return RetentionRun.summarize(
                run_id=run_id,
                policy=policy,
                cutoff=cutoff,
                outcomes=done,
                status=status,
                started_at=started_at,
                finished_at=max(self._clock.now(), started_at),  # a wall clock stepped back ends no earlier
            )

        try:
            if policy.table == "candles":
                await self._expire_candles(actions, done)
            else:
                done += await self._expire_journal(policy, cutoff, actions)
        except Exception:
            await self._record_failure(summary)
            raise
        await self._record(summary(RetentionRunStatus.SUCCESS))
        return done

    async def _expire_candles(self, actions: list[RetentionAction], done: list[RetentionOutcome]) -> None:
        """Expire each symbol-day (appending to `done` as each commits), then reclaim expired partitions."""
        for action in actions:
            done.append(await self._expire_candle_day(action))
        async with self._store.unit_of_work() as uow:
            dropped = await uow.candles.drop_expired_partitions(actions[0].cutoff)
            await uow.commit()
        if dropped:
            log.info("dropped expired candle partitions: %s", ", ".join(dropped))

    async def _record(self, run: RetentionRun) -> None:
        async with self._store.unit_of_work() as uow:
            await uow.retention_runs.record(run)
            await uow.commit()

    async def _record_failure(self, summary: Callable[[RetentionRunStatus], RetentionRun]) -> None:
        """Record the failed run; if even that fails, log it, so the caller still sees the original error."""
        try:
            await self._record(summary(RetentionRunStatus.FAILED))
        except Exception:
            log.exception("could not record a failed retention run")

    async def _expire_candle_day(self, action: RetentionAction) -> RetentionOutcome:
        policy, symbol = action.policy, action.symbol
        assert policy.interval_seconds is not None
        assert symbol is not None
        start, end = day_bounds(action.day)
        end = min(end, action.cutoff)
        async with self._store.unit_of_work() as uow:
            rows = await uow.candles.range(symbol, policy.interval_seconds, start, end)
            path = None
            if policy.archive:
                written = await self._archive.write_candles(
                    rows, symbol=symbol, interval_seconds=policy.interval_seconds, day=action.day
                )
                path = written.path
                await self._verify(path, len(rows))
            deleted = await uow.candles.delete_range(symbol, policy.interval_seconds, start, end)
            if deleted != len(rows):
                raise ArchiveMismatchError(
                    f"{policy.label} {symbol} {action.day}: read {len(rows)}, deleting {deleted}"
                )
            await uow.commit()
        return RetentionOutcome(action, len(rows) if policy.archive else 0, deleted, path)

    async def _expire_journal(
        self, policy: RetentionPolicy, cutoff: datetime, actions: list[RetentionAction]
    ) -> list[RetentionOutcome]:
        async with self._store.unit_of_work() as uow:
            by_day = _journal_by_day(await _expired_journal(uow, cutoff))
            outcomes: list[RetentionOutcome] = []
            for action in actions:
                entries = by_day.get(action.day, [])
                path = None
                if policy.archive:
                    written = await self._archive.write_journal(entries, day=action.day)
                    path = written.path
                    await self._verify(path, len(entries))
                outcomes.append(
                    RetentionOutcome(action, len(entries) if policy.archive else 0, len(entries), path)
                )
            expected = sum(len(rows) for rows in by_day.values())
            deleted = await uow.journal.delete_before(cutoff)
            if deleted != expected:
                raise ArchiveMismatchError(
                    f"raw_journal before {cutoff}: archived {expected}, deleting {deleted}"
                )
            await uow.commit()
        return outcomes

    async def _verify(self, path: str, expected: int) -> None:
        found = await self._archive.count_rows(path)
        if found != expected:
            raise ArchiveMismatchError(
                f"archive {path} holds {found} rows, expected {expected}; nothing deleted"
            )


async def _expired_journal(uow: UnitOfWork, cutoff: datetime) -> list[JournalEntry]:
    """Journal entries received before `cutoff`, read in sequence order until the first newer entry."""
    expired: list[JournalEntry] = []
    after = 0
    while True:
        page = await uow.journal.read(after_sequence=after, limit=JOURNAL_PAGE)
        for entry in page:
            if entry.received_at >= cutoff:
                return expired
            expired.append(entry)
        if len(page) < JOURNAL_PAGE:
            return expired
        after = page[-1].sequence or after


def _journal_by_day(entries: list[JournalEntry]) -> dict[date, list[JournalEntry]]:
    by_day: dict[date, list[JournalEntry]] = {}
    for entry in entries:
        by_day.setdefault(entry.received_at.date(), []).append(entry)
    return by_day
