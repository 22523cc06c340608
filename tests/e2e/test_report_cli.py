"""``lexbill report NAME`` end to end, on a fresh database of the engine under test: a firm
billed through the services (tests/app/reports_billed_firm.py) in a separate process, then the
billed report from the command line, checked against the invoices and against the page."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from tests.e2e.test_cli_cycle import LEXBILL, cli_env, run, run_json

from lexbill.billing.formatting import format_amount

pytestmark = pytest.mark.e2e
__all__ = ["cli_env"]  # the fixture, shared with the billing-cycle test
ROOT = Path(__file__).resolve().parents[2]

# Builds the small firm of tests/conftest.py and bills it as the app tests do; prints the
# expected totals of 2026 per currency, recomputed in plain Python over the invoices.
SEED = """
import json, os
from datetime import date
from decimal import Decimal
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lexbill.settings")
django.setup()
from lexbill.billing.rates import set_rate
from lexbill.clients.services import create_client, open_matter
from lexbill.core.periods import year
from lexbill.firm.services import configure_firm, create_timekeeper, create_user
from tests.conftest import SmallFirm
from tests.app.reports_billed_firm import build_billed_firm, expected_rows, expected_totals

configure_firm(None, name="Hale & Ward LLP", address="1 Main St")
pw = "correct horse battery staple"
users = {name: create_user(None, name, pw, role) for name, role in (
    ("alice", "admin"), ("carol", "coordinator"), ("sam", "specialist"), ("clara", "clerk"),
    ("pat", "attorney"))}
partner = create_timekeeper(None, "PW", "Pat", "Ward", "partner", user=users["pat"])
associate = create_timekeeper(None, "AL", "Ann", "Lee", "associate")
paralegal = create_timekeeper(None, "PJ", "Paul", "Jones", "paralegal")
start = date(2026, 1, 1)
set_rate(None, "timekeeper", "500.00", start, timekeeper=partner)
set_rate(None, "timekeeper", "300.00", start, timekeeper=associate)
set_rate(None, "classification", "150.00", start, classification="paralegal")
acme = create_client(None, "C001", "Acme Corp")
globex = create_client(None, "C002", "Globex GmbH", tax_rate_percent=Decimal("19"), tax_label="VAT")
f = SmallFirm(
    None, users["alice"], users["carol"], users["sam"], users["clara"], users["pat"],
    partner, associate, paralegal, acme, globex,
    open_matter(None, acme, "C001-001", "Acme v. Roadrunner", partner, opened_on=start),
    open_matter(None, acme, "C001-002", "Acme merger", partner, opened_on=start,
                arrangement="capped", fee_cap="1000.00"),
    open_matter(None, globex, "C002-001", "Globex lease", partner, opened_on=start,
                arrangement="flat_fee", flat_fee="2500.00"),
)
build_billed_firm(f)
out = {}
for by in ("client", "timekeeper"):
    totals = expected_totals(expected_rows(year(2026), by))
    out[by] = {c: {k: str(v) if k != "invoices" else len(v) for k, v in t.items()}
               for c, t in totals.items()}
print(json.dumps(out))
"""

# The page, as a billing specialist sees it: each headline figure's text, and the CSV download.
PAGE = """
import json, os, re, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lexbill.settings")
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
from lexbill.firm.models import User
setup_test_environment()
client = Client()
client.force_login(User.objects.get(username="sam"))
query = json.loads(sys.argv[1])
page = client.get("/reports/standard/billed/", query)
assert page.status_code == 200, page.status_code
figures = re.findall(
    r'data-key="([^"]+)" data-currency="([^"]*)"><dt>[^<]*</dt><dd>([^<]*)</dd>', page.text)
download = client.get("/reports/standard/billed/", {**query, "format": "csv"})
print(json.dumps({"figures": figures, "csv": download.content.decode("utf-8-sig")}))
"""


def _python(env: dict[str, str], script: str, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _refused(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*LEXBILL, *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode != 0, f"lexbill {' '.join(args)} succeeded:\n{done.stdout}"
    assert done.stdout == ""
    return done


def _totals(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (table,) = report["tables"]
    return {
        t["currency"]: {k: v for k, v in t.items() if k not in ("key", "name", "currency")}
        for t in table["totals"]
    }


@pytest.fixture
def seeded(cli_env: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    run(cli_env, "setup")
    return cli_env, _python(cli_env, SEED)


def test_billed_report_from_the_command_line(
    seeded: tuple[dict[str, str], dict[str, Any]], tmp_path: Path
) -> None:
    env, expected = seeded
    for by in ("client", "timekeeper"):
        report = run_json(env, "--user", "sam", "report", "billed", "--period", "2026", "--by", by)
        assert report["period"] == {"from": "2026-01-01", "to": "2026-12-31", "label": "2026"}
        assert report["group_by"] == by
        assert _totals(report) == expected[by], by

    report = run_json(env, "report", "billed", "--period", "2026")
    page = _python(env, PAGE, json.dumps({"period": "2026"}))
    assert page["figures"] and len(page["figures"]) == len(report["figures"])
    for figure, (key, currency, text) in zip(report["figures"], page["figures"], strict=True):
        assert (figure["key"], figure["currency"]) == (key, currency)
        assert text == f"{currency} {format_amount(Decimal(figure['value']), currency)}"
    lines = list(csv.reader(io.StringIO(page["csv"])))
    page_totals = {ln[2]: Decimal(ln[8]) for ln in lines if ln and ln[0] == "Total"}
    assert page_totals == {c: Decimal(t["total"]) for c, t in _totals(report).items()}

    narrowed = run_json(
        env, "report", "billed", "--from", "2026-01-01", "--to", "2026-03-31",
        "--client", "C001", "--client", "C002", "--timekeeper", "AL", "--by", "matter",
    )  # fmt: skip
    assert narrowed["filters"] == {"clients": ["C001", "C002"], "timekeepers": ["AL"]}
    assert {r["key"] for r in narrowed["tables"][0]["rows"]} <= {"C001-001", "C002-002"}

    sheet, sheet_csv, pdf = tmp_path / "b.xlsx", tmp_path / "b.csv", tmp_path / "b.pdf"
    said = run(
        env, "report", "billed", "--period", "2026", "--xlsx", str(sheet), "--csv",
        str(sheet_csv), "--pdf", str(pdf),
    )  # fmt: skip
    assert "wrote" in said and str(sheet) in said
    book = load_workbook(sheet)
    ws = book["Billed by client"]
    total_rows = [r for r in ws.iter_rows() if r[0].value == "Total"]
    assert {r[2].value: Decimal(str(r[8].value)) for r in total_rows} == {
        c: Decimal(t["total"]) for c, t in expected["client"].items()
    }
    assert all("USD" in r[8].number_format or "EUR" in r[8].number_format for r in total_rows)
    parsed = list(csv.reader(io.StringIO(sheet_csv.read_text(encoding="utf-8-sig"))))
    assert {ln[2]: Decimal(ln[8]) for ln in parsed if ln and ln[0] == "Total"} == {
        c: Decimal(t["total"]) for c, t in expected["client"].items()
    }
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert len(PdfReader(pdf).pages) >= 1

    default = run_json(env, "report", "billed")["period"]  # no period: last month, as the page
    first, last = date.fromisoformat(default["from"]), date.fromisoformat(default["to"])
    assert first.day == 1 and (last + timedelta(days=1)).day == 1 and first.month == last.month
    today = datetime.now(UTC).date()  # the firm's local date is within a day of it
    assert last - timedelta(days=1) < today <= last + timedelta(days=33)

    table = run(env, "report", "billed", "--period", "2026")
    assert "Billed by client" in table and "Acme Corp" in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nonesuch", "--period", "2026"), "No such command"),
        (("billed", "--period", "2026-13"), "there is no month 13"),
        (("billed", "--period", "2026", "--from", "2026-01-01"), "not both"),
        (("billed", "--from", "2026-03-01", "--to", "2026-02-01"), "before it starts"),
        (("billed", "--period", "2026", "--client", "C999"), "no client C999"),
        (("billed", "--period", "2026", "--by", "partner"), "groups by"),
    ],
)
def test_mistakes_exit_non_zero_with_a_clear_message(
    seeded: tuple[dict[str, str], dict[str, Any]], args: tuple[str, ...], message: str
) -> None:
    env, _ = seeded
    done = _refused(env, "report", *args)
    assert message in " ".join(done.stderr.split())


def test_an_attorney_may_not_run_reports(seeded: tuple[dict[str, str], dict[str, Any]]) -> None:
    env, _ = seeded
    done = _refused(env, "--user", "pat", "report", "billed", "--period", "2026", "--json")
    assert "may not view billing reports" in done.stderr


def test_every_standard_report_is_registered_and_every_registered_one_is_standard() -> None:
    """The command line lists names.STANDARD_REPORTS before Django starts; the pages list the
    registry. Both must name the same reports."""
    from lexbill.reports.names import STANDARD_REPORTS
    from lexbill.reports.registry import all_reports

    standard = [name for name, _ in STANDARD_REPORTS]
    registered = [spec.name for spec in all_reports()]
    missing = [name for name in standard if name not in registered]
    unlisted = [name for name in registered if name not in standard]
    assert not missing, f"in names.STANDARD_REPORTS but not registered: {', '.join(missing)}"
    assert not unlisted, f"registered but not in names.STANDARD_REPORTS: {', '.join(unlisted)}"
    assert len(set(standard)) == len(standard), "a name is listed twice"
