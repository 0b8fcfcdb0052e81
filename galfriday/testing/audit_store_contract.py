"""The store contract for the audit records: reconciliation runs and adjustments, experiments and their
outcomes, the prediction log, and the model stage history.

`StoreContract` inherits these tests, so every store adapter runs them; they live in their own module to keep
each contract module about one group of repositories. The same rules as in `store_contract` apply: the suite
speaks only through the ports and asserts only what they promise.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from galfriday.domain.experiments import (
    Experiment,
    ExperimentOutcome,
    ExperimentStatus,
    PredictionRecord,
)
from galfriday.domain.models import ModelStage, ModelStageChange
from galfriday.domain.reconciliation_audit import PositionAdjustment, ReconciliationRun
from galfriday.errors import DuplicateKeyError, InvalidValueError, NotFoundError, UnitOfWorkError
from galfriday.ports.stores import Store, UnitOfWork
from galfriday.testing import samples
from galfriday.testing.samples import T0, instant
from galfriday.testing.store_assertions import (
    EXACT_AMOUNTS,
    ODD_INSTANT,
    DeliberateError,
    assert_same_decimal,
    assert_same_utc_instant,
    read,
    write,
)

AWKWARD_FLOATS = (0.1, 1 / 3, 1e-7, 1e-300, 1e300, 123456789.123456789, -2.5, 0.0, 5e-324)
"""Floats whose shortest decimal form is long, tiny, huge or subnormal: each must come back bit for bit."""

REPORT = {
    "balances": {"BTC": {"exchange": "1.50000000", "local": "1.49000000"}},
    "checked": ["balances", "positions", "orders"],
    "ratio": 0.1,
    "count": 3,
    "clean": False,
    "note": None,
    "unicode": "Ωμέγα ✓",
}
"""A nested JSON report: objects, lists, strings (numbers as text), a float, an int, a bool, null, non-ASCII."""


def reconciliation_run(run_id: str = "recon-1", **changes: Any) -> ReconciliationRun:
    run = ReconciliationRun(
        id=run_id,
        kind="scheduled",
        status="partial",
        started_at=T0,
        finished_at=instant(2),
        discrepancies_found=3,
        auto_corrected=2,
        manual_review_required=1,
        report=REPORT,
    )
    return attrs.evolve(run, **changes) if changes else run


def adjustment(adjustment_id: str = "adj-1", run_id: str = "recon-1", **changes: Any) -> PositionAdjustment:
    adj = PositionAdjustment(
        id=adjustment_id,
        run_id=run_id,
        subject="balance:BTC",
        kind="balance_corrected",
        old_value=Decimal("1.49000000"),
        new_value=Decimal("1.50000000"),
        reason="exchange balance differs from the local one",
        created_at=instant(1),
    )
    return attrs.evolve(adj, **changes) if changes else adj


def experiment(experiment_id: str = "exp-1", name: str | None = None, **changes: Any) -> Experiment:
    made = Experiment(
        id=experiment_id,
        name=name or f"alpha v1 vs v2 ({experiment_id})",
        mode="shadow",
        status="running",
        model_name="alpha",
        control_version=1,
        candidate_version=2,
        config={"metric": "brier", "alpha": 0.05, "min_samples": 500, "arms": ["control", "candidate"]},
        created_at=T0,
    )
    return attrs.evolve(made, **changes) if changes else made


def outcome(prediction_id: str = "pred-1", experiment_id: str = "exp-1", **changes: Any) -> ExperimentOutcome:
    made = ExperimentOutcome(
        experiment_id=experiment_id,
        prediction_id=prediction_id,
        arm="candidate",
        model_version=2,
        routing_key="BTC/USD",
        values={"hit": 1.0, "loss": 0.21, "pnl": 12.5},
        observed_at=instant(60),
    )
    return attrs.evolve(made, **changes) if changes else made


def prediction(prediction_id: str = "pred-1", **changes: Any) -> PredictionRecord:
    made = PredictionRecord(
        id=prediction_id,
        model_name="alpha",
        version=2,
        experiment_id="exp-1",
        arm="candidate",
        routing_key="BTC/USD",
        acted=False,
        outputs={"probabilities": (0.25, 0.75), "label": (1.0,)},
        latency_seconds=0.00042,
        at=T0,
        bucket=0.4231,
        features_hash="9f2c",
    )
    return attrs.evolve(made, **changes) if changes else made


AUDIT_REPOSITORY_CALLS: dict[str, Callable[[UnitOfWork], Awaitable[object]]] = {
    "reconciliations": lambda uow: uow.reconciliations.recent_runs(),
    "experiments": lambda uow: uow.experiments.list(),
    "predictions": lambda uow: uow.predictions.get("pred-1"),
}

each_audit_repository = pytest.mark.parametrize("repository", sorted(AUDIT_REPOSITORY_CALLS))


async def write_one_of_each_audit_record(uow: UnitOfWork) -> None:
    await uow.reconciliations.add_run(reconciliation_run())
    await uow.reconciliations.add_adjustment(adjustment())
    await uow.experiments.create(experiment())
    await uow.experiments.add_outcome(outcome())
    await uow.predictions.add_many([prediction()])
    await uow.models.register(**samples.model_registration("alpha"))
    await uow.models.set_stage("alpha", 1, ModelStage.STAGING, at=T0)


async def audit_records_stored(uow: UnitOfWork) -> dict[str, Sequence[object]]:
    return {
        "runs": await uow.reconciliations.recent_runs(),
        "adjustments": await uow.reconciliations.adjustments(),
        "experiments": await uow.experiments.list(),
        "outcomes": await uow.experiments.outcomes("exp-1"),
        "predictions": await uow.predictions.for_model("alpha"),
        "stage history": await uow.models.stage_history("alpha"),
    }


NO_AUDIT_RECORDS: dict[str, Sequence[object]] = {
    "runs": [],
    "adjustments": [],
    "experiments": [],
    "outcomes": [],
    "predictions": [],
    "stage history": [],
}


class AuditStoreContract:
    """Mixed into `StoreContract`; relies on its `store` fixture and its asyncio mark."""

    pytestmark = pytest.mark.asyncio

    # --- transactions ----------------------------------------------------------------------------------

    async def test_audit_records_committed_together_are_all_stored(self, store: Store) -> None:
        await write(store, write_one_of_each_audit_record)
        stored = await read(store, audit_records_stored)
        assert {key: len(value) for key, value in stored.items()} == dict.fromkeys(NO_AUDIT_RECORDS, 1)

    async def test_leaving_without_commit_discards_every_audit_record(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            await write_one_of_each_audit_record(uow)
            assert await audit_records_stored(uow) != NO_AUDIT_RECORDS
        assert await read(store, audit_records_stored) == NO_AUDIT_RECORDS

    async def test_an_exception_discards_every_audit_record(self, store: Store) -> None:
        async def write_then_fail() -> None:
            async with store.unit_of_work() as uow:
                await write_one_of_each_audit_record(uow)
                raise DeliberateError

        with pytest.raises(DeliberateError):
            await write_then_fail()
        assert await read(store, audit_records_stored) == NO_AUDIT_RECORDS

    @each_audit_repository
    async def test_an_audit_repository_refuses_use_after_its_unit_of_work(
        self, store: Store, repository: str
    ) -> None:
        async with store.unit_of_work() as uow:
            await uow.commit()
            with pytest.raises(UnitOfWorkError):
                await AUDIT_REPOSITORY_CALLS[repository](uow)

    # --- reconciliation runs -----------------------------------------------------------------------------

    async def test_a_reconciliation_run_reads_back_equal_to_what_was_added(self, store: Store) -> None:
        await write(store, lambda uow: uow.reconciliations.add_run(reconciliation_run()))
        assert await read(store, lambda uow: uow.reconciliations.run("recon-1")) == reconciliation_run()

    async def test_a_reconciliation_run_with_an_empty_report_reads_back_equal(self, store: Store) -> None:
        run = reconciliation_run(status="success", report={}, discrepancies_found=0, auto_corrected=0)
        await write(store, lambda uow: uow.reconciliations.add_run(run))
        assert await read(store, lambda uow: uow.reconciliations.run("recon-1")) == run

    async def test_reconciliation_run_times_come_back_as_the_same_utc_instant(self, store: Store) -> None:
        run = reconciliation_run(started_at=ODD_INSTANT, finished_at=ODD_INSTANT + timedelta(microseconds=1))
        await write(store, lambda uow: uow.reconciliations.add_run(run))
        found = await read(store, lambda uow: uow.reconciliations.run("recon-1"))
        assert found is not None
        assert_same_utc_instant(found.started_at, ODD_INSTANT)
        assert_same_utc_instant(found.finished_at, ODD_INSTANT + timedelta(microseconds=1))

    async def test_getting_an_unknown_reconciliation_run_returns_none(self, store: Store) -> None:
        assert await read(store, lambda uow: uow.reconciliations.run("nope")) is None

    async def test_adding_a_reconciliation_run_under_a_used_id_is_refused(self, store: Store) -> None:
        await write(store, lambda uow: uow.reconciliations.add_run(reconciliation_run()))
        async with store.unit_of_work() as uow:
            with pytest.raises(DuplicateKeyError):
                await uow.reconciliations.add_run(reconciliation_run(status="failed"))

    async def test_adding_the_identical_reconciliation_run_again_is_refused(self, store: Store) -> None:
        await write(store, lambda uow: uow.reconciliations.add_run(reconciliation_run()))
        async with store.unit_of_work() as uow:
            with pytest.raises(DuplicateKeyError):
                await uow.reconciliations.add_run(reconciliation_run())

    async def test_a_refused_reconciliation_run_leaves_the_first_and_the_unit_of_work_usable(
        self, store: Store
    ) -> None:
        await write(store, lambda uow: uow.reconciliations.add_run(reconciliation_run()))
        async with store.unit_of_work() as uow:
            with pytest.raises(DuplicateKeyError):
                await uow.reconciliations.add_run(reconciliation_run(status="failed"))
            await uow.reconciliations.add_run(reconciliation_run("recon-2"))
            await uow.commit()
        runs = await read(store, lambda uow: uow.reconciliations.recent_runs())
        assert sorted(runs, key=lambda run: run.id) == [reconciliation_run(), reconciliation_run("recon-2")]

    async def test_recent_reconciliation_runs_are_newest_first(self, store: Store) -> None:
        runs = [
            reconciliation_run(f"r{i}", started_at=instant(i), finished_at=instant(i + 1)) for i in (5, 1, 9)
        ]
        await write(store, lambda uow: _add_runs(uow, runs))
        recent = await read(store, lambda uow: uow.reconciliations.recent_runs())
        assert [run.id for run in recent] == ["r9", "r5", "r1"]

    async def test_recent_reconciliation_runs_started_together_are_by_id_descending(
        self, store: Store
    ) -> None:
        await write(store, lambda uow: _add_runs(uow, [reconciliation_run(i) for i in ("b", "a", "c")]))
        recent = await read(store, lambda uow: uow.reconciliations.recent_runs())
        assert [run.id for run in recent] == ["c", "b", "a"]

    async def test_recent_reconciliation_runs_are_at_most_limit(self, store: Store) -> None:
        runs = [reconciliation_run(f"r{i}", started_at=instant(i), finished_at=instant(i)) for i in range(5)]
        await write(store, lambda uow: _add_runs(uow, runs))
        recent = await read(store, lambda uow: uow.reconciliations.recent_runs(limit=2))
        assert [run.id for run in recent] == ["r4", "r3"]

    # --- position adjustments ----------------------------------------------------------------------------

    async def test_an_adjustment_reads_back_equal_to_what_was_added(self, store: Store) -> None:
        await write(store, _run_with(adjustment()))
        assert await read(store, lambda uow: uow.reconciliations.adjustment("adj-1")) == adjustment()

    async def test_an_adjustment_without_old_or_new_value_reads_back_equal(self, store: Store) -> None:
        added = adjustment(subject="order:OABC-123", kind="order_added", old_value=None, new_value=None)
        await write(store, _run_with(added))
        assert await read(store, lambda uow: uow.reconciliations.adjustment("adj-1")) == added

    @pytest.mark.parametrize("text", EXACT_AMOUNTS)
    async def test_adjustment_values_keep_their_exact_decimal_form(self, store: Store, text: str) -> None:
        await write(store, _run_with(adjustment(old_value=Decimal(text), new_value=Decimal("-" + text))))
        found = await read(store, lambda uow: uow.reconciliations.adjustment("adj-1"))
        assert found is not None
        assert found.old_value is not None
        assert found.new_value is not None
        assert_same_decimal(found.old_value, Decimal(text))
        assert_same_decimal(found.new_value, Decimal("-" + text))

    async def test_adding_a_new_adjustment_returns_true(self, store: Store) -> None:
        await write(store, lambda uow: uow.reconciliations.add_run(reconciliation_run()))
        async with store.unit_of_work() as uow:
            assert await uow.reconciliations.add_adjustment(adjustment()) is True

    async def test_adding_an_adjustment_under_a_stored_id_returns_false(self, store: Store) -> None:
        await write(store, _run_with(adjustment()))
        async with store.unit_of_work() as uow:
            assert await uow.reconciliations.add_adjustment(adjustment()) is False

    async def test_an_adjustment_added_again_by_a_re_run_keeps_the_first(self, store: Store) -> None:
        await write(store, _run_with(adjustment()))
        again = adjustment(reason="seen again", created_at=instant(3600))
        await write(store, lambda uow: uow.reconciliations.add_adjustment(again))
        assert await read(store, lambda uow: uow.reconciliations.adjustments()) == [adjustment()]

    async def test_an_adjustment_of_an_unknown_run_is_refused(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            with pytest.raises(NotFoundError):
                await uow.reconciliations.add_adjustment(adjustment(run_id="nope"))

    async def test_getting_an_unknown_adjustment_returns_none(self, store: Store) -> None:
        assert await read(store, lambda uow: uow.reconciliations.adjustment("nope")) is None

    async def test_adjustments_of_a_run_are_only_its_own_oldest_first(self, store: Store) -> None:
        async def add(uow: UnitOfWork) -> None:
            await _add_runs(uow, [reconciliation_run("recon-1"), reconciliation_run("recon-2")])
            await uow.reconciliations.add_adjustment(adjustment("late", created_at=instant(9)))
            await uow.reconciliations.add_adjustment(adjustment("other", run_id="recon-2"))
            await uow.reconciliations.add_adjustment(adjustment("early", created_at=instant(-9)))

        await write(store, add)
        found = await read(store, lambda uow: uow.reconciliations.adjustments("recon-1"))
        assert [adj.id for adj in found] == ["early", "late"]

    async def test_all_adjustments_are_oldest_first_ties_by_id(self, store: Store) -> None:
        async def add(uow: UnitOfWork) -> None:
            await _add_runs(uow, [reconciliation_run("recon-1"), reconciliation_run("recon-2")])
            await uow.reconciliations.add_adjustment(adjustment("b", run_id="recon-2"))
            await uow.reconciliations.add_adjustment(adjustment("a"))
            await uow.reconciliations.add_adjustment(adjustment("z", created_at=instant(-1)))

        await write(store, add)
        found = await read(store, lambda uow: uow.reconciliations.adjustments())
        assert [adj.id for adj in found] == ["z", "a", "b"]

    async def test_a_rolled_back_adjustment_id_can_be_added_anew(self, store: Store) -> None:
        await write(store, lambda uow: uow.reconciliations.add_run(reconciliation_run()))
        async with store.unit_of_work() as uow:
            await uow.reconciliations.add_adjustment(adjustment())
        async with store.unit_of_work() as uow:
            assert await uow.reconciliations.add_adjustment(adjustment()) is True

    # --- experiments -------------------------------------------------------------------------------------

    async def test_an_experiment_reads_back_equal_to_what_was_created(self, store: Store) -> None:
        await write(store, lambda uow: uow.experiments.create(experiment()))
        assert await read(store, lambda uow: uow.experiments.get("exp-1")) == experiment()

    async def test_an_experiment_is_found_by_its_name(self, store: Store) -> None:
        await write(store, lambda uow: uow.experiments.create(experiment(name="alpha-shadow")))
        found = await read(store, lambda uow: uow.experiments.get_by_name("alpha-shadow"))
        assert found == experiment(name="alpha-shadow")

    async def test_getting_an_unknown_experiment_returns_none(self, store: Store) -> None:
        assert await read(store, lambda uow: uow.experiments.get("nope")) is None
        assert await read(store, lambda uow: uow.experiments.get_by_name("nope")) is None

    async def test_creating_an_experiment_with_a_taken_name_is_refused(self, store: Store) -> None:
        await write(store, lambda uow: uow.experiments.create(experiment("exp-1", name="same")))
        async with store.unit_of_work() as uow:
            with pytest.raises(DuplicateKeyError):
                await uow.experiments.create(experiment("exp-2", name="same"))

    async def test_creating_an_experiment_with_a_taken_id_is_refused(self, store: Store) -> None:
        await write(store, lambda uow: uow.experiments.create(experiment("exp-1", name="first")))
        async with store.unit_of_work() as uow:
            with pytest.raises(DuplicateKeyError):
                await uow.experiments.create(experiment("exp-1", name="second"))

    async def test_a_refused_experiment_leaves_the_unit_of_work_usable(self, store: Store) -> None:
        await write(store, lambda uow: uow.experiments.create(experiment("exp-1", name="same")))
        async with store.unit_of_work() as uow:
            with pytest.raises(DuplicateKeyError):
                await uow.experiments.create(experiment("exp-2", name="same"))
            await uow.experiments.create(experiment("exp-3", name="other"))
            await uow.commit()
        listed = await read(store, lambda uow: uow.experiments.list())
        assert [(found.id, found.name) for found in listed] == [("exp-1", "same"), ("exp-3", "other")]

    async def test_experiments_are_listed_oldest_first_ties_by_id(self, store: Store) -> None:
        made = [experiment("b"), experiment("c", created_at=instant(-5)), experiment("a")]
        await write(store, lambda uow: _create_all(uow, made))
        listed = await read(store, lambda uow: uow.experiments.list())
        assert [found.id for found in listed] == ["c", "a", "b"]

    async def test_experiments_can_be_listed_by_status(self, store: Store) -> None:
        async def create_and_stop(uow: UnitOfWork) -> None:
            await _create_all(uow, [experiment("running"), experiment("stopped")])
            await uow.experiments.finish("stopped", ExperimentStatus.STOPPED, None, instant(5))

        await write(store, create_and_stop)
        running = await read(store, lambda uow: uow.experiments.list(ExperimentStatus.RUNNING))
        stopped = await read(store, lambda uow: uow.experiments.list(ExperimentStatus.STOPPED))
        assert [found.id for found in running] == ["running"]
        assert [found.id for found in stopped] == ["stopped"]

    async def test_finishing_an_experiment_stores_and_returns_its_conclusion(self, store: Store) -> None:
        verdict = {"winner": "candidate", "p_value": 0.0123, "n": 1200}
        await write(store, lambda uow: uow.experiments.create(experiment()))
        async with store.unit_of_work() as uow:
            finished = await uow.experiments.finish("exp-1", ExperimentStatus.CONCLUDED, verdict, ODD_INSTANT)
            await uow.commit()
        expected = experiment(status="concluded", concluded_at=ODD_INSTANT, conclusion=verdict)
        assert finished == expected
        stored = await read(store, lambda uow: uow.experiments.get("exp-1"))
        assert stored == expected
        assert stored is not None
        assert stored.concluded_at is not None
        assert_same_utc_instant(stored.concluded_at, ODD_INSTANT)

    async def test_finishing_an_experiment_that_is_not_running_is_refused(self, store: Store) -> None:
        async def create_and_stop(uow: UnitOfWork) -> None:
            await uow.experiments.create(experiment())
            await uow.experiments.finish("exp-1", ExperimentStatus.STOPPED, None, instant(5))

        await write(store, create_and_stop)
        async with store.unit_of_work() as uow:
            with pytest.raises(InvalidValueError):
                await uow.experiments.finish(
                    "exp-1", ExperimentStatus.CONCLUDED, {"winner": "control"}, instant(9)
                )
            stopped = await uow.experiments.get("exp-1")
        assert stopped == experiment(status="stopped", concluded_at=instant(5))

    async def test_finishing_an_experiment_as_running_is_refused(self, store: Store) -> None:
        await write(store, lambda uow: uow.experiments.create(experiment()))
        async with store.unit_of_work() as uow:
            with pytest.raises(InvalidValueError):
                await uow.experiments.finish("exp-1", ExperimentStatus.RUNNING, None, instant(5))

    async def test_finishing_an_unknown_experiment_raises_not_found(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            with pytest.raises(NotFoundError):
                await uow.experiments.finish("nope", ExperimentStatus.STOPPED, None, instant(5))

    async def test_a_rolled_back_finish_leaves_the_experiment_running(self, store: Store) -> None:
        await write(store, lambda uow: uow.experiments.create(experiment()))
        async with store.unit_of_work() as uow:
            await uow.experiments.finish("exp-1", ExperimentStatus.STOPPED, None, instant(5))
        assert await read(store, lambda uow: uow.experiments.get("exp-1")) == experiment()

    # --- experiment outcomes -----------------------------------------------------------------------------

    async def test_an_outcome_reads_back_equal_to_what_was_added(self, store: Store) -> None:
        await write(store, _experiment_with([outcome()]))
        assert await read(store, lambda uow: uow.experiments.outcomes("exp-1")) == [outcome()]

    async def test_an_outcome_without_routing_key_reads_back_equal(self, store: Store) -> None:
        plain = outcome(routing_key=None, arm="control", model_version=1, values={})
        await write(store, _experiment_with([plain]))
        assert await read(store, lambda uow: uow.experiments.outcomes("exp-1")) == [plain]

    async def test_outcome_values_come_back_as_the_same_floats(self, store: Store) -> None:
        values = {f"v{i}": value for i, value in enumerate(AWKWARD_FLOATS)}
        await write(store, _experiment_with([outcome(values=values)]))
        [found] = await read(store, lambda uow: uow.experiments.outcomes("exp-1"))
        assert {key: _bits(value) for key, value in found.values.items()} == {
            key: _bits(value) for key, value in values.items()
        }

    async def test_adding_a_new_outcome_returns_true(self, store: Store) -> None:
        await write(store, lambda uow: uow.experiments.create(experiment()))
        async with store.unit_of_work() as uow:
            assert await uow.experiments.add_outcome(outcome()) is True

    async def test_adding_an_outcome_for_a_stored_prediction_returns_false_and_keeps_the_first(
        self, store: Store
    ) -> None:
        await write(store, _experiment_with([outcome()]))
        async with store.unit_of_work() as uow:
            assert await uow.experiments.add_outcome(outcome(values={"hit": 0.0})) is False
            await uow.commit()
        assert await read(store, lambda uow: uow.experiments.outcomes("exp-1")) == [outcome()]

    async def test_the_same_prediction_id_may_have_an_outcome_in_each_experiment(self, store: Store) -> None:
        async def add(uow: UnitOfWork) -> None:
            await _create_all(uow, [experiment("exp-1"), experiment("exp-2")])
            assert await uow.experiments.add_outcome(outcome("pred-1", "exp-1")) is True
            assert await uow.experiments.add_outcome(outcome("pred-1", "exp-2")) is True

        await write(store, add)
        assert await read(store, lambda uow: uow.experiments.outcomes("exp-2")) == [
            outcome("pred-1", "exp-2")
        ]

    async def test_adding_outcomes_counts_only_the_new_ones(self, store: Store) -> None:
        await write(store, _experiment_with([outcome("pred-1")]))
        async with store.unit_of_work() as uow:
            batch = [outcome("pred-1"), outcome("pred-2"), outcome("pred-2"), outcome("pred-3")]
            assert await uow.experiments.add_outcomes(batch) == 2
            await uow.commit()
        found = await read(store, lambda uow: uow.experiments.outcomes("exp-1"))
        assert sorted(found.prediction_id for found in found) == ["pred-1", "pred-2", "pred-3"]

    async def test_an_outcome_of_an_unknown_experiment_is_refused(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            with pytest.raises(NotFoundError):
                await uow.experiments.add_outcome(outcome(experiment_id="nope"))

    async def test_outcomes_are_in_observation_order_ties_in_insertion_order(self, store: Store) -> None:
        made = [
            outcome("p-late", observed_at=instant(30)),
            outcome("p-z", observed_at=instant(10)),
            outcome("p-a", observed_at=instant(10)),
            outcome("p-early", observed_at=instant(-30)),
        ]
        await write(store, lambda uow: uow.experiments.create(experiment()))
        for one in made:
            await write(store, _outcome_adder(one))
        found = await read(store, lambda uow: uow.experiments.outcomes("exp-1"))
        assert [one.prediction_id for one in found] == ["p-early", "p-z", "p-a", "p-late"]

    async def test_outcome_times_come_back_as_the_same_utc_instant(self, store: Store) -> None:
        await write(store, _experiment_with([outcome(observed_at=ODD_INSTANT)]))
        [found] = await read(store, lambda uow: uow.experiments.outcomes("exp-1"))
        assert_same_utc_instant(found.observed_at, ODD_INSTANT)

    # --- predictions -------------------------------------------------------------------------------------

    async def test_a_prediction_reads_back_equal_to_what_was_added(self, store: Store) -> None:
        await write(store, lambda uow: uow.predictions.add_many([prediction()]))
        assert await read(store, lambda uow: uow.predictions.get("pred-1")) == prediction()

    async def test_a_prediction_outside_any_experiment_reads_back_equal(self, store: Store) -> None:
        plain = prediction(
            experiment_id=None, arm=None, routing_key=None, acted=True, bucket=None, features_hash=None
        )
        await write(store, lambda uow: uow.predictions.add_many([plain]))
        assert await read(store, lambda uow: uow.predictions.get("pred-1")) == plain

    async def test_prediction_outputs_come_back_as_the_same_floats(self, store: Store) -> None:
        made = prediction(outputs={"awkward": AWKWARD_FLOATS, "empty": ()}, latency_seconds=1 / 3)
        await write(store, lambda uow: uow.predictions.add_many([made]))
        found = await read(store, lambda uow: uow.predictions.get("pred-1"))
        assert found is not None
        assert [_bits(value) for value in found.outputs["awkward"]] == [
            _bits(value) for value in AWKWARD_FLOATS
        ]
        assert found.outputs["empty"] == ()
        assert _bits(found.latency_seconds) == _bits(1 / 3)

    async def test_prediction_times_come_back_as_the_same_utc_instant(self, store: Store) -> None:
        await write(store, lambda uow: uow.predictions.add_many([prediction(at=ODD_INSTANT)]))
        found = await read(store, lambda uow: uow.predictions.get("pred-1"))
        assert found is not None
        assert_same_utc_instant(found.at, ODD_INSTANT)

    async def test_getting_an_unknown_prediction_returns_none(self, store: Store) -> None:
        assert await read(store, lambda uow: uow.predictions.get("nope")) is None

    async def test_adding_predictions_counts_only_the_new_ones_and_keeps_the_first(
        self, store: Store
    ) -> None:
        await write(store, lambda uow: uow.predictions.add_many([prediction("pred-1")]))
        batch = [
            prediction("pred-1", acted=True),
            prediction("pred-2"),
            prediction("pred-2"),
            prediction("pred-3"),
        ]
        async with store.unit_of_work() as uow:
            assert await uow.predictions.add_many(batch) == 2
            await uow.commit()
        assert await read(store, lambda uow: uow.predictions.get("pred-1")) == prediction("pred-1")
        assert len(await read(store, lambda uow: uow.predictions.for_model("alpha"))) == 3

    async def test_adding_no_predictions_adds_nothing(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            assert await uow.predictions.add_many([]) == 0

    async def test_predictions_of_an_experiment_are_only_its_own_oldest_first(self, store: Store) -> None:
        made = [
            prediction("late", at=instant(9)),
            prediction("other", experiment_id="exp-2"),
            prediction("none", experiment_id=None, arm=None),
            prediction("b", at=instant(0)),
            prediction("a", at=instant(0)),
        ]
        await write(store, lambda uow: uow.predictions.add_many(made))
        found = await read(store, lambda uow: uow.predictions.for_experiment("exp-1"))
        assert [record.id for record in found] == ["a", "b", "late"]

    async def test_predictions_of_an_experiment_since_include_the_boundary(self, store: Store) -> None:
        made = [prediction(f"p{i}", at=instant(i)) for i in range(4)]
        await write(store, lambda uow: uow.predictions.add_many(made))
        found = await read(store, lambda uow: uow.predictions.for_experiment("exp-1", since=instant(2)))
        assert [record.id for record in found] == ["p2", "p3"]

    async def test_predictions_of_a_model_can_be_limited_to_a_version_and_a_time(self, store: Store) -> None:
        made = [
            prediction("v1-old", version=1, at=instant(-10)),
            prediction("v1-new", version=1, at=instant(10)),
            prediction("v2-new", version=2, at=instant(10)),
            prediction("beta", model_name="beta", version=1, at=instant(10)),
        ]
        await write(store, lambda uow: uow.predictions.add_many(made))
        found = await read(store, lambda uow: uow.predictions.for_model("alpha", version=1, since=instant(0)))
        assert [record.id for record in found] == ["v1-new"]
        every = await read(store, lambda uow: uow.predictions.for_model("alpha"))
        assert [record.id for record in every] == ["v1-old", "v1-new", "v2-new"]

    async def test_predictions_of_a_model_are_the_newest_limit_oldest_first(self, store: Store) -> None:
        made = [prediction(f"p{i}", at=instant(i)) for i in range(6)]
        await write(store, lambda uow: uow.predictions.add_many(made))
        found = await read(store, lambda uow: uow.predictions.for_model("alpha", limit=3))
        assert [record.id for record in found] == ["p3", "p4", "p5"]

    async def test_a_large_prediction_batch_is_stored_whole(self, store: Store) -> None:
        made = [prediction(f"p{i:05d}", at=instant(i)) for i in range(2500)]
        async with store.unit_of_work() as uow:
            assert await uow.predictions.add_many(made) == 2500
            assert await uow.predictions.add_many(made[::7]) == 0
            await uow.commit()
        found = await read(store, lambda uow: uow.predictions.for_experiment("exp-1"))
        assert found == made

    # --- model stage history -----------------------------------------------------------------------------

    async def test_set_stage_records_who_moved_which_version_from_where_to_where(self, store: Store) -> None:
        async def move(uow: UnitOfWork) -> None:
            await uow.models.register(**samples.model_registration("alpha"))
            await uow.models.set_stage(
                "alpha", 1, ModelStage.PRODUCTION, actor="alice", reason="gates passed", at=ODD_INSTANT
            )

        await write(store, move)
        [change] = await read(store, lambda uow: uow.models.stage_history("alpha"))
        assert change == ModelStageChange(
            name="alpha",
            version=1,
            from_stage=ModelStage.DEVELOPMENT,
            to_stage=ModelStage.PRODUCTION,
            at=ODD_INSTANT,
            actor="alice",
            reason="gates passed",
        )
        assert_same_utc_instant(change.at, ODD_INSTANT)

    async def test_set_stage_without_actor_records_the_system_now(self, store: Store) -> None:
        before = datetime.now(UTC)
        async with store.unit_of_work() as uow:
            await uow.models.register(**samples.model_registration("alpha"))
            await uow.models.set_stage("alpha", 1, ModelStage.STAGING)
            await uow.commit()
        after = datetime.now(UTC)
        [change] = await read(store, lambda uow: uow.models.stage_history("alpha"))
        assert (change.actor, change.reason) == ("system", "")
        assert before - timedelta(seconds=1) <= change.at <= after + timedelta(seconds=1)

    async def test_the_stage_history_holds_every_version_oldest_first(self, store: Store) -> None:
        async def moves(uow: UnitOfWork) -> None:
            for _ in range(2):
                await uow.models.register(**samples.model_registration("alpha"))
            await uow.models.register(**samples.model_registration("beta"))
            await uow.models.set_stage("alpha", 2, ModelStage.STAGING, at=instant(2))
            await uow.models.set_stage("alpha", 1, ModelStage.PRODUCTION, at=instant(1))
            await uow.models.set_stage("beta", 1, ModelStage.STAGING, at=instant(0))
            await uow.models.set_stage("alpha", 2, ModelStage.PRODUCTION, at=instant(3))
            await uow.models.set_stage("alpha", 1, ModelStage.ARCHIVED, at=instant(3))

        await write(store, moves)
        history = await read(store, lambda uow: uow.models.stage_history("alpha"))
        assert [(c.version, c.from_stage, c.to_stage) for c in history] == [
            (1, ModelStage.DEVELOPMENT, ModelStage.PRODUCTION),
            (2, ModelStage.DEVELOPMENT, ModelStage.STAGING),
            (2, ModelStage.STAGING, ModelStage.PRODUCTION),
            (1, ModelStage.PRODUCTION, ModelStage.ARCHIVED),
        ]

    async def test_a_rolled_back_stage_move_leaves_no_history(self, store: Store) -> None:
        await write(store, lambda uow: uow.models.register(**samples.model_registration("alpha")))
        async with store.unit_of_work() as uow:
            await uow.models.set_stage("alpha", 1, ModelStage.STAGING, at=T0)
        assert await read(store, lambda uow: uow.models.stage_history("alpha")) == []

    async def test_a_refused_stage_move_of_an_unknown_version_leaves_no_history(self, store: Store) -> None:
        async with store.unit_of_work() as uow:
            with pytest.raises(NotFoundError):
                await uow.models.set_stage("alpha", 1, ModelStage.STAGING, at=T0)
            assert await uow.models.stage_history("alpha") == []

    async def test_an_unknown_model_has_no_stage_history(self, store: Store) -> None:
        assert await read(store, lambda uow: uow.models.stage_history("nope")) == []


# --- helpers -----------------------------------------------------------------------------------------------


def _bits(value: float) -> str:
    """A float's exact identity (so -0.0 and 0.0 differ, and an int 1 would not pass for 1.0)."""
    assert isinstance(value, float), f"{value!r} is a {type(value).__name__}, not a float"
    return value.hex() if not math.isnan(value) else "nan"


async def _add_runs(uow: UnitOfWork, runs: list[ReconciliationRun]) -> None:
    for run in runs:
        await uow.reconciliations.add_run(run)


def _run_with(*adjustments: PositionAdjustment) -> Callable[[UnitOfWork], Awaitable[object]]:
    async def add(uow: UnitOfWork) -> None:
        await uow.reconciliations.add_run(reconciliation_run())
        for one in adjustments:
            await uow.reconciliations.add_adjustment(one)

    return add


async def _create_all(uow: UnitOfWork, experiments: list[Experiment]) -> None:
    for one in experiments:
        await uow.experiments.create(one)


def _experiment_with(outcomes: list[ExperimentOutcome]) -> Callable[[UnitOfWork], Awaitable[object]]:
    async def add(uow: UnitOfWork) -> None:
        await uow.experiments.create(experiment())
        await uow.experiments.add_outcomes(outcomes)

    return add


def _outcome_adder(one: ExperimentOutcome) -> Callable[[UnitOfWork], Awaitable[object]]:
    return lambda uow: uow.experiments.add_outcome(one)


AUDIT_STATEMENT_NAMES = (
    "reconciliations.add_run",
    "reconciliations.run",
    "reconciliations.recent_runs",
    "reconciliations.add_adjustment",
    "reconciliations.adjustment",
    "reconciliations.adjustments",
    "experiments.create",
    "experiments.get",
    "experiments.get_by_name",
    "experiments.list",
    "experiments.finish",
    "experiments.add_outcome",
    "experiments.add_outcomes",
    "experiments.outcomes",
    "predictions.add_many",
    "predictions.get",
    "predictions.for_experiment",
    "predictions.for_model",
    "models.set_stage",
    "models.stage_history",
)
"""The query-monitor names of the audit repository calls, for SQL stores' monitoring tests."""


async def call_every_audit_method(uow: UnitOfWork) -> None:
    """Each audit repository method once (for monitoring tests: every call must be timed under its name)."""
    await uow.reconciliations.add_run(reconciliation_run())
    await uow.reconciliations.run("recon-1")
    await uow.reconciliations.recent_runs()
    await uow.reconciliations.add_adjustment(adjustment())
    await uow.reconciliations.adjustment("adj-1")
    await uow.reconciliations.adjustments()
    await uow.experiments.create(experiment())
    await uow.experiments.get("exp-1")
    await uow.experiments.get_by_name("nope")
    await uow.experiments.list()
    await uow.experiments.add_outcome(outcome("pred-1"))
    await uow.experiments.add_outcomes([outcome("pred-2")])
    await uow.experiments.outcomes("exp-1")
    await uow.experiments.finish("exp-1", ExperimentStatus.STOPPED, None, instant(5))
    await uow.predictions.add_many([prediction()])
    await uow.predictions.get("pred-1")
    await uow.predictions.for_experiment("exp-1")
    await uow.predictions.for_model("alpha")
    await uow.models.register(**samples.model_registration("alpha"))
    await uow.models.set_stage("alpha", 1, ModelStage.STAGING, at=T0)
    await uow.models.stage_history("alpha")
