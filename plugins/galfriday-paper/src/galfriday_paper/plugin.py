"""Registers the `paper` exchange: `GALFRIDAY_EXCHANGE=paper`, configured by `[exchange.settings]`."""

from __future__ import annotations

from galfriday import hookimpl
from galfriday.hookspecs import AdapterContext, RegisterAdapter
from galfriday_paper.exchange import PaperExchange
from galfriday_paper.settings import PaperSettings


def make_paper_exchange(ctx: AdapterContext) -> PaperExchange:
    """A fresh paper account on the application's clock. No I/O here: the app calls `start()` later."""
    settings = PaperSettings.from_mapping(ctx.settings)
    return PaperExchange(
        clock=ctx.clock,
        pairs=settings.pairs,
        balances=settings.balances,
        maker_fee=settings.maker_fee,
        taker_fee=settings.taker_fee,
    )


@hookimpl
def galfriday_register_exchanges(register: RegisterAdapter) -> None:
    register("paper", make_paper_exchange)
