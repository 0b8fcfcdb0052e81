"""`App`: start every configured adapter in dependency order, close them in reverse.

    async with App.from_config(load_config()) as app:
        await app.exchange.place_order(...)

If starting an adapter fails, the ones already started are closed (in reverse) before the error propagates.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

from dependency_injector import providers

from galfriday.config import Config
from galfriday.container import ADAPTER_SECTIONS, Container, adapter_name
from galfriday.errors import ConfigurationError, StartupError
from galfriday.plugins import build_plugin_manager
from galfriday.ports.lifecycle import Lifecycle

log = logging.getLogger(__name__)

START_ORDER: tuple[str, ...] = tuple(ADAPTER_SECTIONS)


class App:
    """The running set of adapters. Attributes: `store`, `exchange`, `event_bus`, `notifier`, `clock`, ..."""

    def __init__(self, container: Container, kinds: Iterable[str] = START_ORDER) -> None:
        self.container = container
        wanted = set(kinds)
        self.kinds = tuple(kind for kind in START_ORDER if kind in wanted)
        self._adapters: dict[str, Any] = {}
        self._started: list[tuple[str, Any]] = []
        self._running = False

    @classmethod
    def from_config(
        cls,
        config: Config | None = None,
        *,
        overrides: dict[str, Any] | None = None,
        extra_plugins: Iterable[tuple[str, Any]] = (),
        kinds: Iterable[str] = START_ORDER,
    ) -> App:
        """Build an app from configuration.

        `overrides` maps adapter kinds (or `clock`) to ready instances; `extra_plugins` registers (name, plugin)
        pairs beside the entry-point plugins, for embedding applications and tests. `kinds` starts only those
        adapter kinds (a maintenance command needs the store, not the exchange).
        """
        container = Container()
        container.config.override(providers.Object(config or Config()))
        if extra_plugins:
            container.plugin_manager.override(
                providers.Singleton(build_plugin_manager, extra_plugins=tuple(extra_plugins))
            )
        for kind, instance in (overrides or {}).items():
            provider = getattr(container, kind, None)
            if not isinstance(provider, providers.Provider):
                raise ConfigurationError("override", kind, f"one of {', '.join((*START_ORDER, 'clock'))}")
            provider.override(providers.Object(instance))
        unknown = sorted(set(kinds) - set(START_ORDER))
        if unknown:
            raise ConfigurationError("adapter kind", unknown[0], f"one of {', '.join(START_ORDER)}")
        return cls(container, kinds)

    @property
    def config(self) -> Config:
        config: Config = self.container.config()
        return config

    def __getattr__(self, name: str) -> Any:
        adapters = self.__dict__.get("_adapters", {})
        if name in adapters:
            return adapters[name]
        if name == "clock":
            return self.container.clock()
        raise AttributeError(name)

    def check_adapters(self) -> None:
        """Fail before starting anything if configuration names an adapter no plugin registers."""
        registry = self.container.registry()
        overridden = {kind for kind in self.kinds if getattr(self.container, kind).overridden}
        for kind in self.kinds:
            if kind not in overridden:
                registry.get(kind, adapter_name(self.config, kind))

    async def __aenter__(self) -> Self:
        self.check_adapters()
        try:
            for kind in self.kinds:
                adapter = getattr(self.container, kind)()
                self._adapters[kind] = adapter
                if isinstance(adapter, Lifecycle):
                    await adapter.start()
                    self._started.append((kind, adapter))
                    log.debug("started %s adapter %s", kind, type(adapter).__name__)
        except BaseException as exc:
            await self._close_started()
            if isinstance(exc, ConfigurationError | StartupError) or not isinstance(exc, Exception):
                raise
            raise StartupError(f"starting the {kind} adapter failed: {exc}") from exc
        self._running = True
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._running = False
        await self._close_started()

    async def _close_started(self) -> None:
        errors: list[BaseException] = []
        while self._started:
            kind, adapter = self._started.pop()
            try:
                await adapter.close()
            except Exception as exc:  # keep closing the others; report every failure
                log.exception("closing the %s adapter failed", kind)
                errors.append(exc)
        if errors:
            raise StartupError(f"{len(errors)} adapter(s) failed to close: {errors}")
