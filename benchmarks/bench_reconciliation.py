"""Reconciliation: our state against an exchange snapshot of 10k balances, 10k positions and 100k orders.

- `reconcile_orders_balances_positions`: `domain.reconciliation.reconcile` (balances, every order the snapshot
  holds with its fills, positions replayed from 100k fills) then `domain.adjustments.decide`, in seconds, on a
  state where 1% of the balances, orders and positions differ. Target: < 1 s. Baseline: a plain dict-equality
  diff of the same data, in the same run (balance totals and availables by asset, order status and filled
  quantity by id, exec ids as sets, stored positions by symbol): the least any comparison must do, with no
  replay, no sizes and no decisions.
- `reconcile_only`: `reconcile` alone, against the same baseline (no target): how much of the time `decide` adds.

Each figure is the median of the repeats (interleaved with the baseline's), after a warm-up; the table shows the
extremes. Pure CPU, one core, no database.

    python benchmarks/bench_reconciliation.py [--quick] [--assets N] [--orders N] [--repeats N]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import harness

from galfriday.domain.adjustments import decide
from galfriday.domain.balances import Balance
from galfriday.domain.executions import Execution, OrderSide
from galfriday.domain.order_status import OrderStatus
from galfriday.domain.orders import Order, OrderType
from galfriday.domain.portfolio import replay_positions
from galfriday.domain.reconciliation import ExchangeSnapshot, InternalState, reconcile
from galfriday.domain.tolerance import TolerancePolicy

T0 = datetime(2026, 11, 24, tzinfo=UTC)
TAKEN = T0 + timedelta(days=7)
"""After every generated order (one a second): nothing counts as changed during the run."""
D = Decimal


def build(assets: int, orders: int, seed: int) -> tuple[InternalState, ExchangeSnapshot, int]:
    """A state and a snapshot that agree except for 1% of balances, orders and positions (returned: how many)."""
    rng = random.Random(seed)
    symbols = [f"A{n:05d}/USD" for n in range(assets)]
    theirs_orders: list[Order] = []
    ours_orders: list[Order] = []
    trades: list[Execution] = []
    injected = 0
    for n in range(orders):
        symbol = symbols[n % assets]
        at = T0 + timedelta(seconds=n)
        side = OrderSide.BUY if n % 3 else OrderSide.SELL
        quantity = D(rng.randint(2, 40)) / 4
        placed = Order.create(
            client_order_id=f"c{n}",
            symbol=symbol,
            side=side,
            order_type=OrderType.LIMIT,
            quantity=quantity,
            limit_price=D(rng.randint(100, 200)),
            at=at,
        )
        order = placed.apply_status(OrderStatus.NEW, at, exchange_order_id=f"O{n}").order
        fill = Execution(
            exec_id=f"T{n}",
            order_id=f"O{n}",
            client_order_id=f"c{n}",
            symbol=symbol,
            side=side,
            quantity=quantity if n % 2 else quantity / 2,
            price=D(rng.randint(100, 200)),
            timestamp=at,
        )
        order = order.apply_execution(fill).order
        trades.append(fill)
        theirs_orders.append(order)
        if n % 100 == 7:  # the stream missed this fill
            ours_orders.append(placed.apply_status(OrderStatus.NEW, at, exchange_order_id=f"O{n}").order)
            injected += 1
        else:
            ours_orders.append(order)
    known = [t for t in trades if int(t.exec_id[1:]) % 100 != 7]
    positions = replay_positions(known)
    for n, symbol in enumerate(sorted(positions)):
        if n % 100 == 3:
            positions[symbol] = attrs.evolve(positions[symbol], quantity=positions[symbol].quantity + 1)
            injected += 1
    theirs_balances = [Balance(f"A{n:05d}", D(n + 10), D(n + 5), TAKEN) for n in range(assets)]
    ours_balances = [
        attrs.evolve(b, total=b.total + D("0.5"), updated_at=T0)
        if n % 100 == 5
        else attrs.evolve(b, updated_at=T0)
        for n, b in enumerate(theirs_balances)
    ]
    injected += sum(1 for n in range(assets) if n % 100 == 5)
    internal = InternalState(
        balances=ours_balances, orders=ours_orders, executions=known, positions=positions.values()
    )
    snapshot = ExchangeSnapshot(
        taken_at=TAKEN, since=T0, balances=theirs_balances, orders=theirs_orders, trades=trades
    )
    return internal, snapshot, injected


def ours(
    internal: InternalState, snapshot: ExchangeSnapshot, policy: TolerancePolicy
) -> Callable[[], object]:
    def run() -> int:
        return len(decide(reconcile(internal, snapshot), policy))

    return run


def reconcile_alone(internal: InternalState, snapshot: ExchangeSnapshot) -> Callable[[], object]:
    def run() -> int:
        return len(reconcile(internal, snapshot))

    return run


def dict_diff(internal: InternalState, snapshot: ExchangeSnapshot) -> Callable[[], object]:
    """The baseline: equality of plain dicts built from the same objects, and set differences of exec ids."""

    def run() -> int:
        mine_b = {a: (b.total, b.available) for a, b in internal.balances.items()}
        theirs_b = {a: (b.total, b.available) for a, b in snapshot.balances.items()}
        differ = sum(1 for a in mine_b.keys() | theirs_b.keys() if mine_b.get(a) != theirs_b.get(a))
        mine_o = {o.order_id: (o.status, o.filled_quantity, o.quantity) for o in internal.orders}
        theirs_o = {o.order_id: (o.status, o.filled_quantity, o.quantity) for o in snapshot.orders}
        differ += sum(1 for k in mine_o.keys() | theirs_o.keys() if mine_o.get(k) != theirs_o.get(k))
        differ += len({t.exec_id for t in snapshot.trades} - {e.exec_id for e in internal.executions})
        mine_p = {s: (p.quantity, p.average_cost) for s, p in internal.positions.items()}
        differ += sum(1 for s, p in mine_p.items() if p != mine_p.get(s))
        return differ

    return run


def alternate(
    measured: Callable[[], object], baseline: Callable[[], object], repeats: int
) -> tuple[list[float], list[float]]:
    """Time both, interleaved repeat by repeat, after one untimed run of each."""
    measured()
    baseline()
    ours_times: list[float] = []
    base_times: list[float] = []
    for _ in range(repeats):
        start = harness.clock()
        measured()
        ours_times.append(harness.clock() - start)
        start = harness.clock()
        baseline()
        base_times.append(harness.clock() - start)
    return ours_times, base_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: finishes in well under a minute")
    parser.add_argument("--assets", type=int, help="balances, and pairs with a position (default 10,000)")
    parser.add_argument("--orders", type=int, help="orders, each with one fill (default 100,000)")
    parser.add_argument("--repeats", type=int, help="timed repeats")
    parser.add_argument("--seed", type=int, default=20261124)
    args = parser.parse_args()
    assets = args.assets or (1_000 if args.quick else 10_000)
    orders = args.orders or (10_000 if args.quick else 100_000)
    repeats = args.repeats or (3 if args.quick else 7)
    report = harness.Report(f"Reconciliation ({'quick' if args.quick else 'full'} run)")

    harness.progress(f"building {assets:,} balances and pairs, {orders:,} orders and fills")
    internal, snapshot, injected = build(assets, orders, args.seed)
    policy = TolerancePolicy()
    found = len(reconcile(internal, snapshot))
    harness.freeze_heap()

    harness.progress(f"{injected:,} differences injected, {found:,} discrepancies found; {repeats} repeats")
    measured, baseline = alternate(ours(internal, snapshot, policy), dict_diff(internal, snapshot), repeats)
    total = harness.Summary.of(measured)
    base = harness.Summary.of(baseline)
    report.add(
        harness.figure(
            "reconcile_orders_balances_positions",
            total.median,
            "s",
            "dict_equality_diff",
            base.median,
            harness.Target.value_below(1, "s"),
            harness.latency_detail(total, base, scale=1.0, unit="s"),
        )
    )
    measured, baseline = alternate(
        reconcile_alone(internal, snapshot), dict_diff(internal, snapshot), repeats
    )
    alone, base = harness.Summary.of(measured), harness.Summary.of(baseline)
    report.add(
        harness.figure(
            "reconcile_only",
            alone.median,
            "s",
            "dict_equality_diff",
            base.median,
            None,
            harness.latency_detail(alone, base, scale=1.0, unit="s"),
        )
    )
    report.note(
        f"python {sys.version.split()[0]}; {assets:,} balances, {len(internal.positions):,} positions, "
        f"{orders:,} orders, {len(snapshot.trades):,} fills replayed; {found:,} discrepancies "
        f"({injected:,} differences injected)"
    )
    report.emit()


if __name__ == "__main__":
    sys.exit(harness.run(main))
