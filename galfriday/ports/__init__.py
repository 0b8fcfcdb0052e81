"""Ports: `typing.Protocol`s for everything the core needs from outside. They speak domain types only."""

from galfriday.ports.bus import EventBus, Subscription
from galfriday.ports.clock import Clock
from galfriday.ports.exchange import ExchangeAccount, ExchangeStream, StreamHealth
from galfriday.ports.lifecycle import Lifecycle
from galfriday.ports.models import ArtifactStore, ModelRuntime, Trainer
from galfriday.ports.notifier import Notifier
from galfriday.ports.stores import (
    BalanceStore,
    CandleStore,
    ExecutionStore,
    ExperimentStore,
    JournalStore,
    ModelStore,
    OrderStore,
    PositionStore,
    PredictionStore,
    ReconciliationStore,
    RetentionRunStore,
    Store,
    UnitOfWork,
)

__all__ = [
    "ArtifactStore",
    "BalanceStore",
    "CandleStore",
    "Clock",
    "EventBus",
    "ExchangeAccount",
    "ExchangeStream",
    "ExecutionStore",
    "ExperimentStore",
    "JournalStore",
    "Lifecycle",
    "ModelRuntime",
    "ModelStore",
    "Notifier",
    "OrderStore",
    "PositionStore",
    "PredictionStore",
    "ReconciliationStore",
    "RetentionRunStore",
    "Store",
    "StreamHealth",
    "Subscription",
    "Trainer",
    "UnitOfWork",
]
