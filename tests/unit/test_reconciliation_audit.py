"""Reconciliation audit records: a run and its adjustments, checked when built."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest

from galfriday.domain.reconciliation_audit import PositionAdjustment, ReconciliationRun, RunKind, RunStatus
from galfriday.errors import FloatAmountError, InvalidValueError, NaiveDatetimeError

T0 = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def run(**changes: Any) -> ReconciliationRun:
    made = ReconciliationRun(
        id="recon-1",
        kind="startup",
        status="success",
        started_at=T0,
        finished_at=T0 + timedelta(seconds=2),
        discrepancies_found=1,
        auto_corrected=1,
        manual_review_required=0,
        report={"checked": ("balances", "positions")},
    )
    return attrs.evolve(made, **changes) if changes else made


def adjustment(**changes: Any) -> PositionAdjustment:
    made = PositionAdjustment(
        id="adj-1",
        run_id="recon-1",
        subject="position:BTC/USD",
        kind="position_corrected",
        old_value="0.5",
        new_value=Decimal("0.75"),
        reason="exchange says 0.75",
        created_at=T0,
    )
    return attrs.evolve(made, **changes) if changes else made


def test_kind_and_status_are_converted_to_their_enums() -> None:
    assert (run().kind, run().status) == (RunKind.STARTUP, RunStatus.SUCCESS)


def test_an_unknown_run_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="hourly"):
        run(kind="hourly")


def test_run_times_are_normalised_to_utc() -> None:
    zoned = T0.astimezone(timezone(timedelta(hours=2)))
    made = run(started_at=zoned, finished_at=zoned)
    assert made.started_at == T0
    assert made.started_at.utcoffset() == timedelta(0)


def test_a_naive_run_time_is_refused() -> None:
    with pytest.raises(NaiveDatetimeError):
        run(started_at=datetime(2026, 11, 24, 13, 0))


def test_a_run_cannot_finish_before_it_started() -> None:
    with pytest.raises(InvalidValueError, match="finished_at"):
        run(finished_at=T0 - timedelta(seconds=1))


@pytest.mark.parametrize("field", ["discrepancies_found", "auto_corrected", "manual_review_required"])
def test_a_negative_count_is_refused_naming_its_field(field: str) -> None:
    with pytest.raises(InvalidValueError, match=field):
        run(**{field: -1})


def test_an_empty_run_id_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="id"):
        run(id="")


def test_the_report_is_normalised_to_json_lists() -> None:
    assert run().report == {"checked": ["balances", "positions"]}


def test_a_report_holding_a_decimal_is_refused_naming_where() -> None:
    with pytest.raises(InvalidValueError, match=r"report\['balance'\]"):
        run(report={"balance": Decimal("1.5")})


def test_the_report_is_a_copy_of_what_was_given() -> None:
    given: dict[str, object] = {"checked": ["balances"]}
    made = run(report=given)
    given["checked"] = []
    assert made.report == {"checked": ["balances"]}


def test_adjustment_values_are_exact_decimals() -> None:
    assert adjustment().old_value == Decimal("0.5")
    assert str(adjustment().new_value) == "0.75"


def test_adjustment_values_may_be_absent() -> None:
    assert adjustment(old_value=None, new_value=None).old_value is None


def test_a_float_adjustment_value_is_refused() -> None:
    with pytest.raises(FloatAmountError, match="new_value"):
        adjustment(new_value=0.75)


def test_an_adjustment_without_subject_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="subject"):
        adjustment(subject="")
