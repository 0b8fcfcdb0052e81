"""Plugins: entry points register named adapters; names are checked at start-up; plugins can be disabled."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from galfriday import hookimpl
from galfriday.cli import cli
from galfriday.errors import PluginError, UnknownAdapterError
from galfriday.hookspecs import ADAPTER_HOOKS, RegisterAdapter
from galfriday.plugins import build_plugin_manager, collect_adapters, disabled_plugins


class ThirdPartyPlugin:
    """A plugin as an outside team would write it: public API only."""

    @hookimpl
    def galfriday_register_stores(self, register: RegisterAdapter) -> None:
        register("thirdparty", lambda ctx: {"dsn": ctx.settings.get("dsn")})


def test_the_built_in_memory_adapters_are_registered_through_entry_points() -> None:
    registry = collect_adapters(build_plugin_manager(disabled=()))
    for kind in ADAPTER_HOOKS:
        if kind != "notifier":
            assert "memory" in registry.names(kind), kind
        registration = registry.get(kind, "memory")
        assert registration.plugin == "memory"
        assert registration.distribution == "galfriday"
    assert registry.get("notifier", "log").plugin == "log"


def test_a_third_party_plugin_registers_an_adapter_next_to_the_built_ins() -> None:
    pm = build_plugin_manager(disabled=(), extra_plugins=[("thirdparty", ThirdPartyPlugin())])
    registry = collect_adapters(pm)
    assert {"memory", "thirdparty"} <= set(registry.names("store"))
    assert registry.get("store", "thirdparty").plugin == "thirdparty"


def test_an_unknown_adapter_name_lists_the_installed_ones() -> None:
    registry = collect_adapters(build_plugin_manager(disabled=()))
    with pytest.raises(UnknownAdapterError) as caught:
        registry.get("store", "casandra")
    assert "'casandra'" in str(caught.value)
    assert "memory" in str(caught.value)
    assert caught.value.installed == registry.names("store")


def test_plugins_named_in_the_environment_are_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GALFRIDAY_DISABLE_PLUGINS", "memory, log")
    assert disabled_plugins() == {"memory", "log"}
    registry = collect_adapters(build_plugin_manager())
    assert "memory" not in registry.names("store")
    assert not {"memory", "log"} & set(registry.names("notifier"))


def test_two_plugins_claiming_the_same_name_is_an_error() -> None:
    class Impostor:
        @hookimpl
        def galfriday_register_stores(self, register: RegisterAdapter) -> None:
            register("memory", lambda ctx: None)

    pm = build_plugin_manager(disabled=(), extra_plugins=[("impostor", Impostor())])
    with pytest.raises(PluginError, match="registered twice"):
        collect_adapters(pm)


def test_a_registration_without_a_factory_is_an_error() -> None:
    class Broken:
        @hookimpl
        def galfriday_register_trainers(self, register: Any) -> None:
            register("broken", None)

    with pytest.raises(PluginError, match="no factory"):
        collect_adapters(build_plugin_manager(disabled=(), extra_plugins=[("broken", Broken())]))


def test_cli_lists_every_adapter_with_its_distribution_as_json() -> None:
    result = CliRunner().invoke(cli, ["plugins", "--json"], env={"GALFRIDAY_DISABLE_PLUGINS": ""})
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {"kind": "store", "name": "memory", "plugin": "memory", "distribution": "galfriday"} in rows
    assert {(row["kind"], row["name"]) for row in rows} >= {(kind, "memory") for kind in ADAPTER_HOOKS}


def test_cli_lists_adapters_as_a_table() -> None:
    result = CliRunner().invoke(cli, ["plugins"], env={"GALFRIDAY_DISABLE_PLUGINS": ""})
    assert result.exit_code == 0, result.output
    assert "event_bus" in result.output
    assert "galfriday" in result.output
