"""Serve what the registry calls production: a `galfriday models promote` or `rollback` made by another process
moves the production alias in the store; the running process notices at its next model check and serves the
new version, loaded through the registry (which checks the artifact's sha256 before the runtime loads it).

While an experiment (a shadow or a canary) routes a model, its rollout owns what is served, and a moved alias
waits until it has ended. A version that cannot be loaded is logged and the served one kept; the next check
tries again.
"""

from __future__ import annotations

import logging

from galfriday.domain.model_stages import PRODUCTION
from galfriday.services.model_registry import ModelRegistry
from galfriday.services.prediction import PredictionService

log = logging.getLogger(__name__)


class ProductionFollower:
    """Keeps the prediction service on each model's production alias, as the registry holds it."""

    def __init__(self, registry: ModelRegistry, predictions: PredictionService) -> None:
        self._registry = registry
        self._predictions = predictions
        self._known: dict[str, int] = {}

    def served(self, name: str, version: int) -> None:
        """Record that `version` of `name` is served as production (at start, or by the pipeline's own step)."""
        self._known[name] = version

    async def production(self, name: str) -> int | None:
        """The registry's production version of `name`, if any."""
        return (await self._registry.aliases(name)).get(PRODUCTION)

    async def follow(self, name: str) -> int | None:
        """Serve `name`'s production version if it moved since last seen; the version now served, else None."""
        version = await self.production(name)
        if version is None or version == self._known.get(name):
            return None
        if self._predictions.experiment_of(name) is not None:
            log.info("production of %s moved to v%d; served once its experiment has ended", name, version)
            return None
        try:
            model = await self._registry.load(name, version)
        except Exception:
            log.exception(
                "production of %s moved to v%d but it cannot be loaded; still serving the last", name, version
            )
            return None
        self._predictions.serve(model)
        previous = self._known.get(name)
        self._known[name] = version
        log.info(
            "serving %s v%d: production moved from %s",
            name,
            version,
            "none" if previous is None else f"v{previous}",
        )
        return version
