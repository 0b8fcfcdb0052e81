"""What the demo proves, as checks against the simulator's truth, and the summary it ends with.

Every check compares the store (or what the runtime reported) with an independent reference: the simulator's
own record of the account, or the discrepancies the demo injected. The demo exits non-zero if any fails.
"""

from __future__ import annotations

from decimal import Decimal

from attrs import frozen
from rich.table import Table

from galfriday.demo.configuration import SYMBOL
from galfriday.demo.discrepancy import Injected, Reconciled
from galfriday.demo.experiment import ExperimentRun
from galfriday.demo.outage import Recovery
from galfriday.demo.trading import StoredState
from galfriday.domain.balances import Balance
from galfriday.domain.positions import Position
from galfriday.runtime.process import ShutdownReport
from galfriday.testing.kraken_simulator import AccountTruth


@frozen
class Check:
    name: str
    passed: bool
    detail: str


@frozen
class FinalState:
    """The store and the simulator, read one after the other once the scenario is over."""

    stored: StoredState
    position: Position | None
    balances: dict[str, Balance]
    truth: AccountTruth


def fill_checks(final: FinalState) -> list[Check]:
    truth, stored = final.truth, final.stored
    ours = {e.exec_id for e in stored.executions}
    orders = {o.exchange_order_id: o for o in stored.orders}
    wrong = [
        txid
        for txid, sim in truth.orders.items()
        if txid not in orders
        or orders[txid].filled_quantity != sim.vol_exec
        or orders[txid].status.value != sim.ws_status
    ]
    filled = sum((e.quantity for e in stored.executions), Decimal(0))
    held = final.position.quantity if final.position is not None else Decimal(0)
    return [
        Check(
            "fills equal the simulator's",
            ours == truth.exec_ids,
            f"{len(ours)} stored, {len(truth.exec_ids)} on the exchange"
            + (
                ""
                if ours == truth.exec_ids
                else f"; missing {sorted(truth.exec_ids - ours)}, extra {sorted(ours - truth.exec_ids)}"
            ),
        ),
        Check(
            "orders equal the simulator's",
            not wrong,
            f"{len(truth.orders)} orders, filled quantity and status"
            + (f"; different: {', '.join(wrong)}" if wrong else ""),
        ),
        Check("position equals the fills", held == filled, f"{SYMBOL} {held} held, {filled} bought"),
    ]


def outage_checks(recovery: Recovery, missed: int) -> list[Check]:
    found = recovery.reconciliation.outcomes
    return [
        Check("the stream reconnected", recovery.reconnects >= 1, f"{recovery.reconnects:.0f} reconnect(s)"),
        Check(
            "fills made while disconnected were backfilled",
            recovery.fills_recovered == missed,
            f"{recovery.fills_recovered} recovered by REST, {missed} made while down",
        ),
        Check(
            "the reconnect reconciliation found nothing left to fix",
            not found,
            f"{len(found)} discrepancies" + "".join(f"; {o.decision.discrepancy.detail}" for o in found),
        ),
    ]


def reconciliation_checks(injected: Injected, reconciled: Reconciled, final: FinalState) -> list[Check]:
    report = reconciled.report
    corrected = {o.decision.discrepancy.subject for o in report.corrected}
    flagged = {o.decision.discrepancy.subject for o in report.manual_review}
    asset = injected.corrected.removeprefix("balance:")
    ours = final.balances.get(asset)
    theirs = final.truth.balances.get(asset)
    return [
        Check(
            "the small drift was corrected",
            corrected == {injected.corrected},
            f"corrected: {', '.join(sorted(corrected)) or 'nothing'}",
        ),
        Check(
            "the large drift was flagged for review",
            flagged == {injected.flagged},
            f"for review: {', '.join(sorted(flagged)) or 'nothing'}",
        ),
        Check(
            f"our {asset} balance equals the exchange's",
            ours is not None and ours.total == theirs,
            f"{ours.total if ours else '-'} stored, {theirs} on the exchange",
        ),
        Check(
            "new orders were refused while halted",
            reconciled.refused_order is not None,
            reconciled.refused_order or "an order went out",
        ),
    ]


def experiment_checks(run: ExperimentRun) -> list[Check]:
    candidate = run.candidate.version
    return [
        Check(
            "the experiment concluded for the candidate",
            run.verdict.winner == candidate and run.verdict.promoted,
            f"{run.assessment.conclusion.action}: {'; '.join(run.assessment.conclusion.reasons)}",
        ),
        Check("the winner serves", run.serving == candidate, f"v{run.serving} in production"),
    ]


def restart_check(reopened: StoredState, final: FinalState) -> Check:
    """The store, opened again after everything stopped, holds the same fills and orders as before."""
    same = reopened.executions == final.stored.executions and sorted(
        reopened.orders, key=lambda o: o.client_order_id
    ) == sorted(final.stored.orders, key=lambda o: o.client_order_id)
    return Check(
        "the store keeps everything across a restart",
        same,
        f"{len(reopened.executions)} fills and {len(reopened.orders)} orders after reopening"
        + ("" if same else ", DIFFERENT from before"),
    )


def shutdown_check(report: ShutdownReport | None) -> Check:
    if report is None:
        return Check("clean shutdown", False, "the runtime did not stop")
    return Check("clean shutdown", report.clean, report.summary())


def checks_table(checks: list[Check]) -> Table:
    table = Table(title="Checks against the simulator's truth", title_justify="left")
    for column in ("", "check", "detail"):
        table.add_column(column)
    for check in checks:
        table.add_row("[green]ok[/]" if check.passed else "[bold red]FAILED[/]", check.name, check.detail)
    return table
