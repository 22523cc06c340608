"""The engine over a batch: order, the report shapes, currencies, overrides and the collector."""

from __future__ import annotations

import gc
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from lexbill.core.errors import LexbillError
from lexbill.guidelines import (
    CheckContext,
    apply_fixes,
    check_lines,
    compile_guidelines,
    fix_all,
)
from lexbill.guidelines.engine import CHUNK_SIZE
from tests.guidelines.conftest import document, time_line
from tests.test_pure_packages_do_not_import_django import _django_imports

D = Decimal
PACKAGE = Path(__file__).resolve().parents[2] / "src" / "lexbill" / "guidelines"


def test_findings_come_in_rule_order_then_line_order() -> None:
    doc = document(
        {"id": "vague", "type": "vague_narrative"}, {"id": "tenths", "type": "billing_increment"}
    )
    lines = [
        time_line("1", minutes=15),
        time_line("2", narrative="Attention to file", minutes=5),
        time_line("3", narrative="Work on matter"),
    ]
    result = check_lines(doc, lines)
    assert [(f.rule_id, f.line_ids) for f in result.findings] == [
        ("vague", ("2",)),
        ("vague", ("3",)),
        ("tenths", ("1",)),
        ("tenths", ("2",)),
    ]
    assert result.for_line("2") == (result.findings[0], result.findings[3])
    assert result.by_rule() == {"vague": (2, D("216.67")), "tenths": (2, D("26.67"))}
    data = result.as_dict()
    assert data["lines_checked"] == 3 and data["blocking"] == 2 and data["warnings"] == 2
    assert data["findings"][0] == {  # type: ignore[index]
        "rule": "vague",
        "type": "vague_narrative",
        "lines": ["2"],
        "severity": "warn",
        "message": "vague narrative: 'attention to' without naming what it was about (the client "
        "wants the task, the document or person, and the purpose)",
        "amount_at_risk": "16.67",
        "fixes": [],
    }


def test_a_guideline_in_another_currency_is_refused() -> None:
    doc = document({"type": "rate_cap", "default_max_rate": "100"}, currency="EUR")
    with pytest.raises(LexbillError, match="guideline is in EUR and the lines in USD"):
        check_lines(doc, [time_line()], CheckContext(currency="USD"))
    assert check_lines(doc, [time_line()]).findings[0].message.startswith("rate 200.00")


def test_a_large_batch_pauses_the_collector_and_restores_it() -> None:
    doc = document({"type": "billing_increment"})
    lines = [time_line(str(i), minutes=5 + i % 2) for i in range(CHUNK_SIZE * 3)]
    assert gc.isenabled()
    result = check_lines(doc, lines)
    assert gc.isenabled()
    assert len(result.findings) == len(lines) // 2
    gc.disable()
    try:
        check_lines(doc, lines)
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_the_compiled_form_is_cached_per_document() -> None:
    doc = document({"type": "billing_increment"})
    assert compile_guidelines(doc) is compile_guidelines(doc)


def test_fix_all_settles_what_one_pass_leaves() -> None:
    """Capping the rate lowers the value travel's share is taken from: a line written down to
    exactly 77 % is then a cent above it, which only a second round can see."""
    doc = document(
        {"type": "rate_cap", "default_max_rate": "100"},
        {"type": "travel_time", "billable_percent": "77"},
    )
    line = time_line(minutes=14, rate=D("100.01"), amount=D("17.97"), travel=True)
    once = apply_fixes([line], check_lines(doc, [line]).fixes)
    assert [f.rule_type for f in check_lines(doc, once).findings] == ["travel_time"]
    fixed, applied = fix_all(doc, [line])
    assert check_lines(doc, fixed).findings == ()
    assert [fix.kind.value for fix in applied] == ["cap_rate", "cut_travel"]
    assert fixed[0].amount == D("17.96")


def test_no_module_of_the_guidelines_package_imports_django() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 10
    offenders = [
        f"{path.name}:{line}"
        for path in modules
        for line in _django_imports(__import__("ast").parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_importing_and_using_it_loads_no_django() -> None:
    script = (
        "import sys, lexbill.guidelines as g;"
        "g.check_lines(g.load_template('insurance-defense'), []);"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
