"""The embedded default: `GALFRIDAY_STORE=sqlite` and a file path is all an app needs, and a restart keeps
everything it committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from galfriday.app import App
from galfriday.config import load_config
from galfriday.testing import samples


async def test_an_app_on_sqlite_starts_with_no_command_and_a_restart_sees_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(
        environ={"GALFRIDAY_STORE": "sqlite", "GALFRIDAY_STORE_DSN": str(tmp_path / "app.db")}
    )
    async with App.from_config(config) as app, app.store.unit_of_work() as uow:
        await uow.orders.add(samples.filled_order("order-2"))
        await uow.executions.add(samples.execution("exec-1"))
        await uow.commit()
    async with App.from_config(config) as restarted, restarted.store.unit_of_work() as uow:
        assert await uow.orders.get("order-2") == samples.filled_order("order-2")
        assert await uow.executions.get("exec-1") == samples.execution("exec-1")


async def test_without_a_dsn_the_store_is_galfriday_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={"GALFRIDAY_STORE": "sqlite"})
    async with App.from_config(config, kinds=("store",)) as app, app.store.unit_of_work() as uow:
        await uow.balances.save(samples.balance("USD"))
        await uow.commit()
    assert (tmp_path / "galfriday.db").is_file()


async def test_the_store_takes_its_slow_query_threshold_from_configuration(tmp_path: Path) -> None:
    config = load_config(
        environ={
            "GALFRIDAY_STORE": "sqlite",
            "GALFRIDAY_STORE_DSN": str(tmp_path / "app.db"),
            "GALFRIDAY_STORE_SLOW_QUERY_MS": "12.5",
        }
    )
    async with App.from_config(config, kinds=("store",)) as app:
        assert app.store.monitor.slow_threshold_seconds == pytest.approx(0.0125)
