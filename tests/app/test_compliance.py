"""A client's billing guidelines in the cycle: versions imported from YAML, pre-bills checked,
approval blocked until each blocking finding is fixed (a write-down naming the rule) or
overridden with an audited reason; a LEDES file from anywhere checked before submission."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lexbill.audit.context import acting_as
from lexbill.audit.models import AuditRecord
from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.invoicing import finalize_prebill
from lexbill.billing.models import Prebill, PrebillStatus
from lexbill.billing.prebills import approve_prebill, prebill_figures
from lexbill.compliance.ledes_check import check_ledes_file
from lexbill.compliance.models import FindingOverride, GuidelineVersion
from lexbill.compliance.services import (
    apply_certain_fixes,
    export_guidelines,
    finding_key,
    import_guidelines,
    override_finding,
    prebill_findings,
)
from lexbill.core.errors import InvalidEntry, InvalidTransition, LexbillError, PermissionDenied
from lexbill.core.increments import hours_to_seconds
from lexbill.ebilling.export import export_invoices
from lexbill.entries.services import TimeDraft, record_time

CAP = Decimal("400.00")
GUIDELINES = f"""\
format: lexbill-guidelines/1
name: Acme outside counsel guidelines
client: C001
version: 1
effective_from: 2026-01-01
currency: USD
rules:
  - id: rates
    type: rate_cap
    severity: block
    caps:
      - classification: PARTNR
        max_rate: "{CAP}"
  - id: vague
    type: vague_narrative
    min_length: 20
"""


@pytest.fixture
def acme_guidelines(small_firm: Any) -> GuidelineVersion:
    return import_guidelines(None, small_firm.acme, GUIDELINES)


def _prebill(f: Any, narrative: str = "Draft motion to dismiss the complaint") -> Prebill:
    record_time(
        None,
        TimeDraft(
            matter=f.acme_hourly,
            timekeeper=f.partner,  # billed at 500.00 an hour, over the 400.00 cap
            work_date=date(2026, 3, 2),
            duration_seconds=hours_to_seconds("2"),
            narrative=narrative,
            task_code="L240",
            activity_code="A103",
        ),
    )
    run = run_bill_run(None, date(2026, 3, 31))
    return Prebill.objects.get(run=run)


def test_a_version_is_imported_checked_and_exported_as_written(small_firm: Any) -> None:
    version = import_guidelines(None, small_firm.acme, GUIDELINES)
    assert (version.version, version.name) == (1, "Acme outside counsel guidelines")
    assert export_guidelines(small_firm.acme) == GUIDELINES
    with pytest.raises(InvalidEntry, match="version 1 of C001's guidelines exists"):
        import_guidelines(None, small_firm.acme, GUIDELINES)
    with pytest.raises(InvalidEntry, match="is for client 'C001', not C002"):
        import_guidelines(None, small_firm.globex, GUIDELINES)
    broken = GUIDELINES.replace("version: 1", "version: 2").replace(f'"{CAP}"', '"four hundred"')
    with pytest.raises(LexbillError, match="rates") as refused:
        import_guidelines(None, small_firm.acme, broken)
    assert "max_rate" in str(refused.value)
    assert GuidelineVersion.objects.count() == 1
    with pytest.raises(PermissionDenied):
        import_guidelines(
            small_firm.clara, small_firm.acme, GUIDELINES.replace("version: 1", "version: 3")
        )


def test_a_rate_over_the_cap_blocks_approval_until_the_certain_fix(
    small_firm: Any, acme_guidelines: GuidelineVersion
) -> None:
    prebill = _prebill(small_firm)
    result = prebill_findings(prebill)
    assert result is not None
    [finding] = result.findings
    line = prebill.lines.get()
    assert (finding.rule_id, finding.line_ids, finding.blocking) == ("rates", (str(line.pk),), True)
    over = line.amount - CAP * 2
    assert finding.amount_at_risk == over
    with pytest.raises(InvalidTransition, match="breaks Acme Corp's billing guidelines"):
        approve_prebill(small_firm.carol, prebill)
    assert Prebill.objects.get(pk=prebill.pk).status == PrebillStatus.DRAFT

    assert apply_certain_fixes(small_firm.sam, prebill) == 1
    line.refresh_from_db()
    # the rate the client's system compares is capped, and the pre-bill says what was changed
    assert (line.rate, line.amount, line.adjustment) == (CAP, CAP * 2, 0)
    assert line.rate_source == "guideline rates"
    note = prebill.comments.get(action="comment")
    assert (
        note.text.startswith("Billing guideline fixes applied")
        and finding.fixes[0].reason in note.text
    )
    assert prebill_findings(prebill).findings == ()  # type: ignore[union-attr]
    approve_prebill(small_firm.carol, prebill)
    assert prebill_figures(prebill).totals.total == CAP * 2


def test_an_override_with_a_reason_lets_the_pre_bill_through_and_is_audited(
    small_firm: Any, acme_guidelines: GuidelineVersion
) -> None:
    prebill = _prebill(small_firm)
    [finding] = prebill_findings(prebill).findings  # type: ignore[union-attr]
    rule_id, line_key = finding_key(finding)
    with pytest.raises(PermissionDenied):
        override_finding(small_firm.clara, prebill, rule_id, line_key, "Because")
    with pytest.raises(InvalidEntry, match="say why"):
        override_finding(small_firm.carol, prebill, rule_id, line_key, " ")
    with acting_as(small_firm.carol, "web"):
        override_finding(small_firm.carol, prebill, rule_id, line_key, "Rate agreed for 2026")
    record = AuditRecord.objects.get(model="compliance.FindingOverride", action="create")
    assert record.actor == small_firm.carol
    approve_prebill(small_firm.carol, prebill)
    assert FindingOverride.objects.get().reason == "Rate agreed for 2026"
    assert prebill_figures(prebill).totals.total == prebill.lines.get().amount  # billed as it stood


def test_a_client_without_guidelines_is_not_checked(small_firm: Any) -> None:
    prebill = _prebill(small_firm)
    assert prebill_findings(prebill) is None
    approve_prebill(small_firm.carol, prebill)


def test_a_vague_narrative_is_a_warning_that_does_not_block(
    small_firm: Any, acme_guidelines: GuidelineVersion
) -> None:
    prebill = _prebill(small_firm, narrative="Review file")
    result = prebill_findings(prebill)
    assert result is not None
    assert {f.rule_id for f in result.warnings} == {"vague"}
    assert {f.rule_id for f in result.blocking} == {"rates"}


def test_a_ledes_file_is_checked_against_the_guidelines(
    small_firm: Any, acme_guidelines: GuidelineVersion, tmp_path: Path
) -> None:
    prebill = _prebill(small_firm)
    override_finding(small_firm.carol, prebill, "rates", str(prebill.lines.get().pk), "Agreed")
    approve_prebill(small_firm.carol, prebill)
    invoice = finalize_prebill(small_firm.sam, prebill)
    path = tmp_path / "acme.txt"
    path.write_text(export_invoices([invoice]).text)
    result = check_ledes_file(path, small_firm.acme)
    [finding] = result.findings
    assert finding.rule_id == "rates" and finding.blocking
    broken = tmp_path / "broken.txt"
    broken.write_text(path.read_text().replace("LEDES1998B[]", "LEDES1998X[]"))
    with pytest.raises(InvalidEntry, match="is not valid LEDES"):
        check_ledes_file(broken, small_firm.acme)


def _as(user: Any) -> Any:
    from django.test import Client as HttpClient

    client = HttpClient()
    client.force_login(user)
    return client


def test_the_findings_panel_overrides_and_fixes_through_the_pages(
    small_firm: Any, acme_guidelines: GuidelineVersion
) -> None:
    from django.urls import reverse

    prebill = _prebill(small_firm)
    line = prebill.lines.get()
    carol = _as(small_firm.carol)
    panel = carol.get(reverse("compliance:prebill-findings", args=[prebill.pk])).text
    assert "1 blocking approval" in panel and 'data-rule="rates"' in panel
    refused = carol.post(reverse("billing:prebill-approve", args=[prebill.pk]), {"comment": ""})
    assert refused.status_code == 400 and "billing guidelines" in refused.text
    clerk = _as(small_firm.clara).post(
        reverse("compliance:prebill-override", args=[prebill.pk]),
        {"rule_id": "rates", "line_key": str(line.pk), "reason": "Agreed"},
    )
    assert "may not approve a pre-bill" in clerk.text
    assert not FindingOverride.objects.exists()
    fixed = _as(small_firm.sam).post(
        reverse("compliance:prebill-fix", args=[prebill.pk]), {"rule_id": "rates"}
    )
    assert fixed.status_code == 204 and fixed["HX-Redirect"].endswith(f"/prebills/{prebill.pk}/")
    line.refresh_from_db()
    assert line.rate == CAP
    after = carol.get(reverse("compliance:prebill-findings", args=[prebill.pk])).text
    assert "No finding" in after
    approved = carol.post(reverse("billing:prebill-approve", args=[prebill.pk]), {"comment": ""})
    assert approved.status_code == 302


def test_the_entry_form_warns_while_typing(
    small_firm: Any, acme_guidelines: GuidelineVersion
) -> None:
    from django.urls import reverse

    url = reverse("compliance:entry-warnings")
    clara = _as(small_firm.clara)
    base = {"matter": "C001-001", "timekeeper": small_firm.partner.pk, "hours": "1"}
    vague = clara.post(url, {**base, "narrative": "Review file"}).text
    assert "vague" in vague
    clear = clara.post(url, {**base, "narrative": "Draft reply brief on the motion to compel"}).text
    assert "vague" not in clear
    elsewhere = clara.post(url, {**base, "matter": "C002-001", "narrative": "Review file"}).text
    assert "<li" not in elsewhere  # Globex has no guidelines


def test_the_client_guidelines_page_imports_a_version(small_firm: Any) -> None:
    from django.urls import reverse

    url = reverse("compliance:client-guidelines", args=[small_firm.acme.pk])
    assert _as(small_firm.clara).get(url).status_code == 403
    sam = _as(small_firm.sam)
    bad = sam.post(url, {"text": GUIDELINES.replace(f'"{CAP}"', '"lots"')})
    assert bad.status_code == 400 and "max_rate" in bad.text
    assert not GuidelineVersion.objects.exists()
    assert sam.post(url, {"text": GUIDELINES}).status_code == 302
    page = sam.get(url).text
    assert "Acme outside counsel guidelines" in page and "version 1" in page
