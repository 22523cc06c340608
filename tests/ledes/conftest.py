"""Shared LEDES test data: the reference pack in ../shared/ledes and small invoice builders.

The reference pack is part of how LEDES support is checked; a missing pack fails the tests
instead of skipping them, so a broken checkout cannot pass unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lexbill.ledes import InternationalDetails, Invoice, LineItem, LineType, Party

SHARED_LEDES = Path(__file__).resolve().parents[3] / "shared" / "ledes"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_path(*parts: str) -> Path:
    """A path in the reference pack; fails the calling test when the pack is missing."""
    path = SHARED_LEDES.joinpath(*parts)
    if not path.exists():
        pytest.fail(
            f"the LEDES reference pack is missing: {path} (expected ../shared/ledes next to "
            "the repository)"
        )
    return path


@pytest.fixture
def shared_ledes() -> Path:
    return shared_path()


def fee(number: str, units: str, rate: str, **fields: Any) -> LineItem:
    values: dict[str, Any] = {
        "date": date(2026, 1, 15),
        "task_code": "L110",
        "activity_code": "A101",
        "timekeeper_id": "TK1",
        "timekeeper_name": "Arnsley, Robert",
        "timekeeper_classification": "PARTNR",
        "description": "Research",
    }
    values.update(fields)
    return LineItem(
        number=number, type=LineType.FEE, units=Decimal(units), unit_cost=Decimal(rate), **values
    )


def expense(number: str, units: str, cost: str, **fields: Any) -> LineItem:
    values: dict[str, Any] = {
        "date": date(2026, 1, 16),
        "expense_code": "E101",
        "description": "Copies",
    }
    values.update(fields)
    return LineItem(
        number=number,
        type=LineType.EXPENSE,
        units=Decimal(units),
        unit_cost=Decimal(cost),
        **values,
    )


def invoice(*lines: LineItem, **fields: Any) -> Invoice:
    values: dict[str, Any] = {
        "number": "INV001",
        "date": date(2026, 2, 1),
        "client_id": "CLIENT1",
        "law_firm_id": "24-6437381",
        "law_firm_matter_id": "M-0528",
        "billing_start": date(2026, 1, 1),
        "billing_end": date(2026, 1, 31),
        "description": "For services rendered",
        "client_matter_id": "423-987",
        "currency": "USD",
    }
    values.update(fields)
    return Invoice(lines=tuple(lines), **values)


def international(**fields: Any) -> InternationalDetails:
    values: dict[str, Any] = {
        "client_tax_id": "76-1235",
        "matter_name": "Merten Merger",
        "tax_rate": Decimal("0.2"),
        "tax_type": "VAT",
        "law_firm": Party("Law Offices of John Smith", "One Fleet Street", city="London"),
        "client": Party("Stanley's Widgets", "One Times Square", city="New York", country="USA"),
    }
    values.update(fields)
    return InternationalDetails(**values)


Builder = Callable[..., Any]
