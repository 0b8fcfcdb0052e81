"""Model stages and aliases: allowed moves, alias rules, the version live at T, rollback targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from galfriday.domain.model_stages import (
    CHALLENGER,
    CHAMPION,
    PRODUCTION,
    AliasRuleError,
    ForbiddenStageMove,
    NoRollbackTarget,
    StageChange,
    can_move,
    check_alias,
    check_move,
    live_version,
    plan_promotion,
    plan_rollback,
    rollback_target,
    version_stack,
    versions_to_keep,
)
from galfriday.domain.models import ModelAliasChange, ModelStage
from galfriday.errors import InvalidValueError

DEV, STAGING, PROD, ARCHIVED = (
    ModelStage.DEVELOPMENT,
    ModelStage.STAGING,
    ModelStage.PRODUCTION,
    ModelStage.ARCHIVED,
)
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def history(*versions: int | None, alias: str = PRODUCTION) -> list[ModelAliasChange]:
    """An alias history moving through `versions`, one hour apart, starting at T0."""
    changes, previous = [], None
    for i, version in enumerate(versions):
        changes.append(ModelAliasChange("btc", alias, previous, version, hours(i)))
        previous = version
    return changes


@pytest.mark.parametrize(
    ("current", "requested"),
    [(DEV, STAGING), (DEV, ARCHIVED), (STAGING, PROD), (STAGING, ARCHIVED), (PROD, ARCHIVED), (PROD, PROD)],
)
def test_the_forward_moves_are_allowed(current: ModelStage, requested: ModelStage) -> None:
    assert can_move(current, requested)
    check_move("btc", 1, current, requested)


@pytest.mark.parametrize(
    ("current", "requested"),
    [(DEV, PROD), (STAGING, DEV), (PROD, STAGING), (PROD, DEV), (ARCHIVED, STAGING), (ARCHIVED, PROD)],
)
def test_skipping_or_reversing_a_stage_is_forbidden(current: ModelStage, requested: ModelStage) -> None:
    with pytest.raises(ForbiddenStageMove) as raised:
        check_move("btc", 7, current, requested)
    assert (raised.value.version, raised.value.current, raised.value.requested) == (7, current, requested)
    assert "may move to" in str(raised.value)


def test_only_a_rollback_brings_an_archived_version_back_to_production() -> None:
    assert can_move(ARCHIVED, PROD, rollback=True)
    assert not can_move(ARCHIVED, STAGING, rollback=True)
    assert not can_move(DEV, PROD, rollback=True)


def test_production_and_champion_name_a_production_version() -> None:
    check_alias("btc", PRODUCTION, 3, PROD)
    check_alias("btc", CHAMPION, 3, PROD)
    with pytest.raises(AliasRuleError, match="in staging, not production"):
        check_alias("btc", PRODUCTION, 4, STAGING)


def test_the_challenger_is_a_staging_version_other_than_the_champion() -> None:
    check_alias("btc", CHALLENGER, 4, STAGING, champion=3)
    with pytest.raises(AliasRuleError, match="not staging"):
        check_alias("btc", CHALLENGER, 4, DEV)
    with pytest.raises(AliasRuleError, match="is the champion"):
        check_alias("btc", CHALLENGER, 3, STAGING, champion=3)


def test_other_aliases_may_name_any_version_not_archived() -> None:
    check_alias("btc", "nightly", 2, DEV)
    with pytest.raises(AliasRuleError, match="archived"):
        check_alias("btc", "nightly", 2, ARCHIVED)
    with pytest.raises(InvalidValueError, match="lower-case"):
        check_alias("btc", "Nightly Build", 2, DEV)


def test_live_version_is_the_last_change_at_or_before_t() -> None:
    changes = history(1, 2, 3)
    assert live_version(changes, T0 - timedelta(seconds=1)) is None
    assert live_version(changes, hours(0)) == 1
    assert live_version(changes, hours(1.5)) == 2
    assert live_version(changes, hours(99)) == 3


def test_live_version_reads_only_the_requested_alias() -> None:
    changes = history(1, 2) + history(5, alias=CHALLENGER)
    assert live_version(changes, hours(10)) == 2
    assert live_version(changes, hours(10), CHALLENGER) == 5


def test_a_removed_alias_points_nowhere() -> None:
    assert live_version(history(1, None), hours(5)) is None


def test_rollback_goes_to_the_previous_to_version() -> None:
    assert rollback_target("btc", history(1, 2, 3)) == 2


def test_rolling_back_twice_goes_two_versions_back_not_forward() -> None:
    assert version_stack(history(1, 2, 3, 2)) == (1, 2)
    assert rollback_target("btc", history(1, 2, 3, 2)) == 1


def test_with_one_version_there_is_nothing_to_roll_back_to() -> None:
    with pytest.raises(NoRollbackTarget):
        rollback_target("btc", history(1))
    with pytest.raises(NoRollbackTarget):
        rollback_target("btc", history(1, 2, 1))


def test_the_last_three_production_versions_are_kept() -> None:
    assert versions_to_keep(history(1, 2, 3, 4, 3)) == (3, 4, 2)
    assert versions_to_keep(history(1, 2), keep_last_n=3) == (2, 1)


def test_promotion_archives_the_old_production_and_moves_the_aliases() -> None:
    plan = plan_promotion(
        "btc",
        4,
        {3: PROD, 4: STAGING},
        {PRODUCTION: 3, CHAMPION: 3, CHALLENGER: 4},
        at=hours(1),
        actor="canary",
        reason="canary passed",
    )
    assert plan.stage_changes == (StageChange(4, STAGING, PROD), StageChange(3, PROD, ARCHIVED))
    moved = [(c.alias, c.from_version, c.to_version, c.actor, c.reason) for c in plan.alias_changes]
    assert moved == [
        (PRODUCTION, 3, 4, "canary", "canary passed"),
        (CHAMPION, 3, 4, "canary", "canary passed"),
        (CHALLENGER, 4, None, "canary", "canary passed"),
    ]


def test_the_first_promotion_has_nothing_to_archive() -> None:
    plan = plan_promotion("btc", 1, {1: STAGING}, {}, at=T0, actor="ci", reason="first model")
    assert plan.stage_changes == (StageChange(1, STAGING, PROD),)
    assert [(c.alias, c.to_version) for c in plan.alias_changes] == [(PRODUCTION, 1), (CHAMPION, 1)]


def test_a_development_version_cannot_be_promoted_to_production() -> None:
    with pytest.raises(ForbiddenStageMove):
        plan_promotion("btc", 2, {2: DEV}, {}, at=T0, actor="ci", reason="skip")


def test_rollback_restores_the_previous_version_and_archives_the_current() -> None:
    plan = plan_rollback(
        "btc",
        {1: ARCHIVED, 2: ARCHIVED, 3: PROD},
        {PRODUCTION: 3, CHAMPION: 3},
        history(1, 2, 3),
        at=hours(5),
        actor="guardrail",
        reason="error rate SPRT",
    )
    assert plan.stage_changes == (StageChange(3, PROD, ARCHIVED), StageChange(2, ARCHIVED, PROD))
    assert [(c.alias, c.from_version, c.to_version) for c in plan.alias_changes] == [
        (PRODUCTION, 3, 2),
        (CHAMPION, 3, 2),
    ]


def test_rollback_needs_a_production_version() -> None:
    with pytest.raises(NoRollbackTarget):
        plan_rollback("btc", {1: ARCHIVED, 2: ARCHIVED}, {}, history(1, 2), at=T0, actor="x", reason="y")
