"""Pluggy hook specifications: how a plugin registers adapters and CLI commands.

A plugin is a module (or object) exposed under the `galfriday` entry-point group. It implements any of these
hooks with `@galfriday.hookimpl`. Each registration hook receives a `register(name, factory)` callable; a
factory takes an `AdapterContext` and returns the adapter. Hooks are synchronous: they only declare what a
plugin offers; adapters do their I/O later, in `start()`.

    from galfriday import hookimpl

    @hookimpl
    def galfriday_register_stores(register):
        register("mystore", lambda ctx: MyStore(dsn=ctx.settings["dsn"]))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import pluggy
from attrs import frozen

if TYPE_CHECKING:
    import click

    from galfriday.config import Config
    from galfriday.ports.clock import Clock

hookspec = pluggy.HookspecMarker("galfriday")
hookimpl = pluggy.HookimplMarker("galfriday")


@frozen
class AdapterContext:
    """What a factory gets: the whole configuration, its own adapter's settings table, and the clock."""

    config: Config
    settings: Mapping[str, Any]
    clock: Clock


AdapterFactory = Callable[[AdapterContext], Any]


class RegisterAdapter(Protocol):
    def __call__(self, name: str, factory: AdapterFactory) -> None: ...


@hookspec
def galfriday_register_exchanges(register: RegisterAdapter) -> None:
    """Register exchange factories. The adapter implements both `ExchangeAccount` and `ExchangeStream`."""


@hookspec
def galfriday_register_stores(register: RegisterAdapter) -> None:
    """Register store factories. The adapter implements `Store` (units of work over every repository)."""


@hookspec
def galfriday_register_event_buses(register: RegisterAdapter) -> None:
    """Register event bus factories (`EventBus`)."""


@hookspec
def galfriday_register_model_runtimes(register: RegisterAdapter) -> None:
    """Register model runtime factories (`ModelRuntime`)."""


@hookspec
def galfriday_register_artifact_stores(register: RegisterAdapter) -> None:
    """Register artifact store factories (`ArtifactStore`)."""


@hookspec
def galfriday_register_trainers(register: RegisterAdapter) -> None:
    """Register trainer factories (`Trainer`)."""


@hookspec
def galfriday_register_notifiers(register: RegisterAdapter) -> None:
    """Register notifier factories (`Notifier`)."""


@hookspec
def galfriday_register_archives(register: RegisterAdapter) -> None:
    """Register archive factories (`Archive`): where retention writes expiring rows before deleting them."""


@hookspec
def galfriday_register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the `galfriday` command line."""


ADAPTER_HOOKS: Mapping[str, str] = {
    "exchange": "galfriday_register_exchanges",
    "store": "galfriday_register_stores",
    "event_bus": "galfriday_register_event_buses",
    "model_runtime": "galfriday_register_model_runtimes",
    "artifact_store": "galfriday_register_artifact_stores",
    "trainer": "galfriday_register_trainers",
    "notifier": "galfriday_register_notifiers",
    "archive": "galfriday_register_archives",
}
"""Adapter kind -> the hook that registers adapters of that kind."""
