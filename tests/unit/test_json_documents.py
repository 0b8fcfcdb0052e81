"""JSON documents in domain records: normalised so that every store reads back what it was given."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from galfriday.domain.json_documents import finite_float, json_object, json_value
from galfriday.errors import InvalidValueError


def test_tuples_become_lists_at_any_depth() -> None:
    assert json_value("doc", {"a": ({"b": (1, 2)},)}) == {"a": [{"b": [1, 2]}]}


def test_scalars_pass_unchanged() -> None:
    assert json_value("doc", [None, True, 3, 2.5, "x"]) == [None, True, 3, 2.5, "x"]


@pytest.mark.parametrize("bad", [Decimal("1"), datetime(2026, 1, 1, tzinfo=UTC), b"x", {1, 2}])
def test_values_json_cannot_hold_are_refused(bad: object) -> None:
    with pytest.raises(InvalidValueError, match=r"doc\['k'\]"):
        json_value("doc", {"k": bad})


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused(bad: float) -> None:
    with pytest.raises(InvalidValueError, match="finite"):
        json_value("doc", [bad])


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(InvalidValueError, match="key"):
        json_value("doc", {1: "one"})


def test_a_json_object_must_be_a_mapping() -> None:
    with pytest.raises(InvalidValueError, match="JSON object"):
        json_object("config", ["not", "an", "object"])


def test_a_json_object_is_a_deep_copy() -> None:
    inner = {"x": 1}
    copied = json_object("config", {"inner": inner})
    inner["x"] = 2
    assert copied == {"inner": {"x": 1}}


def test_finite_float_turns_ints_into_floats() -> None:
    assert isinstance(finite_float("v", 3), float)


def test_finite_float_refuses_booleans() -> None:
    with pytest.raises(InvalidValueError):
        finite_float("v", True)
