"""The composition root: a dependency-injector container that picks adapters by name from configuration.

Only this module, `galfriday.app` and `galfriday.cli` import adapters. Tests and embedding applications swap
an adapter with `container.<kind>.override(providers.Object(instance))`.
"""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from galfriday.adapters.memory.clock import SystemClock
from galfriday.config import Config
from galfriday.hookspecs import AdapterContext
from galfriday.plugins import AdapterRegistry, build_plugin_manager, collect_adapters

ADAPTER_SECTIONS: dict[str, tuple[str, str]] = {
    "notifier": ("notifier", "adapter"),
    "store": ("store", "adapter"),
    "archive": ("retention", "archive"),
    "event_bus": ("bus", "adapter"),
    "artifact_store": ("models", "artifact_store"),
    "model_runtime": ("models", "runtime"),
    "trainer": ("models", "trainer"),
    "exchange": ("exchange", "adapter"),
}
"""Adapter kind -> (configuration section, key naming the adapter). Also the start-up order."""


def adapter_name(config: Config, kind: str) -> str:
    section, key = ADAPTER_SECTIONS[kind]
    return str(getattr(getattr(config, section), key))


def build_adapter(registry: AdapterRegistry, kind: str, config: Config, clock: Any) -> Any:
    """Look up the configured adapter of `kind` and call its factory with its settings table."""
    registration = registry.get(kind, adapter_name(config, kind))
    section = getattr(config, ADAPTER_SECTIONS[kind][0])
    settings = dict(getattr(section, "settings", {}))
    return registration.factory(AdapterContext(config=config, settings=settings, clock=clock))


class Container(containers.DeclarativeContainer):
    """Every adapter is a singleton built lazily from the registry; `App` resolves them in order."""

    config = providers.Dependency(instance_of=Config)
    plugin_manager = providers.Singleton(build_plugin_manager)
    registry = providers.Singleton(collect_adapters, plugin_manager)
    clock = providers.Singleton(SystemClock)

    notifier = providers.Singleton(build_adapter, registry, "notifier", config, clock)
    store = providers.Singleton(build_adapter, registry, "store", config, clock)
    archive = providers.Singleton(build_adapter, registry, "archive", config, clock)
    event_bus = providers.Singleton(build_adapter, registry, "event_bus", config, clock)
    artifact_store = providers.Singleton(build_adapter, registry, "artifact_store", config, clock)
    model_runtime = providers.Singleton(build_adapter, registry, "model_runtime", config, clock)
    trainer = providers.Singleton(build_adapter, registry, "trainer", config, clock)
    exchange = providers.Singleton(build_adapter, registry, "exchange", config, clock)
