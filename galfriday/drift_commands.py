"""`galfriday drift report`: data drift and performance degradation of a model, from the configured store.

Compares the features of the recent candles (the last `--window-hours`, up to `--end` or now) with the
training reference recorded with the version (production by default), and runs Page-Hinkley over its
resolved outcomes (the experiments' outcomes, or with `--score-candles` the model run on the window's own
candles). Exit status 0 either way; the report says whether an alert is raised.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from galfriday.app import App
from galfriday.cli_context import CliContext
from galfriday.domain.drift.report import DriftReport
from galfriday.domain.timestamps import utc
from galfriday.services.candle_outcomes import CandleOutcomes
from galfriday.services.model_monitoring import DEFAULT_WINDOW, ModelMonitoringService
from galfriday.services.model_registry import ModelRegistry


def report_document(report: DriftReport) -> dict[str, Any]:
    """The report as JSON."""
    health = report.degradation
    return {
        "model": report.model_name,
        "version": report.version,
        "at": report.at.isoformat(),
        "rows": report.rows,
        "drift_share": report.drift_share,
        "drift_alert": report.drift_alert,
        "drifting": list(report.drifting),
        "features": [
            {
                "name": f.name,
                "method": f.method.value,
                "level": None if f.level is None else f.level.value,
                "statistic": f.statistic,
                "pvalue": f.pvalue,
            }
            for f in report.features
        ],
        "degradation": None
        if health is None
        else {
            "outcomes": health.outcomes,
            "statistic": health.statistic,
            "threshold": health.threshold,
            "alarm": health.alarm,
            "rolling_alarm": health.rolling_alarm,
            "recent_error_rate": health.recent_error_rate,
            "validation_error_rate": health.validation_error_rate,
        },
        "degradation_alert": report.degradation_alert,
    }


def _number(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _print(report: DriftReport) -> None:
    console = Console()
    table = Table(
        title=f"{report.model_name} v{report.version}: drift over {report.rows} rows to {report.at:%Y-%m-%d %H:%M}"
    )
    for column in ("feature", "method", "statistic", "p-value", "level"):
        table.add_column(column)
    for f in report.features:
        level = "skipped" if f.level is None else f.level.value
        table.add_row(f.name, f.method.value, _number(f.statistic), _number(f.pvalue, 6), level)
    console.print(table)
    verdict = "ALERT" if report.drift_alert else "no alert"
    console.print(f"dataset drift: {report.drift_share:.0%} of features drifting ({verdict})")
    health = report.degradation
    if health is None:
        console.print("degradation: no resolved outcomes")
    else:
        alarm = "ALARM" if health.alarm else "no alarm"
        rolling = "; recent error rate over validation + 5 pp: ALARM" if health.rolling_alarm else ""
        console.print(
            f"degradation: Page-Hinkley {health.statistic:.2f} of {health.threshold:.2f} over {health.outcomes} "
            f"outcomes ({alarm}); recent error rate {_number(health.recent_error_rate)}, "
            f"validation {_number(health.validation_error_rate)}{rolling}"
        )


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected ISO 8601, such as 2026-11-24T12:00:00+00:00") from None
    return utc("--end", parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


@click.group("drift")
def drift() -> None:
    """Data drift and performance degradation of models."""


@drift.command()
@click.argument("model")
@click.option("--version", "version", type=int, default=None, help="A version number (default: production).")
@click.option(
    "--window-hours",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_WINDOW.total_seconds() / 3600,
    show_default=True,
    help="Length of the recent window compared with the training reference.",
)
@click.option(
    "--end",
    callback=lambda ctx, param, value: _instant(value),
    default=None,
    help="End of the window: ISO 8601, UTC unless it has an offset (default: now).",
)
@click.option(
    "--score-candles",
    is_flag=True,
    help="Judge degradation on the window's candles (runs the model) instead of experiment outcomes.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
@click.pass_obj
def report(
    obj: CliContext,
    model: str,
    version: int | None,
    window_hours: float,
    end: datetime | None,
    score_candles: bool,
    as_json: bool,
) -> None:
    """Drift of MODEL's features against its training data, and degradation of its outcomes."""
    kinds = ("store", "artifact_store", "model_runtime") if score_candles else ("store",)

    async def build() -> DriftReport:
        async with App.from_config(obj.config(), kinds=kinds) as app:
            outcomes = None
            if score_candles:
                registry = ModelRegistry(app.store, app.artifact_store, app.model_runtime, app.clock)
                outcomes = CandleOutcomes(registry)
            service = ModelMonitoringService(
                app.store, app.clock, window=timedelta(hours=window_hours), outcomes=outcomes
            )
            return await service.report(model, version, end=end)

    result = asyncio.run(build())
    if as_json:
        click.echo(json.dumps(report_document(result), indent=2))
    else:
        _print(result)
