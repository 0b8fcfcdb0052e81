"""Model registry: versions with their artifacts and lineage, stages and aliases, gated promotion, rollback, expiry.

One service over the `Store` (versions, stage history, alias history), an `ArtifactStore` and a `ModelRuntime`:

- `register` checks the artifact (when the runtime is an `ArtifactInspector`, as the ONNX runtime is: its IR
  version and opset are recorded), stores it, and records the version in development with its metadata
  (`VersionMetadata`), its feature schema hash and who registered it. The store numbers versions. The
  artifact is stored under the number expected next; if a concurrent registration takes that number first,
  the unit of work is rolled back and the registration retried under the new number (an artifact stored under
  a lost number stays behind, unreferenced, when its bytes differ from the winner's).
- `load` fetches the artifact, verifying its sha256 (`IntegrityError` if it was tampered with), into the runtime.
- `set_stage` and `set_alias` follow the rules of `domain.model_stages`; every move is written with who, when
  and why, to the append-only stage and alias histories.
- `evaluate` runs the promotion gates of `domain.promotion_gates` on evidence it gathers: the candidate's
  features against the serving features (the production version's, unless given), its holdout scores (its
  metadata `holdout`) against the champion's on the *same* holdout (`champion_holdout`, else the production
  version's recorded holdout; different holdouts fail the gate), the artifact (checksum, load, smoke
  inference), parity with the native model's outputs on the reference batch of its metadata, probabilities,
  determinism (two runs) and single-row p99 latency. `validate` also moves a passing development version to
  staging. `promote` moves production (and champion) to a passing candidate and archives the previous one;
  `rollback` moves them back to the previous production version, after checking its artifact still loads.
  Each is one unit of work: all of its stage and alias changes commit together or not at all.
- `prune_artifacts` deletes the artifacts of archived versions except the last `keep_last_n` (3) production
  versions, which stay for rollback.
- `serving_version` is the version to serve at an instant: production, unless it is past its metadata's
  `expires_at`; then the production version before it (rollbacks popped, as a rollback would choose), and so
  on; None when every one has expired (serve nothing: a flat signal). It moves no alias: expiry is a reading,
  and replacing the model is the retraining pipeline's decision.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs
from attrs import field, frozen

from galfriday.domain.model_artifacts import ArtifactInfo
from galfriday.domain.model_metadata import ReferenceBatch, VersionMetadata, schema_hash
from galfriday.domain.model_stages import (
    CHALLENGER,
    CHAMPION,
    KEEP_LAST_N,
    PRODUCTION,
    Transition,
    check_alias,
    check_move,
    live_version,
    plan_promotion,
    plan_rollback,
    version_stack,
    versions_to_keep,
)
from galfriday.domain.models import FeatureSpec, ModelAliasChange, ModelStage, ModelStageChange, ModelVersion
from galfriday.domain.promotion_gates import (
    GateEvidence,
    GatePolicy,
    GateReport,
    HoldoutMetrics,
    evaluate_gates,
)
from galfriday.errors import IntegrityError, InvalidValueError, ModelError, NotFoundError, StoreError
from galfriday.ports.clock import Clock
from galfriday.ports.models import ArtifactInspector, ArtifactStore, ModelRuntime
from galfriday.ports.stores import Store, UnitOfWork

KNOWN_ALIASES = (PRODUCTION, CHAMPION, CHALLENGER)
MAX_REGISTER_ATTEMPTS = 50
LATENCY_SAMPLES = 200


class PromotionRefusedError(ModelError):
    """A candidate failed the promotion gates; `report` holds every verdict and its reason."""

    def __init__(self, name: str, version: int, report: GateReport) -> None:
        self.name = name
        self.version = version
        self.report = report
        failed = "; ".join(f"{r.name}: {r.reason}" for r in report.failures)
        super().__init__(f"model {name} v{version} failed the promotion gates: {failed}")


def _features(value: Sequence[FeatureSpec]) -> tuple[FeatureSpec, ...]:
    return tuple(value)


@frozen
class Registration:
    """A version to register: the artifact, its input features, its metadata and its parent (lineage)."""

    name: str
    artifact: bytes = field(repr=lambda b: f"<{len(b)} bytes>")
    features: tuple[FeatureSpec, ...] = field(converter=_features)
    metadata: VersionMetadata = field(factory=VersionMetadata)
    parent_version: int | None = None


@frozen
class Promotion:
    """What `promote` did: the gate report and the stage and alias changes it committed."""

    version: int
    report: GateReport
    transition: Transition


class ModelRegistry:
    """The registry service (see the module docstring). `policy` sets the gates' thresholds."""

    def __init__(
        self,
        store: Store,
        artifacts: ArtifactStore,
        runtime: ModelRuntime,
        clock: Clock,
        *,
        policy: GatePolicy | None = None,
        latency_samples: int = LATENCY_SAMPLES,
    ) -> None:
        self.store = store
        self.artifacts = artifacts
        self.runtime = runtime
        self.clock = clock
        self.policy = policy or GatePolicy()
        self.latency_samples = latency_samples

    # --- registration and reads ---------------------------------------------------------------------

    async def register(self, registration: Registration, *, actor: str, reason: str = "") -> ModelVersion:
        """Check, store and record a new version in development; return it with its store-assigned number."""
        if not registration.features:
            raise InvalidValueError("features", registration.features, "at least one FeatureSpec")
        info = await self._describe(registration.artifact)
        metadata = attrs.evolve(
            registration.metadata,
            artifact_format=info.format if info else registration.metadata.artifact_format,
            onnx_ir_version=info.ir_version if info else registration.metadata.onnx_ir_version,
            onnx_opset=info.opset if info else registration.metadata.onnx_opset,
            schema_hash=schema_hash(registration.features),
            registered_by=actor,
            registration_reason=reason,
        ).to_json()
        guess = await self._next_number(registration.name)
        for _ in range(MAX_REGISTER_ATTEMPTS):
            uri, sha256 = await self.artifacts.put(registration.name, guess, registration.artifact)
            now = self.clock.now()
            async with self.store.unit_of_work() as uow:
                if registration.parent_version is not None:
                    await self._version(uow, registration.name, registration.parent_version)
                registered = await uow.models.register(
                    name=registration.name,
                    artifact_uri=uri,
                    artifact_sha256=sha256,
                    created_at=now,
                    features=registration.features,
                    parent_version=registration.parent_version,
                    metadata=metadata,
                )
                if registered.version != guess:  # someone registered first: retry under the next number
                    guess = registered.version
                    continue
                await uow.models.set_stage(
                    registration.name,
                    registered.version,
                    ModelStage.DEVELOPMENT,
                    actor=actor,
                    reason=reason or "registered",
                    at=now,
                )
                await uow.commit()
                return registered
        raise StoreError(
            f"model {registration.name}: {MAX_REGISTER_ATTEMPTS} concurrent registrations took the number "
            "this one expected; try again"
        )

    async def get(self, name: str, version: int) -> ModelVersion:
        """The version; `NotFoundError` if there is none."""
        async with self.store.unit_of_work() as uow:
            return await self._version(uow, name, version)

    async def versions(self, name: str) -> list[ModelVersion]:
        async with self.store.unit_of_work() as uow:
            return await uow.models.versions(name)

    async def aliases(self, name: str) -> dict[str, int]:
        """production, champion and challenger -> the version each names now (absent when unset)."""
        async with self.store.unit_of_work() as uow:
            return await self._aliases(uow, name)

    async def alias_history(self, name: str, alias: str | None = None) -> list[ModelAliasChange]:
        async with self.store.unit_of_work() as uow:
            return await uow.models.alias_history(name, alias)

    async def stage_history(self, name: str) -> list[ModelStageChange]:
        async with self.store.unit_of_work() as uow:
            return await uow.models.stage_history(name)

    async def live_version(self, name: str, at: datetime, alias: str = PRODUCTION) -> int | None:
        """The version `alias` named at instant `at` (from the append-only alias history)."""
        return live_version(await self.alias_history(name, alias), at, alias)

    async def load(self, name: str, version: int) -> ModelVersion:
        """Fetch the artifact (sha256 verified: `IntegrityError` if tampered) and load it into the runtime."""
        model = await self.get(name, version)
        await self._load(model)
        return model

    async def serving_version(self, name: str, at: datetime | None = None) -> ModelVersion | None:
        """Production at `at` (default now) unless expired, else the previous unexpired production version."""
        at = self.clock.now() if at is None else at
        async with self.store.unit_of_work() as uow:
            current = await uow.models.alias(name, PRODUCTION)
            if current is None:
                return None
            stack = list(version_stack(await uow.models.alias_history(name, PRODUCTION)))
            if not stack or stack[-1] != current:
                stack.append(current)
            for number in reversed(stack):
                model = await self._version(uow, name, number)
                if not VersionMetadata.from_json(model.metadata).expired(at):
                    return model
        return None

    # --- stages and aliases -------------------------------------------------------------------------

    async def set_stage(
        self, name: str, version: int, stage: ModelStage, *, actor: str, reason: str
    ) -> ModelVersion:
        """Move a version along the state machine (`ForbiddenStageMove` otherwise), audited."""
        stage = ModelStage(stage)
        async with self.store.unit_of_work() as uow:
            model = await self._version(uow, name, version)
            check_move(name, version, model.stage, stage)
            moved = await uow.models.set_stage(
                name, version, stage, actor=actor, reason=reason, at=self.clock.now()
            )
            await uow.commit()
            return moved

    async def set_alias(
        self, name: str, alias: str, version: int | None, *, actor: str, reason: str
    ) -> ModelAliasChange:
        """Point an alias at a version its rules allow (`AliasRuleError` otherwise); None removes it."""
        async with self.store.unit_of_work() as uow:
            if version is not None:
                model = await self._version(uow, name, version)
                champion = await uow.models.alias(name, CHAMPION)
                check_alias(name, alias, version, model.stage, champion=champion)
            change = await uow.models.set_alias(
                name, alias, version, at=self.clock.now(), actor=actor, reason=reason
            )
            await uow.commit()
            return change

    # --- gates, promotion, rollback -----------------------------------------------------------------

    async def evaluate(
        self,
        name: str,
        version: int,
        *,
        serving_features: Sequence[FeatureSpec] | None = None,
        champion_holdout: HoldoutMetrics | None = None,
    ) -> GateReport:
        """Run every promotion gate on `version` and return the report (changes nothing)."""
        async with self.store.unit_of_work() as uow:
            candidate = await self._version(uow, name, version)
            current = await uow.models.alias(name, PRODUCTION)
            production = None if current in (None, version) else await uow.models.get(name, current)
        metadata = VersionMetadata.from_json(candidate.metadata)
        if metadata.holdout is None:
            raise InvalidValueError(
                "holdout",
                None,
                f"model {name} v{version}'s holdout scores in its metadata (VersionMetadata.holdout)",
            )
        if metadata.reference is None:
            raise InvalidValueError(
                "reference", None, f"model {name} v{version}'s reference batch in its metadata (for parity)"
            )
        if production is not None and champion_holdout is None:
            champion_holdout = VersionMetadata.from_json(production.metadata).holdout
            if champion_holdout is None:
                raise InvalidValueError(
                    "champion_holdout",
                    None,
                    f"the scores of production v{production.version} on the candidate's holdout "
                    f"{metadata.holdout.holdout_id!r}",
                )
        if serving_features is None:
            serving_features = candidate.features if production is None else production.features
        problem, first, second, p99 = await self._exercise(candidate, metadata, metadata.reference)
        native = _probability_rows(metadata.reference.outputs)
        evidence = GateEvidence(
            candidate_features=candidate.features,
            serving_features=tuple(serving_features),
            candidate_metrics=metadata.holdout,
            champion_metrics=champion_holdout,
            artifact_problem=problem,
            runtime_outputs=first,
            native_outputs=native,
            repeat_outputs=second,
            p99_seconds=p99,
        )
        return evaluate_gates(evidence, self.policy)

    async def validate(
        self,
        name: str,
        version: int,
        *,
        actor: str,
        reason: str = "",
        serving_features: Sequence[FeatureSpec] | None = None,
        champion_holdout: HoldoutMetrics | None = None,
    ) -> GateReport:
        """`evaluate`, and move a passing development version to staging (audited)."""
        report = await self.evaluate(
            name, version, serving_features=serving_features, champion_holdout=champion_holdout
        )
        if report.passed:
            async with self.store.unit_of_work() as uow:
                model = await self._version(uow, name, version)
                if model.stage is ModelStage.DEVELOPMENT:
                    await uow.models.set_stage(
                        name,
                        version,
                        ModelStage.STAGING,
                        actor=actor,
                        reason=_gated(reason),
                        at=self.clock.now(),
                    )
                    await uow.commit()
        return report

    async def promote(
        self,
        name: str,
        version: int,
        *,
        actor: str,
        reason: str,
        serving_features: Sequence[FeatureSpec] | None = None,
        champion_holdout: HoldoutMetrics | None = None,
    ) -> Promotion:
        """Gate the candidate, then in one unit of work: development -> staging if needed, staging ->
        production, the old production archived, production and champion moved (`PromotionRefusedError` if
        a gate fails; nothing changes then)."""
        report = await self.evaluate(
            name, version, serving_features=serving_features, champion_holdout=champion_holdout
        )
        if not report.passed:
            raise PromotionRefusedError(name, version, report)
        now = self.clock.now()
        async with self.store.unit_of_work() as uow:
            stages = {v.version: v.stage for v in await uow.models.versions(name)}
            if stages.get(version) is ModelStage.DEVELOPMENT:
                await uow.models.set_stage(
                    name, version, ModelStage.STAGING, actor=actor, reason=_gated(reason), at=now
                )
                stages[version] = ModelStage.STAGING
            aliases = await self._aliases(uow, name)
            transition = plan_promotion(name, version, stages, aliases, at=now, actor=actor, reason=reason)
            await self._apply(uow, name, transition, now, actor, reason)
            await uow.commit()
        return Promotion(version, report, transition)

    async def rollback(self, name: str, *, actor: str, reason: str) -> Transition:
        """Move production and champion back to the previous production version in one unit of work.

        The target's artifact is fetched (sha256 verified) and loaded into the runtime first, outside the unit
        of work (a large model must not hold the store's write lock while it loads), so a rollback never lands
        on an artifact that cannot serve; `NoRollbackTarget` when there is no earlier version. The plan is made
        again inside the unit of work from what the store holds then.
        """
        loaded: set[int] = set()
        while True:
            now = self.clock.now()
            async with self.store.unit_of_work() as uow:
                transition, target = await self._plan_rollback(uow, name, now, actor, reason)
                if target.version in loaded:
                    await self._apply(uow, name, transition, now, actor, reason)
                    await uow.commit()
                    return transition
            await self._load(target)  # then plan again: the store may have moved on meanwhile
            loaded.add(target.version)

    async def _plan_rollback(
        self, uow: UnitOfWork, name: str, at: datetime, actor: str, reason: str
    ) -> tuple[Transition, ModelVersion]:
        versions = {v.version: v for v in await uow.models.versions(name)}
        aliases = await self._aliases(uow, name)
        history = await uow.models.alias_history(name, PRODUCTION)
        stages = {n: v.stage for n, v in versions.items()}
        transition = plan_rollback(name, stages, aliases, history, at=at, actor=actor, reason=reason)
        target = next(c.to_version for c in transition.alias_changes if c.alias == PRODUCTION)
        assert target is not None  # plan_rollback always names an earlier version
        return transition, versions[target]

    async def prune_artifacts(self, name: str, *, keep_last_n: int = KEEP_LAST_N) -> list[int]:
        """Delete the artifacts of archived versions other than the last `keep_last_n` production versions.

        The versions stay registered (lineage and audit need them); loading a pruned one raises `NotFoundError`.
        Returns the versions whose artifacts were deleted (deleting again is harmless, so a repeat lists them
        again).
        """
        async with self.store.unit_of_work() as uow:
            versions = await uow.models.versions(name)
            kept = set(versions_to_keep(await uow.models.alias_history(name, PRODUCTION), keep_last_n))
        pruned = [v for v in versions if v.stage is ModelStage.ARCHIVED and v.version not in kept]
        for model in pruned:
            await self.artifacts.delete(model.artifact_uri)
        return [model.version for model in pruned]

    # --- internals ----------------------------------------------------------------------------------

    async def _describe(self, artifact: bytes) -> ArtifactInfo | None:
        if isinstance(self.runtime, ArtifactInspector):
            return await self.runtime.describe(artifact)
        return None

    async def _next_number(self, name: str) -> int:
        async with self.store.unit_of_work() as uow:
            versions = await uow.models.versions(name)
        return max((v.version for v in versions), default=0) + 1

    async def _load(self, model: ModelVersion) -> None:
        artifact = await self.artifacts.get(model.artifact_uri, model.artifact_sha256)
        await self.runtime.load(model, artifact)

    async def _exercise(
        self, model: ModelVersion, metadata: VersionMetadata, reference: ReferenceBatch
    ) -> tuple[str | None, list[tuple[float, ...]], list[tuple[float, ...]], float]:
        """Load and run the candidate: (problem, outputs, outputs again, single-row p99 seconds)."""
        try:
            await self._load(model)
            first = await self.runtime.predict(model, reference.inputs)
            second = await self.runtime.predict(model, reference.inputs)
            single = {feature: column[:1] for feature, column in reference.inputs.items()}
            latencies = sorted(
                [
                    (await self.runtime.predict(model, single)).latency_seconds
                    for _ in range(self.latency_samples)
                ]
            )
            width = len(reference.outputs[0])
            rows = _output_rows(first.outputs, metadata.probability_output, width, len(reference.outputs))
            again = _output_rows(second.outputs, metadata.probability_output, width, len(reference.outputs))
        except IntegrityError:
            raise
        except (ModelError, InvalidValueError, NotFoundError) as exc:
            return f"{type(exc).__name__}: {exc}", [], [], math.inf
        p99 = latencies[max(0, math.ceil(0.99 * len(latencies)) - 1)] if latencies else math.inf
        return None, rows, again, p99

    async def _aliases(self, uow: UnitOfWork, name: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for alias in KNOWN_ALIASES:
            version = await uow.models.alias(name, alias)
            if version is not None:
                found[alias] = version
        return found

    @staticmethod
    async def _version(uow: UnitOfWork, name: str, version: int) -> ModelVersion:
        model = await uow.models.get(name, version)
        if model is None:
            raise NotFoundError("model version", f"{name} v{version}")
        return model

    @staticmethod
    async def _apply(
        uow: UnitOfWork, name: str, transition: Transition, at: datetime, actor: str, reason: str
    ) -> None:
        """Write a planned transition: aliases leaving a version, then stage changes, then alias moves."""
        for alias_change in transition.alias_changes:
            if alias_change.to_version is None:
                await _move_alias(uow, alias_change)
        for change in transition.stage_changes:
            await uow.models.set_stage(
                name, change.version, change.to_stage, actor=actor, reason=reason, at=at
            )
        for alias_change in transition.alias_changes:
            if alias_change.to_version is not None:
                await _move_alias(uow, alias_change)


async def _move_alias(uow: UnitOfWork, change: ModelAliasChange) -> None:
    await uow.models.set_alias(
        change.name, change.alias, change.to_version, at=change.at, actor=change.actor, reason=change.reason
    )


def _gated(reason: str) -> str:
    return f"passed the promotion gates; {reason}" if reason else "passed the promotion gates"


def _probability_rows(rows: Sequence[Sequence[float]]) -> list[tuple[float, ...]]:
    """Rows of class probabilities; a single column is the positive class, so (p,) becomes (1 - p, p)."""
    return [(1.0 - row[0], row[0]) if len(row) == 1 else tuple(row) for row in rows]


def _output_rows(
    outputs: Mapping[str, Sequence[float]], name: str | None, width: int, rows: int
) -> list[tuple[float, ...]]:
    """The probability output cut into rows of `width`, as `_probability_rows` shapes them."""
    if name is None:
        name = "probabilities" if "probabilities" in outputs or len(outputs) != 1 else next(iter(outputs))
    if name not in outputs:
        raise ModelError(
            f"no output {name!r} among {sorted(outputs)}; set probability_output in the version's metadata"
        )
    flat = [float(value) for value in outputs[name]]  # runtimes may hand back float32 arrays
    if len(flat) != rows * width:
        raise ModelError(
            f"output {name!r} holds {len(flat)} values for {rows} rows; the reference outputs have {width} per row"
        )
    return _probability_rows([tuple(flat[i * width : (i + 1) * width]) for i in range(rows)])
