"""Every raw frame a KrakenStream receives ends up in a real store's journal, through the journal writer."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kraken_stream_harness import Collected, fill_market_buy, private_stream, rest, sim

from galfriday.adapters.kraken.rest import KrakenRestClient
from galfriday.adapters.sqlite.store import SqliteStore
from galfriday.domain.events import ExecutionReported
from galfriday.services.journal_writer import JournalWriter
from galfriday.testing.kraken_simulator import KrakenSimulator

__all__ = ["rest", "sim"]


async def test_every_inbound_frame_is_journaled_in_sqlite(
    sim: KrakenSimulator, rest: KrakenRestClient, tmp_path: Path
) -> None:
    store = SqliteStore(tmp_path / "journal.db")
    await store.start()
    writer = JournalWriter(store, batch_size=50, flush_interval=0.05)
    await writer.start()
    try:
        async with private_stream(sim, rest, journal=writer) as stream:
            collected = Collected(stream)
            await stream.wait_healthy(5)
            await fill_market_buy(sim, rest)
            await collected.first(ExecutionReported)
            await asyncio.sleep(0.2)
            await collected.stop()
        received = stream.pipeline.counters.messages
        await writer.close()
        async with store.unit_of_work() as uow:
            entries = await uow.journal.read(limit=10_000)
        assert len(entries) == received
        assert writer.dropped == 0
        assert [e.received_at for e in entries] == sorted(e.received_at for e in entries)
        fills = [
            e
            for e in entries
            if e.channel == "executions" and '"exec_type":"trade"' in e.payload.replace(" ", "")
        ]
        assert len(fills) == 1
    finally:
        await store.close()
