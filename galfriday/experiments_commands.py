"""`galfriday experiments ...`: create model experiments, show their statistics, conclude them.

Runs against the configured store (SQLite by default). `conclude` promotes a winning candidate through the
model registry (`ModelRegistry.promote`, with its validation gates, on the configured artifact store and model
runtime); if the registry refuses, the error is shown and the experiment stays running, so nothing is recorded
as promoted that is not in production.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from galfriday.app import App
from galfriday.cli_actor import command_actor
from galfriday.cli_context import CliContext
from galfriday.config import Config
from galfriday.domain.experiment_evidence import ExperimentAssessment
from galfriday.domain.experiment_settings import Metric
from galfriday.domain.experiments import Experiment, ExperimentMode, ExperimentStatus
from galfriday.services.experiments import ExperimentService, Verdict
from galfriday.services.holdout_scoring import gated_promoter
from galfriday.services.model_registry import ModelRegistry

T = TypeVar("T")
PROMOTING_KINDS = ("store", "artifact_store", "model_runtime")


def _run(config: Config, use: Callable[[ExperimentService], Awaitable[T]], *, actor: str | None = None) -> T:
    """Run `use` on an experiment service; with `actor`, one that promotes winners through the registry."""

    async def run() -> T:
        kinds = ("store",) if actor is None else PROMOTING_KINDS
        async with App.from_config(config, kinds=kinds) as app:
            promoter = None
            if actor is not None:
                registry = ModelRegistry(app.store, app.artifact_store, app.model_runtime, app.clock)
                promoter = gated_promoter(registry, actor)
            return await use(ExperimentService(app.store, app.clock, promoter=promoter))

    return asyncio.run(run())


def experiment_document(experiment: Experiment) -> dict[str, Any]:
    return {
        "id": experiment.id,
        "name": experiment.name,
        "mode": experiment.mode.value,
        "status": experiment.status.value,
        "model": experiment.model_name,
        "control_version": experiment.control_version,
        "candidate_version": experiment.candidate_version,
        "config": experiment.config,
        "created_at": experiment.created_at.isoformat(),
        "concluded_at": None if experiment.concluded_at is None else experiment.concluded_at.isoformat(),
        "conclusion": experiment.conclusion,
    }


@click.group("experiments")
def experiments() -> None:
    """Model experiments: shadow (the default) or split comparisons of a candidate with its control."""


@experiments.command()
@click.argument("name")
@click.option("--model", "model_name", required=True, help="The model name both versions belong to.")
@click.option(
    "--control", "control_version", type=click.IntRange(min=1), required=True, help="Serving version."
)
@click.option(
    "--candidate", "candidate_version", type=click.IntRange(min=1), required=True, help="Challenger."
)
@click.option(
    "--mode", type=click.Choice([m.value for m in ExperimentMode]), default="shadow", show_default=True
)
@click.option(
    "--share", type=float, help="split only (required there): the candidate's share of routing keys."
)
@click.option(
    "--metric", type=click.Choice([m.value for m in Metric]), help="default: brier (shadow), pnl (split)"
)
@click.option("--margin", type=float, help="Practical improvement required (default: the metric's).")
@click.option("--min-outcomes", type=click.IntRange(min=2), help="Outcomes per arm before concluding [500].")
@click.option("--min-days", type=click.FloatRange(min=0), help="Days before concluding [7].")
@click.option("--seed", help="Routing hash seed (default: the experiment id).")
@click.option("--probability-output", help="Output holding the event's probability [probabilities].")
@click.option("--probability-index", type=int, help="Its value per row to read (-1: the last) [-1].")
@click.option("--json", "as_json", is_flag=True, help="The experiment as one JSON document.")
@click.pass_obj
def create(
    obj: CliContext,
    name: str,
    model_name: str,
    control_version: int,
    candidate_version: int,
    mode: str,
    share: float | None,
    metric: str | None,
    margin: float | None,
    min_outcomes: int | None,
    min_days: float | None,
    seed: str | None,
    probability_output: str | None,
    probability_index: int | None,
    as_json: bool,
) -> None:
    """Start an experiment comparing CANDIDATE with CONTROL of MODEL."""
    if mode == ExperimentMode.SPLIT and share is None:
        raise click.UsageError("a split experiment needs --share (the candidate's share of traffic)")
    if mode == ExperimentMode.SHADOW and share is not None:
        raise click.UsageError("--share applies to split experiments; shadow candidates score every request")
    settings: dict[str, Any] = {
        key: value
        for key, value in (
            ("traffic_share", share),
            ("metric", metric),
            ("margin", margin),
            ("min_outcomes_per_arm", min_outcomes),
            ("min_duration_seconds", None if min_days is None else min_days * 86_400.0),
            ("seed", seed),
            ("probability_output", probability_output),
            ("probability_index", probability_index),
        )
        if value is not None
    }
    made = _run(
        obj.config(),
        lambda service: service.create(
            name, model_name, control_version, candidate_version, mode=mode, **settings
        ),
    )
    if as_json:
        click.echo(json.dumps(experiment_document(made), indent=2))
        return
    click.echo(
        f"experiment {made.name} ({made.id}): {made.mode} {made.model_name} v{made.candidate_version} "
        f"against v{made.control_version}, running"
    )


@experiments.command("list")
@click.option("--status", type=click.Choice([s.value for s in ExperimentStatus]), help="Only these.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document per experiment, one per line.")
@click.pass_obj
def list_experiments(obj: CliContext, status: str | None, as_json: bool) -> None:
    """List experiments, oldest first."""

    async def listed(service: ExperimentService) -> list[Experiment]:
        return await service.list_experiments(None if status is None else ExperimentStatus(status))

    found = _run(obj.config(), listed)
    if as_json:
        for experiment in found:
            click.echo(json.dumps(experiment_document(experiment)))
        return
    table = Table(title="experiments")
    for column in ("name", "id", "mode", "status", "model", "control", "candidate", "created (UTC)"):
        table.add_column(column)
    for e in found:
        table.add_row(
            e.name,
            e.id,
            e.mode.value,
            e.status.value,
            e.model_name,
            f"v{e.control_version}",
            f"v{e.candidate_version}",
            f"{e.created_at:%Y-%m-%d %H:%M}",
        )
    Console().print(table if found else "no experiments")


@experiments.command()
@click.argument("experiment")
@click.option("--json", "as_json", is_flag=True, help="The assessment as one JSON document.")
@click.pass_obj
def status(obj: CliContext, experiment: str, as_json: bool) -> None:
    """Per-arm counts, the statistics of the experiment's mode and what the policy concludes now."""
    assessment = _run(obj.config(), lambda service: service.status(experiment))
    if as_json:
        click.echo(json.dumps(assessment.document(), indent=2))
        return
    _print_assessment(assessment)


@experiments.command()
@click.argument("experiment", required=False)
@click.option("--all", "every", is_flag=True, help="Conclude every running experiment.")
@click.option("--actor", default=command_actor, help="Who promotes a winner (recorded in the registry).")
@click.option("--json", "as_json", is_flag=True, help="One JSON document per experiment, one per line.")
@click.pass_obj
def conclude(obj: CliContext, experiment: str | None, every: bool, actor: str, as_json: bool) -> None:
    """Apply the policy: promote a winning candidate (through the registry), stop a losing one, or wait."""
    if every == (experiment is not None):
        raise click.UsageError("name one EXPERIMENT or pass --all")

    async def concluded(service: ExperimentService) -> list[Verdict]:
        if every:
            return await service.conclude_running()
        return [await service.conclude(experiment or "")]

    for verdict in _run(obj.config(), concluded, actor=actor):
        if as_json:
            document = verdict.assessment.document()
            document.update(
                status=verdict.experiment.status.value, winner=verdict.winner, promoted=verdict.promoted
            )
            click.echo(json.dumps(document))
            continue
        e = verdict.experiment
        action = verdict.assessment.conclusion.action
        ending = "still running" if e.status is ExperimentStatus.RUNNING else f"now {e.status.value}"
        winner = "" if verdict.winner is None else f"; winner v{verdict.winner}"
        promoted = " (promoted)" if verdict.promoted else ""
        click.echo(f"{e.name} ({e.id}): {action}{winner}{promoted}, {ending}")
        for reason in verdict.assessment.conclusion.reasons:
            click.echo(f"  {reason}")


def _print_assessment(assessment: ExperimentAssessment) -> None:
    table = Table(
        title=f"experiment {assessment.experiment_id} ({assessment.mode.value}, {assessment.metric.value})"
    )
    for column in ("arm", "version", "predictions", "outcomes", "means"):
        table.add_column(column)
    for tally in (assessment.control, assessment.candidate):
        means = ", ".join(f"{key} {value:.4g}" for key, value in tally.means.items())
        table.add_row(
            tally.arm.value, f"v{tally.version}", str(tally.predictions), str(tally.outcomes), means
        )
    console = Console()
    console.print(table)
    for result in (
        getattr(assessment.conclusion, "sequence", None),
        assessment.mcnemar,
        assessment.diebold_mariano,
        assessment.welch,
        assessment.bootstrap,
        assessment.mann_whitney,
        assessment.sample_ratio,
    ):
        if result is not None:
            console.print(result.summary, highlight=False)
    console.print(f"conclusion: {assessment.conclusion.action}", highlight=False)
    for reason in assessment.conclusion.reasons:
        console.print(f"  {reason}", highlight=False)
