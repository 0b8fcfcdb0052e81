"""The app builds the `onnx` runtime and `filesystem` artifact store from configuration, through entry points."""

from __future__ import annotations

import threading
from pathlib import Path

from galfriday.adapters.filesystem.artifacts import FilesystemArtifactStore
from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.app import App
from galfriday.config import Config, ModelsConfig, Secret, StoreConfig
from galfriday.services.model_registry import ModelRegistry
from galfriday.testing.model_samples import sample_registration


def config(tmp_path: Path) -> Config:
    models = ModelsConfig(
        runtime="onnx",
        artifact_store="filesystem",
        settings={"artifact_dir": str(tmp_path / "artifacts"), "intra_op_threads": 1, "inline_max_rows": 0},
    )
    return Config(store=StoreConfig(adapter="sqlite", dsn=Secret(str(tmp_path / "g.db"))), models=models)


async def test_the_configured_model_adapters_are_built_by_name(tmp_path: Path) -> None:
    async with App.from_config(config(tmp_path), kinds=("artifact_store", "model_runtime")) as app:
        assert isinstance(app.model_runtime, OnnxModelRuntime)
        assert isinstance(app.artifact_store, FilesystemArtifactStore)
        assert app.artifact_store.root == tmp_path / "artifacts"
        assert app.model_runtime.inline_max_rows == 0


async def test_closing_the_app_stops_the_runtime_thread_pool(tmp_path: Path) -> None:
    kinds = ("store", "artifact_store", "model_runtime")
    async with App.from_config(config(tmp_path), kinds=kinds) as app:
        registry = ModelRegistry(app.store, app.artifact_store, app.model_runtime, app.clock)
        registration = sample_registration("m")
        version = await registry.register(registration, actor="test")
        await registry.load("m", 1)
        await app.model_runtime.predict(version, {"f0": [0.1], "f1": [0.2], "f2": [0.3]})
        assert _pool_threads()
    assert not _pool_threads()


def _pool_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("galfriday-onnx")]
