"""`/health`: is the stream healthy, is the store reachable, when did reconciliation last run, is every
component running? Healthy only when all of the first, second and last hold.

The store probe is one unit of work that reads the latest reconciliation run, bounded by a timeout, so a hung
database makes the endpoint answer "unhealthy" instead of hanging the load balancer's check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import attrs
from attrs import frozen

from galfriday.domain.reconciliation_audit import ReconciliationRun
from galfriday.ports.exchange import ExchangeStream, StreamHealth
from galfriday.ports.stores import Store
from galfriday.runtime.supervisor import ComponentState

STORE_PROBE_SECONDS = 2.0


@frozen
class StoreProbe:
    reachable: bool
    error: str | None
    last_reconciliation: ReconciliationRun | None


@frozen
class HealthReport:
    stream: StreamHealth
    store: StoreProbe
    components: dict[str, ComponentState]
    stopping: bool = False
    order_gate: dict[str, str] = attrs.field(factory=dict)
    """Who holds new orders back, and why (stream recovery while catching up, reconciliation, ...)."""

    @property
    def healthy(self) -> bool:
        return (
            self.stream.healthy
            and self.store.reachable
            and not self.stopping
            and all(state is ComponentState.RUNNING for state in self.components.values())
        )

    def document(self) -> dict[str, Any]:
        """The JSON body of `/health`; instants in ISO 8601 UTC."""
        run = self.store.last_reconciliation
        return {
            "healthy": self.healthy,
            "stopping": self.stopping,
            "stream": {
                "healthy": self.stream.healthy,
                "reason": self.stream.reason,
                "last_message_at": _iso(self.stream.last_message_at),
                "reconnects": self.stream.reconnects,
            },
            "store": {"reachable": self.store.reachable, "error": self.store.error},
            "last_reconciliation": None
            if run is None
            else {
                "id": run.id,
                "kind": run.kind.value,
                "status": run.status.value,
                "started_at": _iso(run.started_at),
                "finished_at": _iso(run.finished_at),
                "discrepancies_found": run.discrepancies_found,
            },
            "order_gate": {"open": not self.order_gate, "holds": dict(self.order_gate)},
            "components": {name: state.value for name, state in self.components.items()},
        }


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


class HealthCheck:
    """Builds a `HealthReport` on demand from the stream, the store and the supervisor."""

    def __init__(
        self,
        stream: ExchangeStream,
        store: Store,
        components: Callable[[], dict[str, ComponentState]],
        *,
        stopping: Callable[[], bool] = lambda: False,
        order_gate: Callable[[], dict[str, str]] = dict,
        store_timeout_seconds: float = STORE_PROBE_SECONDS,
    ) -> None:
        self._stream = stream
        self._store = store
        self._components = components
        self._stopping = stopping
        self._order_gate = order_gate
        self._store_timeout = store_timeout_seconds

    async def report(self) -> HealthReport:
        return HealthReport(
            stream=self._stream.health(),
            store=await self._probe_store(),
            components=self._components(),
            stopping=self._stopping(),
            order_gate=self._order_gate(),
        )

    async def _probe_store(self) -> StoreProbe:
        try:
            async with asyncio.timeout(self._store_timeout):
                async with self._store.unit_of_work() as uow:
                    runs = await uow.reconciliations.recent_runs(1)
        except TimeoutError:
            return StoreProbe(False, f"no answer within {self._store_timeout} s", None)
        except Exception as exc:
            return StoreProbe(False, type(exc).__name__, None)  # the message may name a host or DSN
        return StoreProbe(True, None, runs[0] if runs else None)
