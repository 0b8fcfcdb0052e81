"""The composition root: adapters start in dependency order and close in reverse, also after a failed start."""

from __future__ import annotations

from typing import Any

import pytest

from galfriday import hookimpl
from galfriday.app import START_ORDER, App
from galfriday.config import Config, StoreConfig
from galfriday.errors import ConfigurationError, StartupError, UnknownAdapterError
from galfriday.hookspecs import AdapterContext, RegisterAdapter


class Recorder:
    """An adapter that records its lifecycle calls into a shared journal."""

    def __init__(self, kind: str, journal: list[str], *, fail_start: bool = False) -> None:
        self.kind = kind
        self.journal = journal
        self.fail_start = fail_start

    async def start(self) -> None:
        if self.fail_start:
            self.journal.append(f"fail {self.kind}")
            raise RuntimeError(f"{self.kind} cannot connect")
        self.journal.append(f"start {self.kind}")

    async def close(self) -> None:
        self.journal.append(f"close {self.kind}")


def recorders(journal: list[str], failing: str | None = None) -> dict[str, Any]:
    return {kind: Recorder(kind, journal, fail_start=kind == failing) for kind in START_ORDER}


async def test_adapters_start_in_dependency_order_and_close_in_reverse() -> None:
    journal: list[str] = []
    async with App.from_config(Config(), overrides=recorders(journal)) as app:
        assert journal == [f"start {kind}" for kind in START_ORDER]
        assert app.store.kind == "store"
    assert journal[len(START_ORDER) :] == [f"close {kind}" for kind in reversed(START_ORDER)]


async def test_a_failed_start_closes_what_had_started_in_reverse() -> None:
    journal: list[str] = []
    failing = "model_runtime"
    position = START_ORDER.index(failing)
    with pytest.raises(StartupError, match="model_runtime adapter failed: model_runtime cannot connect"):
        async with App.from_config(Config(), overrides=recorders(journal, failing=failing)):
            pytest.fail("the body must not run")
    started = list(START_ORDER[:position])
    assert journal == [f"start {k}" for k in started] + [f"fail {failing}"] + [
        f"close {k}" for k in reversed(started)
    ]


async def test_an_unknown_adapter_name_fails_before_anything_starts() -> None:
    journal: list[str] = []
    overrides = recorders(journal)
    del overrides["store"]
    config = Config().with_overrides(store=StoreConfig(adapter="mongo"))
    with pytest.raises(UnknownAdapterError) as caught:
        async with App.from_config(config, overrides=overrides):
            pytest.fail("the body must not run")
    assert "mongo" in str(caught.value)
    assert "memory" in str(caught.value)
    assert journal == []


async def test_configuration_picks_a_plugin_adapter_by_name() -> None:
    seen: list[AdapterContext] = []

    class Plugin:
        @hookimpl
        def galfriday_register_stores(self, register: RegisterAdapter) -> None:
            def factory(ctx: AdapterContext) -> Recorder:
                seen.append(ctx)
                return Recorder("store", [])

            register("custom", factory)

    config = Config().with_overrides(store=StoreConfig(adapter="custom", settings={"shards": 3}))
    async with App.from_config(config, extra_plugins=[("custom", Plugin())]) as app:
        assert isinstance(app.store, Recorder)
    assert seen[0].settings == {"shards": 3}
    assert seen[0].config is config


async def test_an_app_runs_entirely_on_memory_adapters() -> None:
    async with App.from_config(Config().with_overrides(store=StoreConfig(adapter="memory"))) as app:
        async with app.store.unit_of_work() as uow:
            assert await uow.orders.list_open() == []
        assert await app.exchange.balances()


async def test_a_maintenance_command_starts_only_the_adapters_it_needs() -> None:
    journal: list[str] = []
    async with App.from_config(Config(), overrides=recorders(journal), kinds=("archive", "store")):
        assert journal == ["start store", "start archive"]
    assert journal[2:] == ["close archive", "close store"]


def test_an_unknown_adapter_kind_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="adapter kind: got 'exchnage'"):
        App.from_config(Config(), kinds=("exchnage",))
