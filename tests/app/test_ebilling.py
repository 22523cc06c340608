"""LEDES from stored invoices: the profile decides format, IDs and rules; every export is
validated by the independent validator; what cannot be expressed is refused with the reason and
nothing is written; pages and the profile are role-checked and audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils.html import escape

from lexbill import ledes
from lexbill.audit.context import acting_as
from lexbill.audit.models import AuditRecord
from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill
from lexbill.billing.models import Invoice, Prebill
from lexbill.billing.prebills import adjust_line, approve_prebill
from lexbill.core.errors import InvalidEntry, PermissionDenied
from lexbill.core.increments import hours_to_seconds
from lexbill.ebilling.export import export_invoices
from lexbill.ebilling.models import EbillingProfile
from lexbill.ebilling.services import save_profile
from lexbill.entries.services import ExpenseDraft, TimeDraft, record_expense, record_time

SHARED = Path(__file__).resolve().parents[3] / "shared"


def _invoice(f: Any, matter: Any, narrative: str = "Draft motion to compel") -> Invoice:
    record_time(
        None,
        TimeDraft(
            matter=matter,
            timekeeper=f.partner,
            work_date=date(2026, 3, 2),
            duration_seconds=hours_to_seconds("1.3"),
            narrative=narrative,
            task_code="L250",
            activity_code="A103",
        ),
    )
    record_expense(
        None,
        ExpenseDraft(
            matter=matter,
            date=date(2026, 3, 3),
            expense_code="E101",
            quantity="137",
            unit_cost="0.15",
            description="Copies of exhibits",
        ),
    )
    run = run_bill_run(None, date(2026, 3, 31))
    prebill = Prebill.objects.get(run=run, matter=matter)
    line = prebill.lines.filter(kind="time").get()
    adjust_line(None, line, Decimal("-65.00"), "Courtesy write-down")
    approve_prebill(None, prebill)
    return finalize_prebill(None, prebill)


def _parsed_total(text: str) -> Decimal:
    parsed = ledes.parse_ledes(text)
    assert parsed.report.is_valid, [str(p) for p in parsed.report.problems]
    [inv] = parsed.invoices
    return inv.total


def test_an_invoice_exports_as_valid_1998b_with_the_write_down_on_the_line(
    small_firm: Any,
) -> None:
    invoice = _invoice(small_firm, small_firm.acme_hourly, "Draft motion | “compel” — Zürich")
    result = export_invoices([invoice])
    report = ledes.validate_ledes(result.text)
    assert report.is_valid and not report.warnings, [str(p) for p in report.problems]
    assert _parsed_total(result.text) == invoice.total
    assert result.text.startswith("LEDES1998B[]")
    # the pipe, quotes, dash and umlaut were transliterated, and the export says so
    assert {c.field for c in result.changes} == {"LINE_ITEM_DESCRIPTION"}
    assert 'Draft motion / "compel" - Zurich' in result.text
    fee = next(line for line in result.text.splitlines() if "|F|" in line)
    assert "|-65.00|" in fee  # the write-down is the line's adjustment
    assert "|12-3456789|" in fee  # the firm's tax ID is the law firm ID by default


def test_a_taxed_invoice_is_refused_as_1998b_and_exports_as_98bi(small_firm: Any) -> None:
    invoice = _invoice(small_firm, small_firm.globex_flat)
    assert invoice.tax > 0
    with pytest.raises(InvalidEntry, match="cannot carry: export it as LEDES98BI"):
        export_invoices([invoice], "1998B")
    save_profile(
        None,
        small_firm.globex,
        format="98BI",
        tax_type="VAT",
        client_country="DEU",
        firm_country="US",
    )
    with pytest.raises(ledes.ExportRefused) as refused:  # Globex has no tax ID yet
        export_invoices([invoice])
    assert {p.field for p in refused.value.problems} == {"CLIENT_TAX_ID"}
    small_firm.globex.tax_id = "DE811907980"
    small_firm.globex.save()
    invoice = Invoice.objects.get(pk=invoice.pk)  # the parties were frozen at finalization
    with pytest.raises(ledes.ExportRefused):
        export_invoices([invoice])
    other = _invoice(small_firm, small_firm.globex_flat)
    result = export_invoices([other])
    parsed = ledes.parse_ledes(result.text)
    assert parsed.report.is_valid, [str(p) for p in parsed.report.problems]
    [inv] = parsed.invoices
    assert inv.total == other.total and inv.tax_total == other.tax


def test_the_profile_sets_ids_and_rules_and_a_broken_rule_refuses_the_export(
    small_firm: Any,
) -> None:
    invoice = _invoice(small_firm, small_firm.acme_hourly)
    save_profile(None, small_firm.acme, client_ledes_id="ACME-CORP", law_firm_id="HW-001")
    text = export_invoices([invoice]).text
    assert "|ACME-CORP|" in text and "|HW-001|" in text
    save_profile(
        None,
        small_firm.acme,
        invoice_number_pattern="[A-Za-z0-9]{1,10}",
        invoice_number_rule="at most 10 letters and digits",
    )
    with pytest.raises(ledes.ExportRefused) as refused:
        export_invoices([invoice])
    assert "at most 10 letters and digits" in str(refused.value)
    assert {p.field for p in refused.value.problems} == {"INVOICE_NUMBER"}


def test_profile_values_are_checked_and_changes_audited(small_firm: Any) -> None:
    with pytest.raises(InvalidEntry, match="not a LEDES timekeeper classification"):
        save_profile(None, small_firm.acme, classification_codes={"partner": "BOSS"})
    with pytest.raises(InvalidEntry, match="unknown UTBMS code set"):
        save_profile(None, small_firm.acme, task_code_sets=["tax"])
    with pytest.raises(InvalidEntry, match="not a valid pattern"):
        save_profile(None, small_firm.acme, invoice_number_pattern="([")
    assert not EbillingProfile.objects.exists()
    with pytest.raises(PermissionDenied):
        save_profile(small_firm.clara, small_firm.acme, format="98BI")
    with acting_as(small_firm.sam, "web"):
        save_profile(small_firm.sam, small_firm.acme, classification_codes={"partner": "OFCOUN"})
    record = AuditRecord.objects.get(model="ebilling.EbillingProfile", action="create")
    assert record.actor == small_firm.sam


def test_invoices_of_two_clients_never_share_a_file(small_firm: Any) -> None:
    one = _invoice(small_firm, small_firm.acme_hourly)
    two = _invoice(small_firm, small_firm.globex_flat)
    with pytest.raises(InvalidEntry, match="one client"):
        export_invoices([one, two])


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def test_the_invoice_page_downloads_ledes_or_explains_the_refusal(small_firm: Any) -> None:
    invoice = _invoice(small_firm, small_firm.acme_hourly)
    clerk = _as(small_firm.clara)
    page = clerk.get(reverse("billing:invoice-detail", args=[invoice.number]))
    assert reverse("ebilling:invoice-ledes", args=[invoice.number]) in page.text
    download = clerk.get(reverse("ebilling:invoice-ledes", args=[invoice.number]))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert ledes.validate_ledes(download.content).is_valid
    taxed = _invoice(small_firm, small_firm.globex_flat)
    refused = clerk.get(reverse("ebilling:invoice-ledes", args=[taxed.number]), {"format": "1998B"})
    assert refused.status_code == 400 and "Nothing was written" in refused.text
    assert "LEDES98BI" in refused.text
    check = clerk.get(reverse("ebilling:invoice-ledes-check", args=[taxed.number]))
    assert "Cannot be sent as LEDES" in check.text and "export it as LEDES98BI" in check.text
    narrated = _invoice(small_firm, small_firm.acme_hourly, "Call re “scope” — Zoë")
    ready = clerk.get(reverse("ebilling:invoice-ledes-check", args=[narrated.number]))
    changes = export_invoices([narrated]).changes
    assert f"Text LEDES cannot carry was changed ({len(changes)})" in ready.text
    assert all(escape(str(change)) in ready.text for change in changes)


def test_the_profile_page_saves_through_the_service(small_firm: Any) -> None:
    url = reverse("ebilling:profile", args=[small_firm.acme.pk])
    assert _as(small_firm.clara).get(url).status_code == 403
    sam = _as(small_firm.sam)
    form = {
        "format": "1998B",
        "client_ledes_id": "ACME",
        "task_code_sets": ["litigation"],
        "require_activity_code": "on",
        "require_expense_code": "on",
        "narrative_limit": "500",
        "code_partner": "partnr",
        "code_associate": "ASSOC",
    }
    bad = sam.post(url, {**form, "code_paralegal": "XX"})
    assert bad.status_code == 400 and "not a LEDES timekeeper classification" in bad.text
    assert not EbillingProfile.objects.exists()
    saved = sam.post(url, form)
    assert saved.status_code == 302
    profile = EbillingProfile.objects.get(client=small_firm.acme)
    assert (profile.client_ledes_id, profile.task_code_sets, profile.narrative_limit) == (
        "ACME",
        ["litigation"],
        500,
    )
    assert profile.classification_code("partner") == "PARTNR"
    assert profile.classification_code("paralegal") == "PARALG"  # the standard mapping


def test_the_validator_page_lists_every_problem_of_an_uploaded_file(small_firm: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    sample = SHARED / "ledes" / "samples" / "lexitree" / "ledes1998b_greedy_bad.txt"
    assert sample.exists(), f"{sample} is missing: the tests need ../shared next to the project"
    expected = ledes.validate_ledes(sample)
    response = _as(small_firm.clara).post(
        reverse("ebilling:validate"),
        {"file": SimpleUploadedFile("bad.txt", sample.read_bytes())},
    )
    assert response.status_code == 200
    assert f"{len(expected.errors)} errors" in response.text
    assert response.text.count('<tr><td class="num">') == len(expected.problems)


def test_a_matter_billed_with_one_code_set_takes_task_codes_from_it_only(
    small_firm: Any,
) -> None:
    from lexbill.clients.services import update_matter

    matter = update_matter(None, small_firm.acme_hourly, task_code_set="counseling")
    draft = TimeDraft(
        matter=matter,
        timekeeper=small_firm.partner,
        work_date=date(2026, 3, 2),
        duration_seconds=3600,
        narrative="Research on the indemnity clause",
        task_code="L120",
    )
    with pytest.raises(InvalidEntry, match="L120 is a litigation task code") as refused:
        record_time(None, draft)
    assert refused.value.field == "task_code"
    entry = record_time(None, TimeDraft(**{**draft.__dict__, "task_code": "C200"}))
    assert entry.task_code == "C200"
    with pytest.raises(InvalidEntry, match="unknown UTBMS task code set"):
        update_matter(None, matter, task_code_set="tax")


def test_the_task_code_search_offers_the_matters_code_set(small_firm: Any) -> None:
    from lexbill.clients.services import update_matter

    update_matter(None, small_firm.acme_hourly, task_code_set="counseling")
    clerk = _as(small_firm.clara)
    url = reverse("entries:code-search", args=["task"])
    anything = clerk.get(url, {"q": ""}).text
    assert 'value="L110"' in anything
    counseling = clerk.get(url, {"q": "", "matter": "C001-001 Acme v. Roadrunner"}).text
    assert 'value="C100"' in counseling and 'value="L110"' not in counseling
