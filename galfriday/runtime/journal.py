"""The raw message journal in `galfriday run`: every inbound exchange frame goes to the store's journal through a
`JournalWriter`, so `galfriday replay` can rebuild the session's state from it.

A stream takes its journal hook when it is built, before the app starts, while the writer needs the app's store:
`attach_journal` builds the writer on the store the app will start (the container's singleton) and puts in place of
the configured exchange one built with the hook. Only the Kraken adapter with its stream journals; with another
exchange (or `[runtime] journal = false`) nothing changes. The writer then runs as the `journal` component: it is
started first and stopped last, and its close writes what is queued.
"""

from __future__ import annotations

import logging

from dependency_injector import providers

from galfriday.adapters.kraken.exchange import KrakenExchange
from galfriday.adapters.kraken.plugin import kraken_rest_client
from galfriday.adapters.kraken.stream import KrakenStream
from galfriday.app import App
from galfriday.services.journal_writer import JournalWriter

log = logging.getLogger(__name__)


def attach_journal(app: App) -> JournalWriter | None:
    """Before `app` starts: a journal writer on its store, hooked into the Kraken stream; None when not journaling."""
    config = app.config
    container = app.container
    exchange = getattr(container, "exchange")  # noqa: B009 - stubs type `overridden` as a 1-tuple (always true)
    if not config.runtime.journal or exchange.overridden:
        return None
    if config.exchange.adapter != "kraken" or not config.kraken.stream:
        log.info("journal: the %s exchange adapter has no raw frames to journal", config.exchange.adapter)
        return None
    writer = JournalWriter(container.store())
    clock = container.clock()
    client = kraken_rest_client(config, clock)
    stream = (
        KrakenStream(  # as galfriday.adapters.kraken.plugin.kraken_stream builds it, plus the journal hook
            config.kraken.ws_url,
            config.kraken.ws_auth_url,
            tokens=client,
            pair_source=client,
            clock=clock,
            journal=writer,
        )
    )
    exchange.override(providers.Object(KrakenExchange(client, stream)))
    return writer
