"""`galfriday models list|show|register|promote|rollback`: the model registry from the command line.

Runs on the configured store, artifact store and model runtime (`[store]`, `[models]`); every change is
recorded with `--actor` (default: $USER) and `--reason`. `--json` prints one JSON document instead of a table.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from galfriday.app import App
from galfriday.cli_actor import command_actor
from galfriday.cli_context import CliContext
from galfriday.config import Config
from galfriday.domain.model_metadata import VersionMetadata
from galfriday.domain.model_stages import Transition
from galfriday.domain.models import FeatureSpec, ModelAliasChange, ModelStageChange, ModelVersion
from galfriday.domain.promotion_gates import GatePolicy, GateReport
from galfriday.errors import InvalidValueError
from galfriday.services.model_registry import ModelRegistry, PromotionRefusedError, Registration

T = TypeVar("T")
KINDS = ("store", "artifact_store", "model_runtime")


def _with_registry(
    config: Config, use: Callable[[ModelRegistry], Awaitable[T]], policy: GatePolicy | None = None
) -> T:
    async def run() -> T:
        async with App.from_config(config, kinds=KINDS) as app:
            registry = ModelRegistry(
                app.store, app.artifact_store, app.model_runtime, app.clock, policy=policy
            )
            return await use(registry)

    return asyncio.run(run())


def version_document(model: ModelVersion, aliases: dict[str, int] | None = None) -> dict[str, Any]:
    """A version as JSON: identity, stage, artifact, features, lineage, the aliases naming it, its metadata."""
    return {
        "name": model.name,
        "version": model.version,
        "stage": model.stage.value,
        "created_at": model.created_at.isoformat(),
        "artifact_uri": model.artifact_uri,
        "artifact_sha256": model.artifact_sha256,
        "parent_version": model.parent_version,
        "features": [{"name": f.name, "dtype": f.dtype} for f in model.features],
        "aliases": sorted(alias for alias, v in (aliases or {}).items() if v == model.version),
        "metadata": model.metadata,
    }


def report_document(report: GateReport) -> dict[str, Any]:
    return {
        "passed": report.passed,
        "gates": [{"name": r.name, "passed": r.passed, "reason": r.reason} for r in report.results],
    }


def transition_document(transition: Transition) -> dict[str, Any]:
    return {
        "stage_changes": [
            {"version": c.version, "from": c.from_stage.value, "to": c.to_stage.value}
            for c in transition.stage_changes
        ],
        "alias_changes": [_alias_change(c) for c in transition.alias_changes],
    }


def _alias_change(change: ModelAliasChange) -> dict[str, Any]:
    return {
        "alias": change.alias,
        "from": change.from_version,
        "to": change.to_version,
        "at": change.at.isoformat(),
        "actor": change.actor,
        "reason": change.reason,
    }


def _stage_change(change: ModelStageChange) -> dict[str, Any]:
    return {
        "version": change.version,
        "from": change.from_stage.value,
        "to": change.to_stage.value,
        "at": change.at.isoformat(),
        "actor": change.actor,
        "reason": change.reason,
    }


def _feature(text: str) -> FeatureSpec:
    name, _, dtype = text.partition(":")
    if not name:
        raise click.BadParameter(f"{text!r}: expected NAME or NAME:DTYPE, such as rsi or rsi:float64")
    return FeatureSpec(name, dtype or "float32")


actor_option = click.option(
    "--actor", default=command_actor, show_default="$USER", help="Who makes the change (recorded)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")


@click.group("models")
def models() -> None:
    """The model registry: versions, stages, aliases, promotion and rollback."""


@models.command("list")
@click.argument("name")
@json_option
@click.pass_obj
def list_versions(obj: CliContext, name: str, as_json: bool) -> None:
    """List every version of model NAME with its stage and the aliases naming it."""

    async def read(registry: ModelRegistry) -> tuple[list[ModelVersion], dict[str, int]]:
        return await registry.versions(name), await registry.aliases(name)

    versions, aliases = _with_registry(obj.config(), read)
    documents = [version_document(v, aliases) for v in versions]
    if as_json:
        click.echo(json.dumps(documents, indent=2))
        return
    table = Table(title=f"model {name}")
    for column in ("version", "stage", "aliases", "created (UTC)", "parent", "opset", "sha256"):
        table.add_column(column)
    for document in documents:
        metadata = VersionMetadata.from_json(document["metadata"])
        table.add_row(
            str(document["version"]),
            document["stage"],
            ", ".join(document["aliases"]) or "-",
            document["created_at"][:19],
            str(document["parent_version"] or "-"),
            str(metadata.onnx_opset or "-"),
            document["artifact_sha256"][:12],
        )
    Console().print(table if documents else f"model {name}: no versions registered")


@models.command()
@click.argument("name")
@click.argument("version", type=click.IntRange(min=1))
@json_option
@click.pass_obj
def show(obj: CliContext, name: str, version: int, as_json: bool) -> None:
    """Show one version: artifact, features, lineage, metadata and its stage history."""

    async def read(registry: ModelRegistry) -> dict[str, Any]:
        model = await registry.get(name, version)
        document = version_document(model, await registry.aliases(name))
        document["stage_history"] = [
            _stage_change(c) for c in await registry.stage_history(name) if c.version == version
        ]
        return document

    document = _with_registry(obj.config(), read)
    if as_json:
        click.echo(json.dumps(document, indent=2))
        return
    console = Console()
    console.print(
        f"[bold]{name} v{version}[/] ({document['stage']}; aliases: {', '.join(document['aliases']) or '-'})"
    )
    for key in ("created_at", "artifact_uri", "artifact_sha256", "parent_version"):
        console.print(f"  {key}: {document[key]}")
    console.print("  features: " + ", ".join(f"{f['name']}:{f['dtype']}" for f in document["features"]))
    for key, value in document["metadata"].items():
        if key != "reference":
            console.print(f"  {key}: {json.dumps(value)}")
    for change in document["stage_history"]:
        console.print(
            f"  {change['at']} {change['from']} -> {change['to']} by {change['actor']}: {change['reason']}"
        )


@models.command()
@click.argument("name")
@click.argument("artifact", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--feature",
    "features",
    multiple=True,
    required=True,
    help="An input feature, in the model's order: NAME or NAME:DTYPE (float32 by default). Repeat it.",
)
@click.option(
    "--metadata",
    "metadata_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON file of version metadata (training window, metrics, holdout, reference batch, ...).",
)
@click.option(
    "--parent", type=click.IntRange(min=1), default=None, help="The version this one was derived from."
)
@actor_option
@click.option("--reason", default="", help="Why this version is registered (recorded).")
@json_option
@click.pass_obj
def register(
    obj: CliContext,
    name: str,
    artifact: Path,
    features: tuple[str, ...],
    metadata_file: Path | None,
    parent: int | None,
    actor: str,
    reason: str,
    as_json: bool,
) -> None:
    """Register ARTIFACT (an ONNX file) as the next version of model NAME, in development."""
    document = json.loads(metadata_file.read_text()) if metadata_file else {}
    if not isinstance(document, dict):
        raise InvalidValueError("--metadata", metadata_file, "a JSON object")
    registration = Registration(
        name=name,
        artifact=artifact.read_bytes(),
        features=tuple(_feature(f) for f in features),
        metadata=VersionMetadata.from_json(document),
        parent_version=parent,
    )

    async def write(registry: ModelRegistry) -> ModelVersion:
        return await registry.register(registration, actor=actor, reason=reason)

    model = _with_registry(obj.config(), write)
    if as_json:
        click.echo(json.dumps(version_document(model), indent=2))
        return
    click.echo(
        f"registered {name} v{model.version} ({model.artifact_uri}, sha256 {model.artifact_sha256[:12]})"
    )


@models.command()
@click.argument("name")
@click.argument("version", type=click.IntRange(min=1))
@actor_option
@click.option("--reason", required=True, help="Why this version goes to production (recorded).")
@click.option(
    "--max-p99-ms",
    type=click.FloatRange(min=0, min_open=True),
    default=GatePolicy().max_p99_seconds * 1e3,
    show_default=True,
    help="The latency gate: single-row p99 inference limit in milliseconds.",
)
@json_option
@click.pass_obj
def promote(
    obj: CliContext, name: str, version: int, actor: str, reason: str, max_p99_ms: float, as_json: bool
) -> None:
    """Promote VERSION of NAME to production if it passes every promotion gate (exit 1 if it does not)."""

    async def write(registry: ModelRegistry) -> tuple[GateReport, Transition | None]:
        try:
            promotion = await registry.promote(name, version, actor=actor, reason=reason)
        except PromotionRefusedError as refused:
            return refused.report, None
        return promotion.report, promotion.transition

    report, transition = _with_registry(obj.config(), write, GatePolicy(max_p99_seconds=max_p99_ms / 1e3))
    if as_json:
        document = report_document(report)
        document["transition"] = None if transition is None else transition_document(transition)
        click.echo(json.dumps(document, indent=2))
    else:
        table = Table(title=f"{name} v{version}: promotion gates")
        for column in ("gate", "passed", "reason"):
            table.add_column(column)
        for result in report.results:
            table.add_row(result.name, "yes" if result.passed else "NO", result.reason)
        Console().print(table)
        click.echo(f"promoted {name} v{version} to production" if transition else "refused: nothing changed")
    if transition is None:
        raise click.exceptions.Exit(1)


@models.command()
@click.argument("name")
@actor_option
@click.option("--reason", required=True, help="Why production goes back (recorded).")
@json_option
@click.pass_obj
def rollback(obj: CliContext, name: str, actor: str, reason: str, as_json: bool) -> None:
    """Move production (and champion) of NAME back to the previous production version."""

    async def write(registry: ModelRegistry) -> Transition:
        return await registry.rollback(name, actor=actor, reason=reason)

    transition = _with_registry(obj.config(), write)
    if as_json:
        click.echo(json.dumps(transition_document(transition), indent=2))
        return
    moved = next(c for c in transition.alias_changes if c.alias == "production")
    click.echo(f"rolled back {name}: production v{moved.from_version} -> v{moved.to_version}")
