"""Every sample in shared/ledes/samples gives the outcome recorded in shared/ledes/conformance.

The expectations are read from the reference pack itself, not restated here: Lexitree's error
lists from lexitree_expected_errors.txt, and the arithmetic and semantic facts ("Σ = 2500 ≠
1250", "CLIENT_ID differs", "duplicate line number") from the notes of expected_outcomes.md.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from lexbill.ledes import (
    ARITHMETIC_CODES,
    Code,
    LedesFormat,
    Problem,
    Severity,
    ValidationReport,
    parse_ledes,
    validate_ledes,
)
from tests.ledes.conftest import SHARED_LEDES, shared_path

OUTCOMES = SHARED_LEDES / "conformance" / "expected_outcomes.md"
LEXITREE = SHARED_LEDES / "conformance" / "lexitree_expected_errors.txt"


@dataclass(frozen=True)
class Outcome:
    path: str
    marker: str
    expected: str
    notes: str


def _outcomes() -> dict[str, Outcome]:
    rows = {}
    for line in shared_path("conformance", "expected_outcomes.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("samples/"):
            rows[cells[0]] = Outcome(*cells)
    assert rows, "no sample rows found in expected_outcomes.md"
    return rows


def _sample_ids() -> list[str]:
    # Parametrized from the reference pack; a missing pack gives one test that fails.
    if not OUTCOMES.exists():
        return ["<shared/ledes/conformance/expected_outcomes.md missing>"]
    return sorted(_outcomes())


def _lexitree_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in shared_path("conformance", "lexitree_expected_errors.txt").read_text().splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif current is not None and line.startswith("Line "):
            current.append(line)
    return sections


_LEXITREE_LINE = re.compile(r"Line (\d+)\s*:\s*(?:At field (\d+) : Invalid (\S+)|(.*))")


def _lexitree_expected(section: str) -> list[tuple[int, str | None]]:
    """(line, field name) per expected Lexitree error; field None for marker/header lines."""
    expected = []
    for text in _lexitree_sections()[section]:
        match = _LEXITREE_LINE.fullmatch(text.strip())
        assert match, text
        expected.append((int(match[1]), match[3]))
    return expected


def _errors(report: ValidationReport) -> list[Problem]:
    return [p for p in report.problems if p.severity is Severity.ERROR]


def _structural(report: ValidationReport) -> list[Problem]:
    """Errors of the kinds Lexitree checks (it does not check arithmetic)."""
    return [p for p in _errors(report) if p.code not in ARITHMETIC_CODES]


def _report(sample: str) -> ValidationReport:
    return validate_ledes(shared_path(sample).read_bytes())


def _numbers(text: str) -> set[Decimal]:
    return {Decimal(n).normalize() for n in re.findall(r"-?\d+(?:\.\d+)?", text)}


# "Σ = 2500 ≠ 1250", "INVOICE_TAX_TOTAL 182.52 ≠ Σ 185.52", "Σ line totals 1555.52 ≠
# INVOICE_TOTAL 1869.97": a stated figure, the figure it should be, and the field if named.
_MISMATCH = re.compile(
    r"(?:([A-Z_]{5,})\s+)?(?:Σ[^≠\d]*)?(\d+(?:\.\d+)?)\s*≠\s*(?:Σ\s*)?(?:([A-Z_]{5,})\s+)?"
    r"(\d+(?:\.\d+)?)"
)


def _stated_mismatches(notes: str) -> list[tuple[str, Decimal, Decimal]]:
    found = []
    for match in _MISMATCH.finditer(notes):
        field = match[1] or match[3] or "INVOICE_TOTAL"
        found.append((field, Decimal(match[2]).normalize(), Decimal(match[4]).normalize()))
    return found


def test_the_reference_pack_is_present() -> None:
    for part in ("samples", "spec", "conformance/expected_outcomes.md"):
        shared_path(*part.split("/"))


@pytest.mark.parametrize("sample", _sample_ids())
def test_every_sample_is_recorded_in_the_outcomes_and_exists(sample: str) -> None:
    outcome = _outcomes()[sample]
    path = shared_path(sample)
    marker = path.read_text(encoding="utf-8").splitlines()[0]
    assert marker == outcome.marker
    report = _report(sample)
    assert report.format is not None
    expected_format = (
        LedesFormat.LEDES_98BI if "98BI" in outcome.marker else LedesFormat.LEDES_1998B
    )
    assert report.format is expected_format


# ------------------------------------------------------------------- Lexitree samples


def test_the_good_1998b_sample_is_valid_with_only_its_non_ascii_warning() -> None:
    outcome = _outcomes()["samples/lexitree/ledes1998b_good.txt"]
    assert outcome.expected.startswith("VALID")
    assert _lexitree_expected("ledes1998b_greedy_good") == []
    report = _report("samples/lexitree/ledes1998b_good.txt")
    assert report.is_valid, [str(p) for p in report.problems]
    (warning,) = report.problems
    assert warning.code is Code.NON_ASCII and warning.severity is Severity.WARNING
    code_point = re.search(r"U\+([0-9A-F]{4})", outcome.notes)
    assert code_point and f"U+{code_point[1]}" in warning.message
    # "in line 1 description": the first data line, which is line 3 of the file.
    assert "line 1 description" in outcome.notes
    assert (warning.line, warning.field) == (3, "LINE_ITEM_DESCRIPTION")


def test_the_good_1998b_sample_reads_back_to_the_totals_in_the_notes() -> None:
    notes = _outcomes()["samples/lexitree/ledes1998b_good.txt"].notes
    parsed = parse_ledes(shared_path("samples/lexitree/ledes1998b_good.txt"))
    by_number = {invoice.number: invoice for invoice in parsed.invoices}
    # "Invoice 96542: 630+700+40+24.95+289.5 = 1684.45"
    for number, terms, total in re.findall(r"[Ii]nvoice (\d+): ([\d.+]+) = ([\d.]+)", notes):
        invoice = by_number[number]
        assert [line.total for line in invoice.lines] == [Decimal(t) for t in terms.split("+")]
        assert invoice.total == Decimal(total)
    flat_fee = by_number["96543"].lines[0]
    assert (flat_fee.type, flat_fee.units, flat_fee.unit_cost, flat_fee.adjustment) == (
        "IF",
        Decimal(1),
        None,
        Decimal(1250),
    )


@pytest.mark.parametrize(
    ("sample", "section"),
    [
        ("samples/lexitree/ledes1998b_greedy_bad.txt", "ledes1998b_greedy_bad"),
        ("samples/lexitree/ledes98bi_greedy_bad.txt", "ledes98bi_greedy_bad"),
    ],
)
def test_a_greedy_bad_sample_fails_on_exactly_the_listed_lines_and_fields(
    sample: str, section: str
) -> None:
    expected = _lexitree_expected(section)
    report = _report(sample)
    errors = _errors(report)
    # One error per bad field, each named by its position as Lexitree numbers it.
    assert Counter((p.line, p.field) for p in errors) == Counter(expected)
    names = report.format.field_names if report.format else ()
    for text in _lexitree_sections()[section]:
        match = _LEXITREE_LINE.fullmatch(text.strip())
        if match and match[2]:
            assert names[int(match[2]) - 1] == match[3]
    assert {p.code for p in errors if p.field is None} == {Code.BAD_MARKER, Code.BAD_HEADER}


@pytest.mark.parametrize(
    ("sample", "section"),
    [
        ("samples/lexitree/ledes1998b_eager_bad.txt", "ledes1998b_eager_bad"),
        ("samples/lexitree/ledes98bi_eager_bad.txt", "ledes98bi_eager_bad"),
    ],
)
def test_an_eager_bad_sample_fails_first_on_the_listed_field(sample: str, section: str) -> None:
    # Lexitree's eager mode stops at the first error and checks no arithmetic, so its one
    # error must be our first error of the kinds it checks.
    ((line, field),) = _lexitree_expected(section)
    report = _report(sample)
    first = min(_structural(report), key=lambda p: (p.line, p.position))
    assert (first.line, first.field) == (line, field)
    assert not report.is_valid


def test_the_1998b_eager_sample_has_no_other_error() -> None:
    # expected_outcomes.md: "exactly" that error; nothing in the file breaks arithmetic.
    outcome = _outcomes()["samples/lexitree/ledes1998b_eager_bad.txt"]
    assert "exactly" in outcome.expected
    expected = _lexitree_expected("ledes1998b_eager_bad")
    report = _report("samples/lexitree/ledes1998b_eager_bad.txt")
    assert [(p.line, p.field) for p in report.problems] == expected


def test_the_98bi_good_sample_is_structurally_fine_but_rejected_for_its_totals() -> None:
    assert _lexitree_expected("ledes98bi_greedy_good") == []
    outcome = _outcomes()["samples/lexitree/ledes98bi_good.txt"]
    assert "REJECT" in outcome.notes
    report = _report("samples/lexitree/ledes98bi_good.txt")
    assert _structural(report) == []
    assert not report.is_valid
    (mismatch,) = _stated_mismatches(outcome.notes)
    field, stated, should = mismatch
    totals = [p for p in _errors(report) if p.code is Code.INVOICE_TOTAL_MISMATCH]
    assert [p.field for p in totals] == [field]
    assert {stated, should} <= _numbers(totals[0].message)


# ------------------------------------------------------------------- travisbashor samples


def _semantic_kinds(notes: str) -> set[tuple[Code, str]]:
    """The kinds of error the notes describe, as (code, field)."""
    kinds: set[tuple[Code, str]] = set()
    codes = {
        "INVOICE_TOTAL": Code.INVOICE_TOTAL_MISMATCH,
        "INVOICE_TAX_TOTAL": Code.INVOICE_TAX_TOTAL_MISMATCH,
        "INVOICE_NET_TOTAL": Code.INVOICE_NET_TOTAL_MISMATCH,
    }
    for field, _, _ in _stated_mismatches(notes):
        kinds.add((codes[field], field))
    for field in re.findall(r"([A-Z_]{5,}) differs", notes):
        kinds.add((Code.INCONSISTENT_INVOICE_FIELD, field))
    if "duplicate" in notes:
        kinds.add((Code.DUPLICATE_LINE_NUMBER, "LINE_ITEM_NUMBER"))
    if re.search(r"\btax ≠ base", notes):
        kinds.add((Code.LINE_TAX_MISMATCH, "LINE_ITEM_TAX_TOTAL"))
    return kinds


@pytest.mark.parametrize(
    "sample",
    [
        "samples/travisbashor/tests_data_ledes_98B.txt",
        "samples/travisbashor/notebooks_ledes_98B.txt",
        "samples/travisbashor/tests_data_ledes_98BI.txt",
    ],
)
def test_a_travisbashor_sample_shows_exactly_the_semantic_errors_noted(sample: str) -> None:
    outcome = _outcomes()[sample]
    report = _report(sample)
    assert not report.is_valid
    found = {(p.code, p.field) for p in _errors(report)}
    assert found == _semantic_kinds(outcome.notes)
    for field, stated, should in _stated_mismatches(outcome.notes):
        messages = [p.message for p in _errors(report) if p.field == field]
        assert any({stated, should} <= _numbers(message) for message in messages), messages


def test_the_semantic_errors_sit_on_the_duplicated_line() -> None:
    report = _report("samples/travisbashor/tests_data_ledes_98B.txt")
    lines = shared_path("samples/travisbashor/tests_data_ledes_98B.txt").read_text().splitlines()
    last = len(lines)
    on_last = {p.field for p in report.problems if p.line == last}
    assert on_last == {"CLIENT_ID", "LINE_ITEM_NUMBER"}


def test_98bi_line_taxes_are_flagged_exactly_on_the_taxed_lines() -> None:
    sample = "samples/travisbashor/tests_data_ledes_98BI.txt"
    outcome = _outcomes()[sample]
    rate = re.search(r"tax ≠ base × (\d+\.\d+)", outcome.notes)
    assert rate
    text = shared_path(sample).read_text().splitlines()
    names = text[1].removesuffix("[]").split("|")
    taxed = {
        number
        for number, line in enumerate(text, start=1)
        if number > 2
        and line.removesuffix("[]").split("|")[names.index("LINE_ITEM_TAX_RATE")] == rate[1]
    }
    report = _report(sample)
    flagged = {p.line for p in report.problems if p.code is Code.LINE_TAX_MISMATCH}
    assert flagged == taxed
    # "96543 is consistent": no invoice-level figure of that invoice is questioned.
    assert "96543 is consistent" in outcome.notes
    first_of_96543 = min(n for n, line in enumerate(text, 1) if line.startswith("20080225|96543|"))
    assert not [
        p
        for p in report.problems
        if p.line == first_of_96543
        and p.code
        in {
            Code.INVOICE_TOTAL_MISMATCH,
            Code.INVOICE_TAX_TOTAL_MISMATCH,
            Code.INVOICE_NET_TOTAL_MISMATCH,
        }
    ]


@pytest.mark.parametrize("sample", _sample_ids())
def test_every_sample_parses_into_its_invoices(sample: str) -> None:
    parsed = parse_ledes(shared_path(sample))
    lines = [
        line
        for line in shared_path(sample).read_text(encoding="utf-8").splitlines()[2:]
        if line.strip()
    ]
    assert sum(len(invoice.lines) for invoice in parsed.invoices) == len(lines)
    numbers = {line.split("|")[1] for line in lines}
    assert {invoice.number for invoice in parsed.invoices} == numbers
    assert parsed.report == validate_ledes(Path(shared_path(sample)))
