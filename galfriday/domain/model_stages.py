"""Model stages, aliases and their history: which moves are allowed, what was live when, where rollback goes.

Stages run development -> staging -> production -> archived. `production` (with `champion`) and `challenger` are
aliases backed by an append-only history of `ModelAliasChange`, so "which version was live at T" has an answer
and a rollback is one alias move. Promotion and rollback are planned here as a list of stage changes and alias
changes that the registry service applies in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from attrs import frozen

from galfriday.domain.models import ModelAliasChange, ModelStage
from galfriday.errors import DomainError, InvalidValueError

PRODUCTION = "production"
CHAMPION = "champion"
CHALLENGER = "challenger"
KEEP_LAST_N = 3
"""Production versions whose artifacts are kept for rollback (FreqAI keeps 2)."""

_S = ModelStage
ALLOWED_MOVES: Mapping[ModelStage, frozenset[ModelStage]] = {
    _S.DEVELOPMENT: frozenset({_S.STAGING, _S.ARCHIVED}),
    _S.STAGING: frozenset({_S.PRODUCTION, _S.ARCHIVED}),
    _S.PRODUCTION: frozenset({_S.ARCHIVED}),
    _S.ARCHIVED: frozenset(),
}
ROLLBACK_MOVES: Mapping[ModelStage, frozenset[ModelStage]] = {_S.ARCHIVED: frozenset({_S.PRODUCTION})}
"""Extra moves a rollback may make: an archived former production version goes back to production."""

_Move = tuple[str, int | None, int | None]
"""(alias, from_version, to_version)"""
_ALIAS_NAME = re.compile(r"[a-z][a-z0-9_-]{0,63}")


class ForbiddenStageMove(DomainError):  # noqa: N818 - reads as the rule it enforces
    """A stage change the state machine forbids; names the allowed moves."""

    def __init__(self, model: str, version: int, current: ModelStage, requested: ModelStage) -> None:
        self.model = model
        self.version = version
        self.current = current
        self.requested = requested
        allowed = sorted(s.value for s in ALLOWED_MOVES[current]) or ["nothing"]
        super().__init__(
            f"model {model} v{version}: cannot move from {current.value!r} to {requested.value!r}; "
            f"{current.value} may move to {', '.join(allowed)} (archived -> production only by rollback)"
        )


class AliasRuleError(DomainError):
    """An alias would point at a version whose stage the alias does not allow."""

    def __init__(self, model: str, alias: str, version: int, problem: str) -> None:
        self.model = model
        self.alias = alias
        self.version = version
        super().__init__(f"model {model}: alias {alias!r} cannot point to v{version}: {problem}")


class NoRollbackTarget(DomainError, LookupError):  # noqa: N818 - reads as the situation
    """The alias history has no earlier version to roll back to."""

    def __init__(self, model: str, alias: str) -> None:
        self.model = model
        self.alias = alias
        super().__init__(f"model {model}: alias {alias!r} has no earlier version to roll back to")


def can_move(current: ModelStage, requested: ModelStage, *, rollback: bool = False) -> bool:
    """Whether `current -> requested` is allowed (staying put always is)."""
    if current == requested or requested in ALLOWED_MOVES[current]:
        return True
    return rollback and requested in ROLLBACK_MOVES.get(current, frozenset())


def check_move(
    model: str, version: int, current: ModelStage, requested: ModelStage, *, rollback: bool = False
) -> None:
    """Raise `ForbiddenStageMove` unless the move is allowed."""
    if not can_move(current, requested, rollback=rollback):
        raise ForbiddenStageMove(model, version, current, requested)


def check_alias(
    model: str, alias: str, version: int, stage: ModelStage, *, champion: int | None = None
) -> None:
    """Raise `AliasRuleError` unless `alias` may point at `version` in `stage`.

    production and champion name the production version; challenger names a staging version that is not the
    champion; any other alias (lower-case, at most 64 characters) may name any version that is not archived.
    """
    if not _ALIAS_NAME.fullmatch(alias):
        raise InvalidValueError(
            "alias", alias, "lower-case letters, digits, '-' or '_', starting with a letter"
        )
    if alias in (PRODUCTION, CHAMPION):
        if stage is not ModelStage.PRODUCTION:
            raise AliasRuleError(model, alias, version, f"it is in {stage.value}, not production")
    elif alias == CHALLENGER:
        if stage is not ModelStage.STAGING:
            raise AliasRuleError(model, alias, version, f"it is in {stage.value}, not staging")
        if version == champion:
            raise AliasRuleError(model, alias, version, "it is the champion")
    elif stage is ModelStage.ARCHIVED:
        raise AliasRuleError(model, alias, version, "it is archived")


def _alias_history(history: Iterable[ModelAliasChange], alias: str) -> list[ModelAliasChange]:
    return [change for change in history if change.alias == alias]


def live_version(history: Iterable[ModelAliasChange], at: datetime, alias: str = PRODUCTION) -> int | None:
    """The version `alias` pointed to at instant `at` (a change at exactly `at` counts), or None.

    `history` is one model's append-only alias history, in the order it was written.
    """
    version: int | None = None
    for change in _alias_history(history, alias):
        if change.at <= at:
            version = change.to_version
    return version


def version_stack(history: Iterable[ModelAliasChange], alias: str = PRODUCTION) -> tuple[int, ...]:
    """The versions `alias` went through, current last, with rollbacks popped.

    A move back to the version just before the current one is a rollback and pops the current one; so rolling
    back twice goes two versions back, never forward to the version just rolled back from.
    """
    stack: list[int] = []
    for change in _alias_history(history, alias):
        target = change.to_version
        if target is None:
            continue
        if len(stack) >= 2 and stack[-2] == target:
            stack.pop()
        elif not stack or stack[-1] != target:
            stack.append(target)
    return tuple(stack)


def rollback_target(model: str, history: Iterable[ModelAliasChange], alias: str = PRODUCTION) -> int:
    """The previous `to_version` of `alias` (rollbacks popped); `NoRollbackTarget` if there is none."""
    stack = version_stack(history, alias)
    if len(stack) < 2:
        raise NoRollbackTarget(model, alias)
    return stack[-2]


def versions_to_keep(history: Iterable[ModelAliasChange], keep_last_n: int = KEEP_LAST_N) -> tuple[int, ...]:
    """The last `keep_last_n` distinct production versions, newest first: their artifacts stay for rollback."""
    if keep_last_n < 1:
        raise InvalidValueError("keep_last_n", keep_last_n, "at least 1")
    kept: list[int] = []
    for change in reversed(_alias_history(history, PRODUCTION)):
        if change.to_version is not None and change.to_version not in kept:
            kept.append(change.to_version)
            if len(kept) == keep_last_n:
                break
    return tuple(kept)


@frozen
class StageChange:
    version: int
    from_stage: ModelStage
    to_stage: ModelStage


@frozen
class Transition:
    """Everything one promotion or rollback changes, for the registry to apply in one transaction."""

    stage_changes: tuple[StageChange, ...]
    alias_changes: tuple[ModelAliasChange, ...]


def plan_promotion(
    model: str,
    candidate: int,
    stages: Mapping[int, ModelStage],
    aliases: Mapping[str, int],
    *,
    at: datetime,
    actor: str,
    reason: str,
) -> Transition:
    """Promote a staging `candidate` to production: the old production is archived, the aliases follow."""
    current = aliases.get(PRODUCTION)
    changes = [_stage_change(model, candidate, stages, ModelStage.PRODUCTION)]
    if current is not None and current != candidate:
        changes.append(_stage_change(model, current, stages, ModelStage.ARCHIVED))
    moves: list[_Move] = [(PRODUCTION, current, candidate), (CHAMPION, aliases.get(CHAMPION), candidate)]
    if aliases.get(CHALLENGER) == candidate:
        moves.append((CHALLENGER, candidate, None))
    return Transition(tuple(changes), _alias_changes(model, moves, at, actor, reason))


def plan_rollback(
    model: str,
    stages: Mapping[int, ModelStage],
    aliases: Mapping[str, int],
    history: Sequence[ModelAliasChange],
    *,
    at: datetime,
    actor: str,
    reason: str,
) -> Transition:
    """Move production (and champion) back to the previous production version; the current one is archived."""
    current = aliases.get(PRODUCTION)
    target = rollback_target(model, history)
    if current is None or current == target:
        raise NoRollbackTarget(model, PRODUCTION)
    changes = (
        _stage_change(model, current, stages, ModelStage.ARCHIVED),
        _stage_change(model, target, stages, ModelStage.PRODUCTION, rollback=True),
    )
    moves: list[_Move] = [(PRODUCTION, current, target), (CHAMPION, aliases.get(CHAMPION), target)]
    return Transition(changes, _alias_changes(model, moves, at, actor, reason))


def _stage_change(
    model: str, version: int, stages: Mapping[int, ModelStage], to: ModelStage, *, rollback: bool = False
) -> StageChange:
    if version not in stages:
        raise InvalidValueError("version", version, f"a registered version of {model}")
    check_move(model, version, stages[version], to, rollback=rollback)
    return StageChange(version, stages[version], to)


def _alias_changes(
    model: str, moves: list[_Move], at: datetime, actor: str, reason: str
) -> tuple[ModelAliasChange, ...]:
    return tuple(
        ModelAliasChange(model, alias, old, new, at, actor, reason) for alias, old, new in moves if old != new
    )
