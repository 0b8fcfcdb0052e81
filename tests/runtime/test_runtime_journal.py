"""Which exchanges `galfriday run` journals: the Kraken stream (unless switched off); nothing else changes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from runtime_fixtures import memory_config

from galfriday.adapters.kraken.exchange import KrakenExchange
from galfriday.app import App
from galfriday.config import Config, ExchangeConfig, KrakenConfig, RuntimeConfig, Secret
from galfriday.runtime.journal import attach_journal
from galfriday.services.journal_writer import JournalWriter


def kraken_config(*, journal: bool = True, stream: bool = True) -> Config:
    return memory_config().with_overrides(
        exchange=ExchangeConfig(adapter="kraken"),
        kraken=KrakenConfig(
            api_key=Secret("key"), api_secret=Secret(base64.b64encode(b"s" * 64).decode()), stream=stream
        ),
        runtime=RuntimeConfig(http_port=0, journal=journal),
    )


async def test_the_kraken_stream_is_built_with_a_journal_writer_on_the_apps_store() -> None:
    app = App.from_config(kraken_config())
    writer = attach_journal(app)
    assert isinstance(writer, JournalWriter)
    exchange = app.container.exchange()
    assert isinstance(exchange, KrakenExchange)
    assert exchange.stream is not None
    writer("kraken", "executions", '{"channel":"executions"}', datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    assert await writer.flush() == 1
    async with app.container.store().unit_of_work() as uow:  # the store the app will start
        [entry] = await uow.journal.read()
    assert (entry.source, entry.channel) == ("kraken", "executions")


def test_nothing_is_journaled_when_switched_off_without_a_stream_or_on_another_exchange() -> None:
    assert attach_journal(App.from_config(kraken_config(journal=False))) is None
    assert attach_journal(App.from_config(kraken_config(stream=False))) is None
    assert attach_journal(App.from_config(memory_config())) is None


def test_an_exchange_given_by_the_embedding_application_is_left_alone() -> None:
    given = object()
    app = App.from_config(kraken_config(), overrides={"exchange": given})
    assert attach_journal(app) is None
    assert app.container.exchange() is given
