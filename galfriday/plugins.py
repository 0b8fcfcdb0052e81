"""The plugin manager: loads the `galfriday` entry-point group and collects the adapters plugins register.

Built-in adapters are registered through galfriday's own entry points, exactly as a third party's are.
`GALFRIDAY_DISABLE_PLUGINS` (comma-separated entry-point names) blocks plugins by name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import pluggy
from attrs import frozen

from galfriday import hookspecs
from galfriday.errors import PluginError, UnknownAdapterError
from galfriday.hookspecs import ADAPTER_HOOKS, AdapterFactory

ENTRY_POINT_GROUP = "galfriday"
DISABLE_ENV = "GALFRIDAY_DISABLE_PLUGINS"


@frozen
class AdapterRegistration:
    kind: str
    name: str
    factory: AdapterFactory
    plugin: str
    distribution: str


class AdapterRegistry:
    """Named adapter factories per kind, with who provided each one."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], AdapterRegistration] = {}

    def add(self, registration: AdapterRegistration) -> None:
        if registration.kind not in ADAPTER_HOOKS:
            raise PluginError(
                f"unknown adapter kind {registration.kind!r}; expected one of {list(ADAPTER_HOOKS)}"
            )
        key = (registration.kind, registration.name)
        existing = self._entries.get(key)
        if existing is not None and existing.plugin != registration.plugin:
            raise PluginError(
                f"{registration.kind} adapter {registration.name!r} is registered twice: by "
                f"{existing.plugin} ({existing.distribution}) and {registration.plugin} ({registration.distribution})"
            )
        self._entries[key] = registration

    def names(self, kind: str) -> list[str]:
        return sorted(name for (k, name) in self._entries if k == kind)

    def get(self, kind: str, name: str) -> AdapterRegistration:
        """The registration for `kind`/`name`; `UnknownAdapterError` listing the installed names otherwise."""
        try:
            return self._entries[(kind, name)]
        except KeyError:
            raise UnknownAdapterError(kind, name, self.names(kind)) from None

    def all(self) -> list[AdapterRegistration]:
        return sorted(self._entries.values(), key=lambda r: (r.kind, r.name))


def disabled_plugins(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """Names listed in `GALFRIDAY_DISABLE_PLUGINS`."""
    value = (os.environ if environ is None else environ).get(DISABLE_ENV, "")
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def build_plugin_manager(
    *, disabled: Iterable[str] | None = None, extra_plugins: Iterable[tuple[str, Any]] = ()
) -> pluggy.PluginManager:
    """A plugin manager with galfriday's hookspecs and every enabled entry-point plugin loaded.

    `extra_plugins` registers (name, plugin) pairs directly, for tests and embedding applications.
    """
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    for name in disabled_plugins() if disabled is None else disabled:
        pm.set_blocked(name)
    try:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    except Exception as exc:  # a broken third-party plugin must say which one it is
        raise PluginError(f"loading the {ENTRY_POINT_GROUP!r} entry points failed: {exc}") from exc
    for name, plugin in extra_plugins:
        pm.register(plugin, name=name)
    return pm


def _distributions(pm: pluggy.PluginManager) -> dict[str, str]:
    names: dict[str, str] = {}
    for plugin, dist in pm.list_plugin_distinfo():
        plugin_name = pm.get_name(plugin)
        if plugin_name is not None:
            names[plugin_name] = dist.metadata["name"]
    return names


def collect_adapters(pm: pluggy.PluginManager) -> AdapterRegistry:
    """Ask every plugin's registration hooks for its adapters, recording the plugin and distribution."""
    registry = AdapterRegistry()
    distributions = _distributions(pm)
    for kind, hook_name in ADAPTER_HOOKS.items():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            plugin = impl.plugin_name
            distribution = distributions.get(plugin, "(registered directly)")

            def register(
                name: str,
                factory: AdapterFactory,
                *,
                _kind: str = kind,
                _plugin: str = plugin,
                _dist: str = distribution,
            ) -> None:
                if not isinstance(name, str) or not name:
                    raise PluginError(f"plugin {_plugin} registered a {_kind} adapter without a name")
                if not callable(factory):
                    raise PluginError(f"plugin {_plugin} registered {_kind} adapter {name!r} with no factory")
                registry.add(AdapterRegistration(_kind, name, factory, _plugin, _dist))

            impl.function(register=register)
    return registry
