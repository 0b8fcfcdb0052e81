"""The paper ledger: holds keep money back for open orders; fills pay out of them; closing releases them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from galfriday_paper.ledger import Ledger

from galfriday.domain.balances import Balance
from galfriday.errors import InsufficientFundsError, InvalidValueError

D = Decimal
AT = datetime(2024, 1, 1, tzinfo=UTC)


def ledger() -> Ledger:
    return Ledger({"USD": D("1000"), "BTC": D("1")})


def test_a_hold_lowers_available_not_total() -> None:
    account = ledger()

    account.hold("o1", "USD", D("250"))

    assert (account.total("USD"), account.available("USD"), account.reserved("USD")) == (
        D("1000"),
        D("750"),
        D("250"),
    )


def test_a_hold_beyond_what_is_available_is_refused_naming_the_amounts() -> None:
    account = ledger()

    with pytest.raises(InsufficientFundsError, match=r"1000\.01 USD.*1000 USD is available"):
        account.hold("o1", "USD", D("1000.01"))
    assert account.available("USD") == D("1000")


def test_two_orders_cannot_hold_the_same_money() -> None:
    account = ledger()
    account.hold("o1", "USD", D("600"))

    with pytest.raises(InsufficientFundsError):
        account.hold("o2", "USD", D("600"))


def test_a_fill_pays_out_of_its_order_s_hold_and_credits_what_it_bought() -> None:
    account = ledger()
    account.hold("o1", "USD", D("600"))

    account.settle("o1", pay=("USD", D("501.3")), receive=("BTC", D("0.01")))

    assert account.total("USD") == D("498.7")
    assert account.held("o1") == D("98.7")
    assert account.available("USD") == D("400")
    assert account.total("BTC") == D("1.01")


def test_releasing_a_hold_gives_back_what_is_left_of_it() -> None:
    account = ledger()
    account.hold("o1", "USD", D("600"))
    account.settle("o1", pay=("USD", D("100")), receive=("BTC", D("0.002")))

    released = account.release("o1")

    assert released == D("500")
    assert account.available("USD") == account.total("USD") == D("900")
    assert account.release("o1") == 0


def test_a_fill_beyond_its_hold_and_the_available_balance_changes_nothing() -> None:
    account = ledger()
    account.hold("o1", "BTC", D("0.5"))

    with pytest.raises(InsufficientFundsError):
        account.settle("o1", pay=("BTC", D("1.5")), receive=("USD", D("75000")))
    assert (account.total("BTC"), account.held("o1"), account.total("USD")) == (D("1"), D("0.5"), D("1000"))


def test_balances_list_every_asset_held_including_ones_received_later() -> None:
    account = ledger()
    account.hold("o1", "USD", D("10"))
    account.settle("o1", pay=("USD", D("10")), receive=("ETH", D("0.004")))

    assert account.balances(AT) == [
        Balance("BTC", D("1"), D("1"), AT),
        Balance("ETH", D("0.004"), D("0.004"), AT),
        Balance("USD", D("990"), D("990"), AT),
    ]


def test_a_negative_starting_balance_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="balances"):
        Ledger({"USD": D("-1")})


def test_an_order_holds_once() -> None:
    account = ledger()
    account.hold("o1", "USD", D("1"))

    with pytest.raises(InvalidValueError, match="o1"):
        account.hold("o1", "USD", D("1"))
