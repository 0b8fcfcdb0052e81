"""Registers the onnxruntime model runtime as `onnx`, through galfriday's own `galfriday` entry point.

Settings (`[models.settings]`, all whole numbers): `intra_op_threads` (default 1), `inter_op_threads`
(default 1), `inline_max_rows` (default 32: larger batches run in the thread pool), `executor_threads`
(default 2).
"""

from __future__ import annotations

from galfriday.adapters.onnx.runtime import OnnxModelRuntime
from galfriday.errors import ConfigurationError
from galfriday.hookspecs import AdapterContext, RegisterAdapter, hookimpl

DEFAULTS = {"intra_op_threads": 1, "inter_op_threads": 1, "inline_max_rows": 32, "executor_threads": 2}


def make_onnx_runtime(ctx: AdapterContext) -> OnnxModelRuntime:
    chosen: dict[str, int] = {}
    for key, default in DEFAULTS.items():
        value = ctx.settings.get(key, default)
        least = 1 if key == "executor_threads" else 0
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ConfigurationError(f"models.settings.{key}", value, f"a whole number >= {least}")
        chosen[key] = value
    return OnnxModelRuntime(**chosen)


@hookimpl
def galfriday_register_model_runtimes(register: RegisterAdapter) -> None:
    register("onnx", make_onnx_runtime)
