"""Importing timekeepers, clients, matters, rates and expenses: a firm's master data in the order
a migration brings it, each kind refused by row and column on the rules its service applies."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lexbill.billing.models import Rate
from lexbill.billing.rates import rate_for
from lexbill.clients.models import Client, Matter
from lexbill.entries.models import Expense
from lexbill.firm.models import Timekeeper
from lexbill.imports.services import ImportRefused, run_import


def write_csv(tmp_path: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    path = tmp_path / name
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def refused(kind: str, path: Path, model: Any) -> set[tuple[int | None, str]]:
    before = model.objects.count()
    with pytest.raises(ImportRefused) as caught:
        run_import(None, kind, path, commit=True)
    assert model.objects.count() == before
    dry = run_import(None, kind, path)
    assert dry.problem_count == caught.value.result.problem_count
    return {(p.row, p.column) for p in caught.value.result.problems}


TK_HEADER = ["Initials", "First", "Last", "Title", "Target hours", "Active"]


def test_timekeepers_import_with_classifications_as_firms_write_them(
    small_firm: Any, tmp_path: Path
) -> None:
    rows = [
        ["JD", "Jane", "Doe", "Partner", "1800", "yes"],
        ["RR", "Rob", "Roe", "Of Counsel", "", ""],
        ["MM", "Mia", "Moe", "Legal Assistant", "", "no"],
    ]
    done = run_import(
        small_firm.alice, "timekeepers", write_csv(tmp_path, "tk.csv", TK_HEADER, rows), commit=True
    )
    assert done.counts == {"timekeepers": 3}
    made = {t.code: t for t in Timekeeper.objects.filter(code__in=["JD", "RR", "MM"])}
    assert (made["JD"].classification, made["JD"].billable_target_hours) == ("partner", 1800)
    assert made["RR"].classification == "of_counsel" and made["RR"].active
    assert made["MM"].classification == "legal_assistant" and not made["MM"].active


def test_timekeeper_problems_by_row_and_column(small_firm: Any, tmp_path: Path) -> None:
    rows = [
        ["PW", "Pat", "Again", "partner", "", ""],  # taken
        ["NN", "Nina", "New", "senior wizard", "", ""],
        ["XX", "Xia", "X", "associate", "99999", ""],
        ["YY", "Yan", "Y", "associate", "", ""],
        ["YY", "Yan", "Twice", "associate", "", ""],
    ]
    assert refused("timekeepers", write_csv(tmp_path, "tk.csv", TK_HEADER, rows), Timekeeper) == {
        (2, "Initials"),
        (3, "Title"),
        (4, "Target hours"),
        (6, "Initials"),
    }


CLIENT_HEADER = ["Client No", "Client Name", "Billing Email", "VAT Rate", "Late charges"]


def test_clients_import_and_refuse_what_create_client_refuses(
    small_firm: Any, tmp_path: Path
) -> None:
    good = [["C100", "Initech", "ap@initech.example", "20", "yes"], ["C101", "Hooli", "", "", ""]]
    run_import(None, "clients", write_csv(tmp_path, "c.csv", CLIENT_HEADER, good), commit=True)
    initech = Client.objects.get(number="C100")
    assert initech.tax_rate_percent == Decimal("20") and initech.late_charges_allowed
    bad = [
        ["C001", "Acme again", "", "", ""],
        ["C102", "Umbrella", "not-an-email", "", ""],
        ["C103", "Cyberdyne", "", "120", ""],
        ["C104", "Tyrell", "", "7.5%", ""],
    ]
    assert refused("clients", write_csv(tmp_path, "bad.csv", CLIENT_HEADER, bad), Client) == {
        (2, "Client No"),
        (3, "Billing Email"),
        (4, "VAT Rate"),
        (5, "VAT Rate"),
    }


MATTER_HEADER = [
    "Matter Number",
    "Client Number",
    "Matter Name",
    "Responsible Attorney",
    "Open Date",
    "Arrangement",
    "Flat Fee",
    "Status",
    "Closed On",
]


def test_matters_import_open_and_closed_with_their_arrangements(
    small_firm: Any, tmp_path: Path
) -> None:
    rows = [
        ["C001-010", "C001", "Acme patent", "PW", "2019-04-01", "", "", "", ""],
        ["C002-010", "C002", "Globex audit", "pw", "2018-01-15", "flat fee", "1,500.00", "", ""],
        ["C001-011", "C001", "Old dispute", "PW", "2015-06-01", "", "", "closed", "2017-02-28"],
    ]
    done = run_import(
        None, "matters", write_csv(tmp_path, "m.csv", MATTER_HEADER, rows), commit=True
    )
    assert done.counts == {"matters": 3}
    audit = Matter.objects.get(number="C002-010")
    assert (audit.arrangement, audit.flat_fee, audit.currency) == (
        "flat_fee",
        Decimal("1500.00"),
        small_firm.firm.base_currency,
    )
    old = Matter.objects.get(number="C001-011")
    assert (old.status, old.closed_on) == ("closed", date(2017, 2, 28))


def test_matter_problems_by_row_and_column(small_firm: Any, tmp_path: Path) -> None:
    rows = [
        ["C001-001", "C001", "Taken", "PW", "2020-01-01", "", "", "", ""],
        ["C009-001", "C009", "No client", "PW", "2020-01-01", "", "", "", ""],
        ["C001-020", "C001", "No attorney", "ZZ", "2020-01-01", "", "", "", ""],
        ["C001-021", "C001", "Flat without fee", "PW", "2020-01-01", "flat", "", "", ""],
        ["C001-022", "C001", "Closed, no date", "PW", "2020-01-01", "", "", "closed", ""],
    ]
    assert refused("matters", write_csv(tmp_path, "m.csv", MATTER_HEADER, rows), Matter) == {
        (2, "Matter Number"),
        (3, "Client Number"),
        (4, "Responsible Attorney"),
        (5, "Flat Fee"),
        (6, "Closed On"),
    }


RATE_HEADER = ["Timekeeper", "Classification", "Client", "Matter", "Rate", "Effective Date"]


def test_rates_import_at_every_level_and_price_work_as_set_rate_would(
    small_firm: Any, tmp_path: Path
) -> None:
    rows = [
        ["PW", "", "", "", "650.00", "2027-01-01"],  # the partner's standard rate, raised
        ["", "associate", "C001", "", "275", "2026-06-01"],  # Acme's rate card
        ["AL", "", "", "C001-002", "250", "2026-06-01"],  # a matter override
        ["", "paralegal", "", "", "160", "2027-01-01"],  # firm-wide
    ]
    done = run_import(None, "rates", write_csv(tmp_path, "r.csv", RATE_HEADER, rows), commit=True)
    assert done.counts == {"rates": 4}
    levels = set(Rate.objects.values_list("level", flat=True))
    assert levels == {"timekeeper", "client", "matter", "classification"}

    def rate(matter: Any, keeper: Any, day: date) -> Decimal:
        found = rate_for(matter, keeper, day)
        assert found is not None
        return found.amount

    assert rate(small_firm.acme_hourly, small_firm.partner, date(2027, 2, 1)) == Decimal("650")
    assert rate(small_firm.acme_hourly, small_firm.associate, date(2026, 7, 1)) == Decimal("275")
    assert rate(small_firm.acme_capped, small_firm.associate, date(2026, 7, 1)) == Decimal("250")
    assert rate(small_firm.acme_hourly, small_firm.paralegal, date(2027, 2, 1)) == Decimal("160")


def test_rate_problems_by_row_and_column(small_firm: Any, tmp_path: Path) -> None:
    rows = [
        ["PW", "", "", "", "500.00", "2026-01-01"],  # exists already (the fixture's)
        ["ZZ", "", "", "", "100", "2026-01-01"],
        ["AL", "", "", "", "12.345", "2026-02-01"],
        ["AL", "", "", "", "310", "2026-03-01"],
        ["AL", "", "", "", "320", "2026-03-01"],  # the same key and day as the row before
        ["", "", "", "", "100", "2026-03-01"],  # neither timekeeper nor classification
    ]
    assert refused("rates", write_csv(tmp_path, "r.csv", RATE_HEADER, rows), Rate) == {
        (2, "Effective Date"),
        (3, "Timekeeper"),
        (4, "Rate"),
        (6, "Effective Date"),
        (7, "Timekeeper"),
    }


EXPENSE_HEADER = ["Matter", "Date", "Code", "Qty", "Unit Price", "Amount", "Description", "Receipt"]


def test_expenses_import_through_the_expense_rules(small_firm: Any, tmp_path: Path) -> None:
    rows = [
        ["C001-001", "2026-03-02", "E101", "120", "0.10", "", "Copies", ""],
        ["C001-001", "2026-03-03", "e107", "", "", "45.50", "Courier", "yes"],
        ["C002-001", "2026-03-04", "E112", "2", "", "150", "Filing fees", ""],
    ]
    done = run_import(
        None, "expenses", write_csv(tmp_path, "e.csv", EXPENSE_HEADER, rows), commit=True
    )
    assert done.counts == {"expenses": 3}
    stored = {e.expense_code: e for e in Expense.objects.all()}
    assert stored["E101"].quantity * stored["E101"].unit_cost == Decimal("12")
    assert (stored["E107"].quantity, stored["E107"].unit_cost, stored["E107"].receipt) == (
        Decimal(1),
        Decimal("45.50"),
        True,
    )
    assert stored["E112"].unit_cost == Decimal(75)
    assert all(e.state == "unbilled" for e in stored.values())


def test_expense_problems_by_row_and_column(small_firm: Any, tmp_path: Path) -> None:
    rows = [
        ["C001-001", "2026-03-02", "E999", "1", "10", "", "Unknown code", ""],
        ["C001-001", "2026-03-02", "E101", "3", "", "10.00", "Not divisible", ""],
        ["C001-001", "2026-03-02", "E101", "0", "1", "", "No quantity", ""],
        ["C404-001", "2026-03-02", "E101", "1", "1", "", "No matter", ""],
        ["C001-001", "2026-03-02", "E101", "1", "1", "", "Twice", ""],
        ["C001-001", "2026-03-02", "E101", "1", "1", "", "Twice", ""],
    ]
    assert refused("expenses", write_csv(tmp_path, "e.csv", EXPENSE_HEADER, rows), Expense) == {
        (2, "Code"),
        (3, "Amount"),
        (4, "Qty"),
        (5, "Matter"),
        (7, ""),
    }


def test_an_expense_row_with_a_bad_cell_still_names_its_unknown_matter(
    small_firm: Any, tmp_path: Path
) -> None:
    rows = [["C404-001", "someday", "E101", "1", "1", "", "Copies", ""]]
    path = write_csv(tmp_path, "e.csv", EXPENSE_HEADER, rows)
    assert refused("expenses", path, Expense) == {(2, "Date"), (2, "Matter")}
