"""SIGINT and SIGTERM ask the runtime to stop: the first sets the stop event, a second one is logged."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """While inside, SIGINT/SIGTERM set `stop` instead of killing the process (restored on exit)."""
    loop = asyncio.get_running_loop()

    def requested(sig: signal.Signals) -> None:
        if stop.is_set():
            log.warning("%s received again; shutdown is already under way", sig.name)
            return
        log.info("%s received: shutting down", sig.name)
        stop.set()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, requested, sig)
    try:
        yield
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
