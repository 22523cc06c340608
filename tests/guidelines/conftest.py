"""Builders for guideline tests: lines with sensible defaults and one-rule documents.

A compliant line is the default; each test changes only the field that breaks (or keeps) the
rule, so the violating case and its compliant twin differ in one visible place.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from lexbill.core.invoice_math import time_amount
from lexbill.guidelines import GuidelineDocument, Line, LineKind, document_from_data

DAY = date(2026, 3, 2)


def time_line(line_id: str = "1", **fields: Any) -> Line:
    """A compliant time entry: 1 h of an associate at 200.00 on a litigation matter."""
    values: dict[str, Any] = {
        "kind": LineKind.TIME,
        "matter_id": "M1",
        "work_date": DAY,
        "timekeeper_id": "TK1",
        "classification": "associate",
        "minutes": 60,
        "rate": Decimal("200.00"),
        "narrative": "Draft motion to compel production of the claim file from defendant",
        "task_code": "L110",
        "activity_code": "A103",
        "entered_on": DAY,
    }
    values.update(fields)
    if "amount" not in values:
        values["amount"] = time_amount(values["minutes"], values["rate"], "USD")
    return Line(id=line_id, **values)


def expense_line(line_id: str = "E1", **fields: Any) -> Line:
    """A compliant expense: a 120.00 court filing fee with its receipt."""
    values: dict[str, Any] = {
        "kind": LineKind.EXPENSE,
        "matter_id": "M1",
        "work_date": DAY,
        "narrative": "Court filing fee for motion",
        "expense_code": "E112",
        "quantity": Decimal(1),
        "unit_cost": Decimal("120.00"),
        "receipt": True,
    }
    values.update(fields)
    if "amount" not in values:
        values["amount"] = (values["quantity"] * values["unit_cost"]).quantize(Decimal("0.01"))
    return Line(id=line_id, **values)


def document(*rules: dict[str, Any], **fields: Any) -> GuidelineDocument:
    """A document of the given rules (ids default to rule-1, rule-2…)."""
    data: dict[str, Any] = {
        "name": "Test guidelines",
        "client": "ACME",
        "version": 1,
        "effective_from": "2026-01-01",
        "rules": [{"id": f"rule-{index + 1}", **rule} for index, rule in enumerate(rules)],
    }
    data.update(fields)
    return document_from_data(data)
