"""Properties of reconciliation, with random discrepancies injected between the fake exchange and the store:
every injected discrepancy is detected (and nothing else), only those within tolerance are corrected, every
correction is audited, and a second run finds nothing but what awaits review.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reconciliation_world import (
    T0,
    add_ghost_order,
    amend,
    drift_available,
    drift_balance,
    drift_cost_basis,
    drift_position,
    exchange_orders,
    mirror,
    new_exchange,
    populate,
    reopen,
    service,
)

from galfriday.adapters.memory.clock import ManualClock
from galfriday.adapters.memory.store import MemoryStore
from galfriday.domain.adjustments import Action
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.reconciliation import DiscrepancyKind
from galfriday.domain.timestamps import EPOCH
from galfriday.domain.tolerance import Tolerance, TolerancePolicy
from galfriday.services.reconciliation import ReconciliationReport

D = Decimal
ASSETS = ("USD", "BTC", "ETH")
SYMBOLS = ("BTC/USD", "ETH/USD")

FILL_ORDERS = {"T000001": "O000001", "T000004": "O000004", "T000006": "O000008", "T000009": "O000011",
               "T000010": "O000012"}  # fmt: skip
"""Fills that may be withheld, and their orders (a fill of a skipped order comes with its adoption)."""

amounts = st.sampled_from([D("0.00000001"), D("0.0001"), D("0.01"), D("0.5"), D(3), D(250)])
tolerances = st.builds(
    Tolerance,
    max_absolute=st.sampled_from([D(0), D("0.0001"), D("0.6"), D(1000)]),
    max_relative=st.sampled_from([D(0), D("0.00001"), D("0.01"), D(1)]),
)
policies = st.builds(
    TolerancePolicy,
    default=tolerances,
    per_asset=st.dictionaries(st.sampled_from(ASSETS), tolerances, max_size=2),
    per_pair=st.dictionaries(st.sampled_from(SYMBOLS), tolerances, max_size=1),
    always_import_fills=st.booleans(),
)
injections = st.fixed_dictionaries(
    {
        "balances": st.dictionaries(
            st.sampled_from(ASSETS), amounts.flatmap(lambda a: st.sampled_from([a, -a]))
        ),
        "positions": st.dictionaries(
            st.sampled_from(SYMBOLS), amounts.flatmap(lambda a: st.sampled_from([a, -a]))
        ),
        "cost_bases": st.dictionaries(
            st.sampled_from(SYMBOLS), st.sampled_from([D("0.5"), D("0.9999"), D(2)])
        ),
        "withheld": st.sets(st.sampled_from(sorted(FILL_ORDERS))),
        "skipped": st.sets(st.sampled_from(["O000007", "O000011", "O000012"])),
        "ghosts": st.lists(amounts.filter(lambda a: a >= D("0.0001")), max_size=3),
        "reopened": st.sets(st.sampled_from(["O000006", "O000013"])),
        "availables": st.dictionaries(st.sampled_from(ASSETS), amounts),
        "amended": st.dictionaries(
            st.sampled_from(["O000004", "O000014"]), st.sampled_from([D("0.25"), D(3)])
        ),
    }
)


async def scenario(draw: dict[str, object], policy: TolerancePolicy) -> None:
    clock = ManualClock(T0)
    exchange = new_exchange(clock)
    await populate(exchange, clock)
    store = MemoryStore()
    withheld, skipped = set(draw["withheld"]), set(draw["skipped"])  # type: ignore[call-overload]
    await mirror(exchange, store, withhold=withheld, skip=skipped)
    expected: set[str] = {f"fill:{e}" for e in withheld if FILL_ORDERS[e] not in skipped}
    expected |= {f"order:{o}" for o in skipped}
    for asset, delta in draw["balances"].items():  # type: ignore[attr-defined]
        expected.add(await drift_balance(store, asset, delta))
    for symbol, delta in draw["positions"].items():  # type: ignore[attr-defined]
        expected.add(await drift_position(store, symbol, delta))
    for symbol, factor in draw["cost_bases"].items():  # type: ignore[attr-defined]
        expected.add(await drift_cost_basis(store, symbol, factor))
    for n, quantity in enumerate(draw["ghosts"]):  # type: ignore[arg-type]
        expected.add(await add_ghost_order(store, n, quantity, clock.now()))
    for asset, delta in draw["availables"].items():  # type: ignore[attr-defined]
        if asset not in draw["balances"]:  # type: ignore[operator]
            expected.add(await drift_available(store, asset, delta))
    for order_id, delta in draw["amended"].items():  # type: ignore[attr-defined]
        expected.add(await amend(store, order_id, delta))
    reports = {o.order_id: o for o in await exchange_orders(exchange)}
    for order_id in draw["reopened"]:  # type: ignore[attr-defined]
        assert reports[order_id].status is OrderStatus.CANCELED
        assert reports[order_id].filled_quantity == 0
        expected.add(await reopen(store, reports[order_id]))

    reconciler = service(exchange, store, clock, policy=policy)
    first = await reconciler.run()

    # 100% detected, nothing invented.
    assert {o.decision.discrepancy.subject for o in first.outcomes} == expected
    assert first.status.value == "success"
    check_decisions_follow_the_tolerance(first, policy)
    await check_every_correction_is_audited(store, first)

    second = await reconciler.run()
    left = {o.decision.discrepancy.subject for o in first.manual_review}
    left_positions = {s.split(":", 1)[1] for s in left if s.startswith(("position:", "cost_basis:"))}
    for outcome in second.outcomes:
        subject = outcome.decision.discrepancy.subject
        assert subject in left or outcome.decision.discrepancy.key in left_positions, subject
    if not left:
        assert second.outcomes == ()


def check_decisions_follow_the_tolerance(report: ReconciliationReport, policy: TolerancePolicy) -> None:
    applied = {o.decision.discrepancy.subject for o in report.outcomes if o.applied}
    for outcome in report.outcomes:
        d = outcome.decision.discrepancy
        assert outcome.applied == (outcome.decision.action is Action.AUTO_CORRECT)
        if d.kind is DiscrepancyKind.MISSING_FILL and policy.always_import_fills:
            admitted = True
        else:
            tolerance = (
                policy.for_asset(d.key)
                if d.kind is DiscrepancyKind.BALANCE_MISMATCH
                else policy.for_pair(d.key)
            )
            cost = d.kind is DiscrepancyKind.COST_BASIS_MISMATCH
            admitted = tolerance.admits(d.absolute, d.relative, relative_only=cost)
        if outcome.applied:
            assert admitted, d.subject
            assert d.correctable, d.subject
            assert all(dep in applied for dep in d.depends_on), d.subject
        elif admitted and d.correctable:
            assert any(dep not in applied for dep in d.depends_on), d.subject


async def check_every_correction_is_audited(store: MemoryStore, report: ReconciliationReport) -> None:
    assert report.run is not None
    async with store.unit_of_work() as uow:
        run = await uow.reconciliations.run(report.run.id)
        rows = await uow.reconciliations.adjustments(report.run.id)
    assert run == report.run
    assert run.discrepancies_found == len(report.outcomes)
    assert run.auto_corrected == len(report.corrected)
    assert run.manual_review_required == len(report.manual_review)
    assert sorted(r.id for r in rows) == sorted(o.adjustment_id for o in report.corrected if o.adjustment_id)
    assert len(rows) == len(report.corrected)
    for row in rows:
        [outcome] = [o for o in report.corrected if o.adjustment_id == row.id]
        d = outcome.decision.discrepancy
        assert (row.subject, row.kind, row.old_value, row.new_value) == (
            d.subject,
            d.kind.value,
            d.internal,
            d.reference,
        )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(injections, policies)
def test_injected_discrepancies_are_all_found_corrected_within_tolerance_audited_and_gone(
    draw: dict[str, object], policy: TolerancePolicy
) -> None:
    asyncio.run(scenario(draw, policy))


def test_a_scenario_without_injections_finds_nothing() -> None:
    empty = {"balances": {}, "positions": {}, "cost_bases": {}, "withheld": set(), "skipped": set(),
             "ghosts": [], "reopened": set(), "availables": {}, "amended": {}}  # fmt: skip
    asyncio.run(scenario(empty, TolerancePolicy()))
    assert EPOCH < T0
