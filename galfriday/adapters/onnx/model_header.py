"""Read the IR version, operator sets and producer of an ONNX model straight from its protobuf bytes.

onnxruntime does not expose the IR version or opset of a loaded model, and the `onnx` package is a training
dependency, not a serving one. The few top-level fields needed are plain protobuf, so they are read here
without parsing the graph (its bytes are skipped by length), which costs microseconds even for large models.
"""

from __future__ import annotations

from attrs import frozen

from galfriday.errors import ModelError

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5
_IR_VERSION, _PRODUCER, _OPSET_IMPORT = 1, 2, 8
_OPSET_DOMAIN, _OPSET_VERSION = 1, 2


@frozen
class ModelHeader:
    ir_version: int | None
    producer: str
    opsets: dict[str, int]
    """Operator set domain ('' is the default `ai.onnx`) -> version."""

    @property
    def opset(self) -> int | None:
        """The default domain's opset (`ai.onnx` may also be spelled out)."""
        return self.opsets.get("", self.opsets.get("ai.onnx"))


def read_header(data: bytes) -> ModelHeader:
    """The header fields of a serialized `ModelProto`; `ModelError` if the bytes are not protobuf."""
    ir_version: int | None = None
    producer = ""
    opsets: dict[str, int] = {}
    view = memoryview(data)
    for number, value in _fields(view, "model"):
        if number == _IR_VERSION and isinstance(value, int):
            ir_version = value
        elif number == _PRODUCER and isinstance(value, memoryview):
            producer = _text(value)
        elif number == _OPSET_IMPORT and isinstance(value, memoryview):
            domain, version = "", 0
            for inner, item in _fields(value, "opset_import"):
                if inner == _OPSET_DOMAIN and isinstance(item, memoryview):
                    domain = _text(item)
                elif inner == _OPSET_VERSION and isinstance(item, int):
                    version = item
            opsets[domain] = max(version, opsets.get(domain, 0))
    return ModelHeader(ir_version=ir_version, producer=producer, opsets=opsets)


def _fields(view: memoryview, where: str) -> list[tuple[int, int | memoryview]]:
    """(field number, value) of each field: an int for varints, a memoryview for length-delimited bytes."""
    found: list[tuple[int, int | memoryview]] = []
    position, end = 0, len(view)
    while position < end:
        key, position = _varint(view, position, where)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ModelError(f"artifact is not an ONNX model: field number 0 in {where}")
        if wire == _VARINT:
            value, position = _varint(view, position, where)
            found.append((number, value))
        elif wire == _LENGTH:
            length, position = _varint(view, position, where)
            if position + length > end:
                raise ModelError(f"artifact is not an ONNX model: {where} field {number} runs past the end")
            found.append((number, view[position : position + length]))
            position += length
        elif wire == _FIXED64:
            position += 8
        elif wire == _FIXED32:
            position += 4
        else:
            raise ModelError(f"artifact is not an ONNX model: wire type {wire} in {where}")
    if position != end:
        raise ModelError(f"artifact is not an ONNX model: {where} ends inside a field")
    return found


def _varint(view: memoryview, position: int, where: str) -> tuple[int, int]:
    result, shift = 0, 0
    while position < len(view) and shift < 70:
        byte = view[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7
    raise ModelError(f"artifact is not an ONNX model: a truncated number in {where}")


def _text(value: memoryview) -> str:
    return bytes(value).decode("utf-8", errors="replace")
