"""The demo's tables: orders as stored, the two reconciliation runs (the `galfriday reconcile` table), the
experiment's arms, and the closing summary."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from rich.table import Table

from galfriday.config import Config
from galfriday.demo.discrepancy import Reconciled
from galfriday.demo.experiment import ExperimentRun
from galfriday.demo.outage import Recovery
from galfriday.domain.orders import Order


def orders_table(orders: list[Order]) -> Table:
    table = Table(title="Our orders, as stored", title_justify="left")
    for column in (
        "client id",
        "exchange id",
        "side",
        "qty",
        "limit",
        "status",
        "filled",
        "avg price",
        "fees",
    ):
        table.add_column(column)
    for o in sorted(orders, key=lambda o: o.client_order_id):
        fees = ", ".join(f"{amount} {ccy}" for ccy, amount in o.fees.items()) or "-"
        table.add_row(
            o.client_order_id,
            o.exchange_order_id or "-",
            o.side.value,
            str(o.quantity),
            str(o.limit_price),
            o.status.value,
            str(o.filled_quantity),
            f"{o.average_price:.2f}" if o.average_price is not None else "-",
            fees,
        )
    return table


def experiment_table(run: ExperimentRun) -> Table:
    assessment = run.assessment
    table = Table(
        title=f"Experiment {run.experiment.name!r} ({run.experiment.mode.value})", title_justify="left"
    )
    for column in ("arm", "version", "trained on", "outcomes", "brier", "log loss", "hit rate"):
        table.add_column(column)
    for tally, model, trained in (
        (assessment.control, run.control, "old regime"),
        (assessment.candidate, run.candidate, "new regime"),
    ):
        means = tally.means
        table.add_row(
            tally.arm.value,
            f"v{model.version}",
            trained,
            str(tally.outcomes),
            f"{means.get('brier', float('nan')):.4f}",
            f"{means.get('log_loss', float('nan')):.4f}",
            f"{means.get('hit', float('nan')):.3f}",
        )
    return table


def where_the_data_is(config: Config) -> str:
    """The store's location without credentials: a file path, or a Postgres host and database."""
    dsn = config.store.dsn.reveal() if config.store.dsn is not None else ""
    if config.store.adapter == "postgres":
        parts = urlsplit(dsn)
        return f"postgres {parts.hostname}:{parts.port or 5432}{parts.path}"
    return f"{config.store.adapter} {dsn}" if dsn else config.store.adapter


def summary_table(
    config: Config,
    orders: list[Order],
    fills: int,
    recovery: Recovery,
    reconciled: Reconciled,
    run: ExperimentRun,
    artifacts: str,
) -> Table:
    statuses = Counter(o.status.value for o in orders)
    report = reconciled.report
    corrected = ", ".join(o.decision.discrepancy.subject for o in report.corrected) or "none"
    flagged = ", ".join(o.decision.discrepancy.subject for o in report.manual_review) or "none"
    assessment = run.assessment
    table = Table(title="Summary", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("orders", f"{len(orders)}: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    table.add_row("fills", f"{fills} stored, each once")
    table.add_row(
        "disconnect",
        f"{recovery.reconnects:.0f} reconnect(s); {recovery.fills_recovered} fills recovered by REST backfill; "
        f"{recovery.duplicates_ignored} fills read again and ignored as duplicates; "
        f"{recovery.gaps_backfilled:.0f} loss(es) backfilled; caught up in {recovery.seconds:.1f} s",
    )
    table.add_row(
        "reconciliation",
        f"after the reconnect: {len(recovery.reconciliation.outcomes)} discrepancies; on demand: "
        f"{len(report.outcomes)} found, corrected {corrected}, for review {flagged}"
        + ("; new orders halted" if reconciled.halt_reasons else ""),
    )
    table.add_row(
        "experiment",
        f"{assessment.conclusion.action} v{run.candidate.version} over v{run.control.version} after "
        f"{run.requests} shadow requests (Brier {assessment.candidate.means.get('brier', float('nan')):.4f} vs "
        f"{assessment.control.means.get('brier', float('nan')):.4f}); v{run.serving} serves",
    )
    table.add_row("store", where_the_data_is(config))
    table.add_row("model artifacts", artifacts)
    return table
