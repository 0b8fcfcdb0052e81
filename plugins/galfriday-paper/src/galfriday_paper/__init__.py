"""galfriday-paper: a paper-trading exchange, as an out-of-tree galfriday exchange plugin.

Orders are matched locally, in price-time priority, against market liquidity a `PaperFeed` supplies (by hand,
or from another exchange's public market data); nothing is ever sent anywhere.
"""

from galfriday_paper.book import Match, Owner, PaperBook, RestingOrder
from galfriday_paper.exchange import PaperExchange
from galfriday_paper.feed import PaperFeed
from galfriday_paper.ledger import Ledger
from galfriday_paper.settings import PaperSettings

__all__ = [
    "Ledger",
    "Match",
    "Owner",
    "PaperBook",
    "PaperExchange",
    "PaperFeed",
    "PaperSettings",
    "RestingOrder",
]
