"""`ModelRuntime` on onnxruntime: one cached `InferenceSession` per (name, version).

Inputs arrive either as one column per feature (`{"rsi": [0.4], "spread": [1.2e-4]}`, the port's form) or as
a prepared numpy array, `[rows, features]` with the columns in the declared feature order (or one row,
`[features]`). An array of the graph's dtype is handed to onnxruntime as it is, after a shape and dtype check
(a few hundred nanoseconds; an array of another numeric dtype is cast). The array is read, not copied: do
not change it while a `predict` of it is awaited. Inputs are laid out as the graph wants them, in one of two
layouts found at load time:

- *matrix*: a single 2-D graph input `[rows, k]` whose columns are the version's features in declared order
  (what skl2onnx exports from a scikit-learn pipeline);
- *columns*: one graph input per feature, named after it, each `[rows]` or `[rows, 1]`.

The declared features are the version's `features`; if it declares none, the artifact's `galfriday.features`
metadata property (a JSON list of names) or, in the columns layout, the graph inputs themselves.

`run_sync` is the hot path for a few rows: the layout, names and dtypes are resolved once per session, so a
call is one array build (none for a prepared array), `session.run` and one flag per output; validation is a
handful of cheap checks, and the detailed (slower) diagnosis that names the bad feature runs only once a check
has failed. `predict` runs small
inputs inline the same way (a thread hop costs more than scoring a few rows) and bigger batches in a thread
pool, off the event loop (onnxruntime releases the GIL while it computes).

Outputs must be tensors (export scikit-learn classifiers with `options={"zipmap": False}`); each comes back as
onnxruntime's own array flattened row-major and made read-only (a `[rows, 2]` probability output for one row
is `[p0, p1]`): a `Sequence[float]` for the domain, with no per-value conversion on the serving path (turning
768 values into Python floats costs more than scoring 256 rows). Integer outputs such as labels stay integer
arrays. `float(x)` or `.tolist()` gives Python numbers where they are needed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from numbers import Real
from typing import Any, Final, TypeAlias

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from galfriday.adapters.onnx.model_header import read_header
from galfriday.domain.model_artifacts import ArtifactInfo, TensorSpec
from galfriday.domain.models import FeatureSpec, ModelVersion, Prediction
from galfriday.errors import InvalidValueError, ModelError

FEATURES_PROPERTY: Final = "galfriday.features"
"""ONNX metadata property naming the matrix input's columns: a JSON list of feature names."""

ORT_TYPES: Final[Mapping[str, str]] = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(float16)": "float16",
    "tensor(bool)": "bool",
    "tensor(string)": "string",
}
INPUT_DTYPES: Final = frozenset({"float32", "float64", "int64", "int32"})
_NUMERIC_KINDS: Final = frozenset("fiu")

Features: TypeAlias = Mapping[str, Sequence[float] | NDArray[Any]] | NDArray[Any]
"""What `predict` and `run_sync` take: one column (a sequence or an array) per feature, or a prepared
`[rows, features]` array."""


class LoadedModel:
    """A session with everything a call needs resolved once: layout, feature names, dtypes, outputs."""

    __slots__ = (
        "dtype",
        "features",
        "info",
        "input_names",
        "matrix",
        "names",
        "numpy_dtypes",
        "output_names",
        "row_shape",
        "run",
        "session",
        "shapes",
        "width",
    )

    def __init__(self, session: ort.InferenceSession, features: tuple[FeatureSpec, ...], info: ArtifactInfo):
        self.session = session
        self.run = session.run
        self.info = info
        self.features = features
        self.names = tuple(spec.name for spec in features)
        self.width = len(features)
        inputs = info.inputs
        self.matrix = not (len(inputs) == self.width and {t.name for t in inputs} == set(self.names))
        if self.matrix:
            self.input_names: tuple[str, ...] = (inputs[0].name,)
            self.numpy_dtypes: tuple[Any, ...] = (np.dtype(inputs[0].dtype),)
            self.shapes: tuple[tuple[int, ...], ...] = ((-1, self.width),)
        else:
            by_name = {t.name: t for t in inputs}
            self.input_names = self.names
            self.numpy_dtypes = tuple(np.dtype(by_name[n].dtype) for n in self.names)
            self.shapes = tuple((-1, 1) if len(by_name[n].shape) == 2 else (-1,) for n in self.names)
        self.output_names = tuple(t.name for t in info.outputs)
        self.dtype = self.numpy_dtypes[0] if self.matrix else None
        """The matrix input's dtype: a prepared array of it goes to onnxruntime as it is."""
        self.row_shape = (1, self.width)

    def encode(self, features: Features) -> dict[str, Any]:
        """The graph's input feed; `InvalidValueError` naming the first bad feature (or the bad array)."""
        if isinstance(features, np.ndarray):
            return self.encode_array(features)
        try:
            if len(features) != self.width:
                raise ValueError("feature count")
            values = np.array([features[name] for name in self.names])
            if values.dtype.kind not in _NUMERIC_KINDS or values.ndim != 2 or not values.size:
                raise ValueError("not a numeric matrix")
        except (KeyError, TypeError, ValueError):
            raise self.diagnose(features) from None
        if self.matrix:  # (features, rows) -> (rows, features), C-contiguous after the cast
            return {self.input_names[0]: values.T.astype(self.numpy_dtypes[0], order="C")}
        return {
            name: values[i].astype(dtype).reshape(shape)
            for i, (name, dtype, shape) in enumerate(
                zip(self.input_names, self.numpy_dtypes, self.shapes, strict=True)
            )
        }

    def encode_array(self, values: NDArray[Any]) -> dict[str, Any]:
        """The feed for a prepared array: `[rows, features]` in declared order, or one row `[features]`.

        The common case (a C-contiguous 2-D array of the matrix input's dtype) is five cheap checks and no copy.
        """
        if (
            values.dtype == self.dtype
            and values.ndim == 2
            and values.shape[1] == self.width
            and values.shape[0]
            and values.flags.c_contiguous
        ):
            return {self.input_names[0]: values}
        if values.dtype.kind not in _NUMERIC_KINDS:
            raise InvalidValueError(
                "features", f"an array of {values.dtype}", f"numbers ({self.numpy_dtypes[0]} for this model)"
            )
        if values.ndim == 1 and values.shape[0] == self.width:
            values = values.reshape(self.row_shape)
        if values.ndim != 2 or values.shape[1] != self.width or not values.shape[0]:
            raise InvalidValueError(
                "features",
                f"an array of shape {list(values.shape)}",
                f"[rows, {self.width}] (at least one row) or [{self.width}]: the columns {list(self.names)}",
            )
        if self.matrix:
            return {self.input_names[0]: np.ascontiguousarray(values, dtype=self.numpy_dtypes[0])}
        return {
            name: values[:, i].astype(dtype).reshape(shape)
            for i, (name, dtype, shape) in enumerate(
                zip(self.input_names, self.numpy_dtypes, self.shapes, strict=True)
            )
        }

    def decode(self, results: Sequence[Any]) -> dict[str, Sequence[float]]:
        """Each output as onnxruntime's array, flattened row-major (a view) and made read-only."""
        outputs: dict[str, Any] = {}
        for name, array in zip(self.output_names, results, strict=True):
            flat = array if array.ndim == 1 else array.ravel()
            flat.setflags(write=False)  # (half the cost of `flat.flags.writeable = False`)
            outputs[name] = flat
        return outputs

    def diagnose(self, features: Mapping[str, Any]) -> InvalidValueError:
        """The precise complaint about inputs that failed the fast checks (the first problem found)."""
        declared = list(self.names)
        for name in features:
            if name not in self.names:
                return InvalidValueError(
                    name, features[name], f"no such feature; the model declares {declared}"
                )
        rows: int | None = None
        for name in self.names:
            if name not in features:
                return InvalidValueError(name, None, f"a sequence of numbers (the model declares {declared})")
            column: Any = features[name]
            if isinstance(column, np.ndarray):
                column = column.tolist()
            if isinstance(column, str | bytes) or not isinstance(column, Sequence):
                return InvalidValueError(name, column, "a sequence of numbers, one per row")
            for index, value in enumerate(column):
                if isinstance(value, bool) or not isinstance(value, Real | np.number):
                    return InvalidValueError(f"{name}[{index}]", value, "a number")
            if not column:
                return InvalidValueError(name, column, "at least one row")
            if rows is None:
                rows = len(column)
            elif len(column) != rows:
                return InvalidValueError(
                    name, f"{len(column)} rows", f"{rows} rows, as many as {declared[0]!r} has"
                )
        return InvalidValueError("features", features, f"one sequence of numbers per feature of {declared}")


class OnnxModelRuntime:
    """`ModelRuntime` over onnxruntime's CPU provider (see the module docstring).

    `intra_op_threads` / `inter_op_threads` size onnxruntime's own pools per session (1 and 1 suit single-row
    latency on a small machine; 0 lets onnxruntime choose). `predict` scores up to `inline_max_rows` rows on the
    calling thread and larger batches on a pool of `executor_threads` threads.
    """

    def __init__(
        self,
        *,
        intra_op_threads: int = 1,
        inter_op_threads: int = 1,
        inline_max_rows: int = 32,
        executor_threads: int = 2,
    ) -> None:
        for name, value, least in (
            ("intra_op_threads", intra_op_threads, 0),
            ("inter_op_threads", inter_op_threads, 0),
            ("inline_max_rows", inline_max_rows, 0),
            ("executor_threads", executor_threads, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise InvalidValueError(name, value, f"a whole number >= {least}")
        self.intra_op_threads = intra_op_threads
        self.inter_op_threads = inter_op_threads
        self.inline_max_rows = inline_max_rows
        self.executor_threads = executor_threads
        self._sessions: dict[tuple[str, int], LoadedModel] = {}
        self._executor: ThreadPoolExecutor | None = None

    # --- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Nothing to acquire up front: sessions load on demand and the thread pool starts on first use."""

    async def close(self) -> None:
        """Drop every session and stop the thread pool."""
        self._sessions.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    # --- the port -------------------------------------------------------------------------------------

    @property
    def loaded(self) -> frozenset[tuple[str, int]]:
        """The (name, version) keys that have a session."""
        return frozenset(self._sessions)

    async def load(self, model: ModelVersion, artifact: bytes) -> None:
        """Build the session in a thread (`ModelError` if the artifact is not a model this runtime can run)."""
        if model.key in self._sessions:
            return
        loaded = await asyncio.to_thread(self._build, model, bytes(artifact))
        self._sessions.setdefault(model.key, loaded)

    def input_schema(self, model: ModelVersion) -> tuple[FeatureSpec, ...]:
        return self._loaded(model).features

    def info(self, model: ModelVersion) -> ArtifactInfo:
        """What the loaded artifact declares (IR version, opset, inputs, outputs)."""
        return self._loaded(model).info

    def session(self, model: ModelVersion) -> ort.InferenceSession:
        """The cached session itself, for callers that measure against a raw `session.run`."""
        return self._loaded(model).session

    def run_sync(self, model: ModelVersion, features: Features) -> Prediction:
        """Validate, score and convert on the calling thread: the fast path for a few rows."""
        started = time.perf_counter()
        loaded = self._sessions.get(model.key) or self._loaded(model)
        outputs = loaded.decode(loaded.run(None, loaded.encode(features)))
        return Prediction(model.name, model.version, outputs, time.perf_counter() - started)

    async def predict(self, model: ModelVersion, features: Features) -> Prediction:
        """Score a batch; more than `inline_max_rows` rows run in the thread pool, off the event loop."""
        started = time.perf_counter()
        loaded = self._sessions.get(model.key) or self._loaded(model)
        feed = loaded.encode(features)
        if len(next(iter(feed.values()))) <= self.inline_max_rows:
            results = loaded.run(None, feed)
        else:
            loop = asyncio.get_running_loop()
            results = await loop.run_in_executor(self._pool(), loaded.run, None, feed)
        outputs = loaded.decode(results)
        return Prediction(model.name, model.version, outputs, time.perf_counter() - started)

    async def unload(self, model: ModelVersion) -> None:
        """Drop the session; unloading a model that is not loaded is a no-op."""
        self._sessions.pop(model.key, None)

    async def describe(self, artifact: bytes) -> ArtifactInfo:
        """Check an artifact (onnx.checker when the `onnx` package is installed, then a real session) and
        return what it declares; `ModelError` says why it cannot run."""
        return await asyncio.to_thread(self._describe, bytes(artifact))

    # --- internals ------------------------------------------------------------------------------------

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.executor_threads, thread_name_prefix="galfriday-onnx")
        return self._executor

    def _options(self) -> ort.SessionOptions:
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.intra_op_threads
        options.inter_op_num_threads = self.inter_op_threads
        options.log_severity_level = 3  # errors only: warnings about unused initializers are noise here
        return options

    def _session(self, artifact: bytes, what: str) -> ort.InferenceSession:
        try:
            return ort.InferenceSession(artifact, self._options(), providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own pybind exception types
            raise ModelError(
                f"{what}: onnxruntime cannot load the artifact ({type(exc).__name__}: {exc})"
            ) from None

    def _describe(self, artifact: bytes) -> ArtifactInfo:
        _check_with_onnx(artifact)
        return _info(artifact, self._session(artifact, "artifact"), "artifact")

    def _build(self, model: ModelVersion, artifact: bytes) -> LoadedModel:
        what = f"model {model.name!r} v{model.version}"
        session = self._session(artifact, what)
        info = _info(artifact, session, what)
        features = _declared_features(model, session, info, what)
        return LoadedModel(session, features, info)

    def _loaded(self, model: ModelVersion) -> LoadedModel:
        try:
            return self._sessions[model.key]
        except KeyError:
            raise ModelError(
                f"model {model.name!r} version {model.version} is not loaded; call load() first"
            ) from None


def _check_with_onnx(artifact: bytes) -> None:
    """`onnx.checker.check_model` when the `onnx` package is installed (the `train` extra); else nothing."""
    try:
        import onnx
    except ImportError:
        return
    try:
        onnx.checker.check_model(onnx.load_model_from_string(artifact), full_check=True)
    except Exception as exc:  # onnx raises ValidationError, DecodeError and others
        raise ModelError(f"artifact fails the ONNX checker ({type(exc).__name__}: {exc})") from None


def _tensor(arg: Any) -> TensorSpec:
    dims = tuple(d if isinstance(d, int | str) else None for d in (arg.shape or ()))
    return TensorSpec(arg.name, ORT_TYPES.get(arg.type, arg.type), dims)


def _info(artifact: bytes, session: ort.InferenceSession, what: str) -> ArtifactInfo:
    header = read_header(artifact)
    outputs = tuple(_tensor(arg) for arg in session.get_outputs())
    if bad := [t for t in outputs if not t.dtype.isidentifier() or t.dtype == "string"]:
        raise ModelError(
            f"{what}: output {bad[0].name!r} is {bad[0].dtype}, not a numeric tensor; export classifiers "
            "with skl2onnx option zipmap=False"
        )
    return ArtifactInfo(
        format="onnx",
        ir_version=header.ir_version,
        opset=header.opset,
        opsets=header.opsets,
        producer=header.producer,
        inputs=tuple(_tensor(arg) for arg in session.get_inputs()),
        outputs=outputs,
    )


def _declared_features(
    model: ModelVersion, session: ort.InferenceSession, info: ArtifactInfo, what: str
) -> tuple[FeatureSpec, ...]:
    """The version's features, checked against the graph's inputs (see the module docstring)."""
    inputs = info.inputs
    if bad := [t for t in inputs if t.dtype not in INPUT_DTYPES]:
        raise ModelError(
            f"{what}: input {bad[0].name!r} is {bad[0].dtype}; expected one of {sorted(INPUT_DTYPES)}"
        )
    features = model.features or _metadata_features(session, inputs, what)
    names = [spec.name for spec in features]
    if len(set(names)) != len(names) or not names:
        raise ModelError(f"{what}: features {names!r}; expected unique names, at least one")
    by_name = {t.name: t for t in inputs}
    if len(inputs) == len(features) and set(by_name) == set(names):
        for spec in features:
            tensor = by_name[spec.name]
            if tensor.dtype != spec.dtype:
                raise ModelError(
                    f"{what}: feature {spec.name!r} is declared {spec.dtype}, the graph takes {tensor.dtype}"
                )
            if len(tensor.shape) not in (1, 2) or (
                len(tensor.shape) == 2 and tensor.shape[1] not in (1, None)
            ):
                raise ModelError(
                    f"{what}: input {spec.name!r} has shape {list(tensor.shape)}; expected [rows] or [rows, 1]"
                )
        return tuple(features)
    if len(inputs) != 1:
        raise ModelError(
            f"{what}: the graph takes inputs {sorted(by_name)}; expected one per feature of {names} "
            "or a single [rows, features] matrix"
        )
    matrix = inputs[0]
    if len(matrix.shape) != 2 or (isinstance(matrix.shape[1], int) and matrix.shape[1] != len(names)):
        raise ModelError(
            f"{what}: input {matrix.name!r} has shape {list(matrix.shape)}; expected [rows, {len(names)}] "
            f"for the features {names}"
        )
    if mismatched := [spec.name for spec in features if spec.dtype != matrix.dtype]:
        raise ModelError(
            f"{what}: features {mismatched} are not {matrix.dtype}, the dtype of input {matrix.name!r}"
        )
    return tuple(features)


def _metadata_features(
    session: ort.InferenceSession, inputs: tuple[TensorSpec, ...], what: str
) -> tuple[FeatureSpec, ...]:
    raw = session.get_modelmeta().custom_metadata_map.get(FEATURES_PROPERTY)
    if raw is None:
        if len(inputs) == 1 and len(inputs[0].shape) == 2 and inputs[0].shape[1] != 1:
            raise ModelError(
                f"{what}: a matrix input {inputs[0].name!r} and no feature names; register the version with "
                f"its features or set the {FEATURES_PROPERTY!r} metadata property"
            )
        return tuple(FeatureSpec(t.name, t.dtype) for t in inputs)
    try:
        names = json.loads(raw)
    except json.JSONDecodeError:
        names = None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or len(inputs) != 1:
        raise ModelError(
            f"{what}: metadata {FEATURES_PROPERTY}={raw!r}; expected a JSON list of names for one input"
        )
    return tuple(FeatureSpec(name, inputs[0].dtype) for name in names)
