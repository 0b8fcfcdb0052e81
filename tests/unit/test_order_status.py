"""Specification of the order status state machine, transition by transition."""

import itertools

import pytest

from galfriday.domain.order_status import ALLOWED, TERMINAL, OrderStatus, can_transition, check_transition
from galfriday.errors import (
    DomainError,
    InvalidOrderTransition,
    OrderNotFoundError,
    OutcomeUnknownError,
)

S = OrderStatus

# The specification, written out independently of the module's table: every move that is allowed.
# Staying in the same status is always allowed (a repeated report).
SPEC: dict[OrderStatus, set[OrderStatus]] = {
    S.PENDING_NEW: {S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.REJECTED, S.UNKNOWN},
    S.NEW: {S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.UNKNOWN},
    S.PARTIALLY_FILLED: {S.FILLED, S.CANCELED, S.EXPIRED, S.UNKNOWN},
    S.UNKNOWN: {S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.REJECTED},
    S.FILLED: set(),
    S.CANCELED: set(),
    S.EXPIRED: set(),
    S.REJECTED: set(),
}

ALL_PAIRS = list(itertools.product(OrderStatus, OrderStatus))
ALLOWED_PAIRS = [(a, b) for a, b in ALL_PAIRS if a == b or b in SPEC[a]]
FORBIDDEN_PAIRS = [(a, b) for a, b in ALL_PAIRS if not (a == b or b in SPEC[a])]


def _ids(pair: tuple[OrderStatus, OrderStatus]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


def test_the_specification_covers_every_pair_of_statuses() -> None:
    assert len(ALLOWED_PAIRS) + len(FORBIDDEN_PAIRS) == len(OrderStatus) ** 2 == 64


def test_the_module_table_matches_the_specification() -> None:
    assert {status: set(targets) for status, targets in ALLOWED.items()} == SPEC


@pytest.mark.parametrize("pair", ALLOWED_PAIRS, ids=_ids)
def test_an_allowed_transition_passes(pair: tuple[OrderStatus, OrderStatus]) -> None:
    current, requested = pair

    assert can_transition(current, requested)
    check_transition("O1", current, requested)


@pytest.mark.parametrize("pair", FORBIDDEN_PAIRS, ids=_ids)
def test_a_forbidden_transition_raises_naming_the_order_and_both_statuses(
    pair: tuple[OrderStatus, OrderStatus],
) -> None:
    current, requested = pair

    assert not can_transition(current, requested)
    with pytest.raises(InvalidOrderTransition) as caught:
        check_transition("O1", current, requested)

    assert (caught.value.order_id, caught.value.current, caught.value.requested) == (
        "O1",
        current.value,
        requested.value,
    )
    assert f"order O1: cannot move from {current.value!r} to {requested.value!r}" == str(caught.value)


def test_an_invalid_transition_is_a_domain_error() -> None:
    with pytest.raises(DomainError):
        check_transition("O1", S.FILLED, S.NEW)


def test_the_terminal_statuses_are_filled_canceled_expired_and_rejected() -> None:
    assert {S.FILLED, S.CANCELED, S.EXPIRED, S.REJECTED} == TERMINAL
    assert {s for s in OrderStatus if s.is_terminal} == TERMINAL


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_a_terminal_status_is_final(terminal: OrderStatus) -> None:
    assert [s for s in OrderStatus if can_transition(terminal, s)] == [terminal]


@pytest.mark.parametrize("status", list(OrderStatus))
def test_open_means_not_terminal(status: OrderStatus) -> None:
    assert status.is_open is not status.is_terminal


@pytest.mark.parametrize("status", sorted(set(OrderStatus) - TERMINAL - {S.UNKNOWN}))
def test_any_open_status_can_become_unknown_on_a_network_error(status: OrderStatus) -> None:
    assert can_transition(status, S.UNKNOWN)


@pytest.mark.parametrize("reported", sorted(set(OrderStatus) - {S.PENDING_NEW}))
def test_unknown_resolves_to_anything_the_exchange_reports(reported: OrderStatus) -> None:
    assert can_transition(S.UNKNOWN, reported)


def test_unknown_does_not_go_back_to_pending_new_which_only_we_assign() -> None:
    assert not can_transition(S.UNKNOWN, S.PENDING_NEW)


def test_unknown_is_open_not_terminal() -> None:
    assert S.UNKNOWN.is_open
    assert not S.UNKNOWN.is_terminal


def test_there_is_no_not_found_status_that_unknown_could_be_confused_with() -> None:
    assert S.UNKNOWN.value == "unknown"
    assert {s.value for s in OrderStatus} == {
        "pending_new",
        "new",
        "partially_filled",
        "filled",
        "canceled",
        "expired",
        "rejected",
        "unknown",
    }
    with pytest.raises(ValueError, match="not_found"):
        OrderStatus("not_found")


def test_an_unknown_outcome_is_never_a_not_found_answer() -> None:
    assert not issubclass(OutcomeUnknownError, OrderNotFoundError)
    assert not issubclass(OrderNotFoundError, OutcomeUnknownError)
    assert not issubclass(OutcomeUnknownError, LookupError)
    assert issubclass(OrderNotFoundError, LookupError)


def test_statuses_compare_equal_to_their_wire_strings() -> None:
    assert S.PARTIALLY_FILLED.value == "partially_filled"
    assert isinstance(S.PARTIALLY_FILLED, str)
    assert OrderStatus("canceled") is S.CANCELED
