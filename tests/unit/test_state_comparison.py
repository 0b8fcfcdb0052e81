"""Specification of comparing a live store's trading state with a replayed one: what differs, what is left out."""

from __future__ import annotations

from decimal import Decimal

import attrs

from galfriday.domain.state_comparison import (
    MISSING,
    UNEXPECTED,
    ComparisonScope,
    StateDifference,
    StateKind,
    TradingState,
    compare_states,
    order_key,
)
from galfriday.testing import samples

D = Decimal


def state(**parts: object) -> TradingState:
    return TradingState(**parts)  # type: ignore[arg-type]


def test_two_equal_states_have_no_difference() -> None:
    full = state(
        orders=[samples.filled_order()],
        executions=[samples.execution()],
        positions=[samples.position()],
        balances=[samples.balance()],
    )
    assert compare_states(full, full) == []


def test_an_order_status_that_differs_is_reported_with_both_values() -> None:
    live = samples.filled_order()
    replayed = attrs.evolve(live, status="filled")
    assert compare_states(state(orders=[live]), state(orders=[replayed])) == [
        StateDifference(StateKind.ORDER, "OX-2", "status", live.status.value, "filled")
    ]


def test_filled_quantity_and_cost_of_an_order_are_compared() -> None:
    live = samples.filled_order()
    replayed = attrs.evolve(live, filled_quantity=D("0.5"), filled_cost=D("15000.25"))
    fields = [d.field for d in compare_states(state(orders=[live]), state(orders=[replayed]))]
    assert fields == ["filled_quantity", "filled_cost"]


def test_who_placed_an_order_is_not_compared() -> None:
    live = samples.filled_order()
    adopted = attrs.evolve(live, client_order_id="kraken-OX-2", external=True)
    assert compare_states(state(orders=[live]), state(orders=[adopted])) == []


def test_a_live_order_never_acknowledged_is_not_compared() -> None:
    unacknowledged = samples.order("never-acked")
    assert compare_states(state(orders=[unacknowledged]), state()) == []


def test_an_acknowledged_order_the_replay_lacks_is_missing() -> None:
    live = samples.filled_order()
    assert compare_states(state(orders=[live]), state()) == [
        StateDifference(StateKind.ORDER, order_key(live), MISSING, "present", None)
    ]


def test_an_execution_only_the_replay_has_is_unexpected() -> None:
    assert compare_states(state(), state(executions=[samples.execution("E9")])) == [
        StateDifference(StateKind.EXECUTION, "E9", UNEXPECTED, None, "present")
    ]


def test_an_execution_amount_that_differs_is_reported() -> None:
    live = samples.execution("E1")
    replayed = attrs.evolve(live, quantity=D("0.2"))
    assert compare_states(state(executions=[live]), state(executions=[replayed])) == [
        StateDifference(StateKind.EXECUTION, "E1", "quantity", "0.1", "0.2")
    ]


def test_the_time_and_client_id_of_an_execution_are_not_compared() -> None:
    live = samples.execution("E1", client_order_id="ours-1")
    from_rest = attrs.evolve(live, client_order_id=None, timestamp=samples.instant(3))
    assert compare_states(state(executions=[live]), state(executions=[from_rest])) == []


def test_positions_are_compared_by_quantity_cost_and_realised_pnl() -> None:
    live = samples.position()
    replayed = attrs.evolve(live, quantity=D("0.5"), realized_pnl=D("0"))
    fields = [d.field for d in compare_states(state(positions=[live]), state(positions=[replayed]))]
    assert fields == ["quantity", "realized_pnl"]


def test_balances_are_compared_by_total_only() -> None:
    live = samples.balance()
    same_total = attrs.evolve(live, available=live.total, updated_at=samples.instant(9))
    other_total = attrs.evolve(live, total=D("1"), available=D("1"))
    assert compare_states(state(balances=[live]), state(balances=[same_total])) == []
    assert compare_states(state(balances=[live]), state(balances=[other_total])) == [
        StateDifference(StateKind.BALANCE, "USD", "total", "1000.25", "1")
    ]


def test_a_partial_replay_compares_only_executions_from_its_start_and_what_it_saw() -> None:
    early = samples.execution("E-early", timestamp=samples.instant(1))
    late = samples.execution("E-late", timestamp=samples.instant(10))
    seen = samples.filled_order("seen", exchange_order_id="OX-seen")
    unseen = samples.filled_order("unseen", exchange_order_id="OX-unseen")
    live = state(
        orders=[seen, unseen],
        executions=[early, late],
        positions=[samples.position()],
        balances=[samples.balance("USD"), samples.balance("ETH")],
    )
    replayed = state(orders=[seen], executions=[late], balances=[samples.balance("USD")])
    scope = ComparisonScope(executions_since=samples.instant(5))
    assert compare_states(live, replayed, scope) == []


def test_a_partial_replay_does_not_compare_an_order_filled_before_its_start() -> None:
    early = samples.execution("E-early", order_id="OX-2", timestamp=samples.instant(1))
    live_order = samples.filled_order(exec_ids=["E-early", "E-late"])
    replayed_order = samples.filled_order(exec_ids=["E-late"])
    scope = ComparisonScope(executions_since=samples.instant(5))
    live = state(orders=[live_order], executions=[early])
    assert compare_states(live, state(orders=[replayed_order]), scope) == []


def test_a_partial_replay_still_reports_a_late_execution_it_lacks() -> None:
    late = samples.execution("E-late", timestamp=samples.instant(10))
    scope = ComparisonScope(executions_since=samples.instant(5))
    differences = compare_states(state(executions=[late]), state(), scope)
    assert [(d.key, d.field) for d in differences] == [("E-late", MISSING)]


def test_a_difference_describes_itself_in_words() -> None:
    missing = StateDifference(StateKind.EXECUTION, "E1", MISSING, "present", None)
    changed = StateDifference(StateKind.ORDER, "OX-2", "status", "open", "filled")
    assert missing.describe() == "execution E1: in the live store, not rebuilt by the replay"
    assert changed.describe() == "order OX-2: status is open live, filled replayed"
