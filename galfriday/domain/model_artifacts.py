"""What a model artifact declares about itself: format, ONNX IR version and opset, producer, input and output tensors.

The registry records these with every version (so an operator can tell which runtime can load it) and checks
the declared inputs against the serving features before a promotion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from attrs import field, frozen


def _shape(value: Iterable[int | str | None]) -> tuple[int | str | None, ...]:
    return tuple(value)


def _tensors(value: Iterable[TensorSpec]) -> tuple[TensorSpec, ...]:
    return tuple(value)


def _opsets(value: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(dict(value).items()))


@frozen
class TensorSpec:
    """One graph input or output: its name, element type (`float32`, `int64`, ...) and shape.

    A dimension is a whole number, a symbolic name (`"N"`), or None when the graph leaves it open.
    """

    name: str
    dtype: str
    shape: tuple[int | str | None, ...] = field(default=(), converter=_shape)


@frozen
class ArtifactInfo:
    """The self-description of an artifact; `ir_version` and `opset` are None for formats that have none."""

    format: str
    ir_version: int | None = None
    opset: int | None = None
    """The version of the default (`ai.onnx`) operator set."""
    opsets: tuple[tuple[str, int], ...] = field(default=(), converter=_opsets)
    """Every imported operator set as (domain, version), sorted; the default domain is ''."""
    producer: str = ""
    inputs: tuple[TensorSpec, ...] = field(default=(), converter=_tensors)
    outputs: tuple[TensorSpec, ...] = field(default=(), converter=_tensors)
