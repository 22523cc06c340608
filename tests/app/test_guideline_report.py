"""Learning from the guidelines: what the checks found is kept — with the amount at risk as first
found, even after a reviewer fixed it — and reported by client, rule and timekeeper over a
period, on the page, in the CLI and in the drill-down to the pre-bills.

The report's figures are checked against the engine itself (``prebill_findings`` summed in
Python), not against the records they are made from."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lexbill import guidelines as g
from lexbill.audit.models import AuditRecord
from lexbill.billing.bill_run import AFTER_BILL_RUN, run_bill_run
from lexbill.billing.models import Prebill, PrebillLine
from lexbill.billing.prebills import approve_prebill, cancel_prebill, edit_line
from lexbill.billing.rates import set_rate
from lexbill.clients.services import open_matter
from lexbill.compliance.models import FindingOutcome, FindingRecord
from lexbill.compliance.records import (
    check_and_record,
    record_bill_run_findings,
    record_findings,
    timekeeper_shares,
)
from lexbill.compliance.report import Criteria, default_period, guideline_report, report_findings
from lexbill.compliance.services import (
    apply_certain_fixes,
    finding_key,
    import_guidelines,
    override_finding,
    prebill_findings,
)
from lexbill.core.errors import InvalidEntry, PermissionDenied
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.services import TimeDraft, record_time
from lexbill.web.templatetags.lexbill import money_text

ACME_GUIDELINES = """\
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
        max_rate: "400.00"
  - id: vague
    type: vague_narrative
    min_length: 20
  - id: attendance
    type: attendance
"""
GLOBEX_GUIDELINES = """\
format: lexbill-guidelines/1
name: Globex guidelines
client: C002
version: 1
effective_from: 2026-01-01
currency: EUR
rules:
  - id: rates
    type: rate_cap
    caps:
      - classification: PARTNR
        max_rate: "400.00"
  - id: vague
    type: vague_narrative
    min_length: 20
"""
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
APRIL = (date(2026, 4, 1), date(2026, 4, 30))
DEPOSITION = "Attend deposition of plaintiff's expert witness Dr. Smith"


def _work(matter: Any, keeper: Any, day: date, hours: str, narrative: str) -> None:
    record_time(
        None,
        TimeDraft(
            matter=matter,
            timekeeper=keeper,
            work_date=day,
            duration_seconds=hours_to_seconds(hours),
            narrative=narrative,
            task_code="L240",
            activity_code="A103",
        ),
    )


def _run(through: date) -> list[Prebill]:
    run = run_bill_run(None, through)
    return list(Prebill.objects.filter(run=run).select_related("matter__client").order_by("pk"))


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


@dataclass
class Billed:
    """Two months of bills: Acme (USD, guidelines), Globex's euro matter (EUR, guidelines)."""

    f: Any
    globex_eur: Any
    march: list[Prebill]
    april: list[Prebill]

    def prebill(self, matter: Any, month: str = "march") -> Prebill:
        return next(pb for pb in getattr(self, month) if pb.matter_id == matter.pk)


@pytest.fixture
def billed(small_firm: Any) -> Billed:
    f = small_firm
    import_guidelines(None, f.acme, ACME_GUIDELINES)
    import_guidelines(None, f.globex, GLOBEX_GUIDELINES)
    start = date(2026, 1, 1)
    globex_eur = open_matter(
        None, f.globex, "C002-002", "Globex audit", f.partner, opened_on=start, currency="EUR"
    )
    set_rate(None, "timekeeper", "450.00", start, currency="EUR", timekeeper=f.partner)
    hourly, capped = f.acme_hourly, f.acme_capped
    _work(hourly, f.partner, date(2026, 3, 2), "2", "Draft motion to dismiss the complaint")
    _work(hourly, f.associate, date(2026, 3, 3), "1", "Review file")
    for keeper in (f.partner, f.associate, f.paralegal):  # one attends; two are at risk
        _work(hourly, keeper, date(2026, 3, 4), "3", DEPOSITION)
    _work(capped, f.partner, date(2026, 3, 5), "1", "Review merger agreement draft and comment")
    _work(globex_eur, f.partner, date(2026, 3, 6), "1", "Call")
    march = _run(MARCH[1])
    _work(hourly, f.associate, date(2026, 4, 2), "1", "Review file")
    april = _run(APRIL[1])
    return Billed(f, globex_eur, march, april)


def _engine_figures(prebills: list[Prebill]) -> dict[str, dict[Any, list[Any]]]:
    """What the engine finds on these pre-bills now, summed in Python: [count, amount] by
    (client, currency), by (rule, type, currency) and by (timekeeper code, currency)."""
    figures: dict[str, dict[Any, list[Any]]] = {
        name: defaultdict(lambda: [0, Decimal(0)]) for name in ("client", "rule", "keeper", "all")
    }
    for prebill in prebills:
        result = prebill_findings(prebill)
        assert result is not None
        keeper_of = {
            str(pk): (code or "", amount + adjustment)
            for pk, code, amount, adjustment in PrebillLine.objects.filter(
                prebill=prebill
            ).values_list("pk", "timekeeper__code", "amount", "adjustment")
        }
        currency = result.currency
        for finding in result.findings:
            for name, key in (
                ("client", (prebill.matter.client.number, currency)),
                ("rule", (finding.rule_id, finding.rule_type, currency)),
                ("all", currency),
            ):
                figures[name][key][0] += 1
                figures[name][key][1] += finding.amount_at_risk
            codes = {keeper_of[i][0] for i in finding.line_ids}
            if len(codes) == 1:
                [code] = codes
                figures["keeper"][(code, currency)][0] += 1
                figures["keeper"][(code, currency)][1] += finding.amount_at_risk
                continue
            # several timekeepers (attendance): the at-risk lines are wholly at risk, so each
            # timekeeper's share is exactly their own lines' amount
            own: dict[str, Decimal] = defaultdict(Decimal)
            for line_id in finding.line_ids:
                own[keeper_of[line_id][0]] += keeper_of[line_id][1]
            assert sum(own.values()) == finding.amount_at_risk
            for code, amount in own.items():
                figures["keeper"][(code, currency)][0] += 1
                figures["keeper"][(code, currency)][1] += amount
    return figures


def _report_figures(report: Any) -> dict[str, dict[Any, list[Any]]]:
    return {
        "client": {(r.key, r.currency): [r.findings, r.amount_at_risk] for r in report.by_client},
        "rule": {
            (r.key, r.label, r.currency): [r.findings, r.amount_at_risk] for r in report.by_rule
        },
        "keeper": {
            (r.key, r.currency): [r.findings, r.amount_at_risk] for r in report.by_timekeeper
        },
        "all": {r.currency: [r.findings, r.amount_at_risk] for r in report.totals},
    }


# ---- recording --------------------------------------------------------------------------------


def test_a_bill_run_records_what_the_guidelines_find_and_nothing_for_other_clients(
    small_firm: Any,
) -> None:
    f = small_firm
    import_guidelines(None, f.acme, ACME_GUIDELINES)
    _work(f.acme_hourly, f.partner, date(2026, 3, 2), "2", "Draft motion to dismiss the complaint")
    _work(f.globex_flat, f.associate, date(2026, 3, 3), "1", "Review file")  # vague, no rules
    acme, globex = sorted(_run(MARCH[1]), key=lambda pb: pb.matter.number)
    [record] = FindingRecord.objects.all()
    line = acme.lines.get()
    assert (record.prebill_id, record.client_id, record.matter_id, record.through) == (
        acme.pk,
        f.acme.pk,
        f.acme_hourly.pk,
        MARCH[1],
    )
    assert (record.rule_id, record.rule_type, record.severity) == ("rates", "rate_cap", "block")
    assert (record.line_key, record.timekeeper, record.part) == (str(line.pk), f.partner, 1)
    assert (record.amount_at_risk, record.currency) == (Decimal("200.00"), "USD")
    assert record.outcome == FindingOutcome.OPEN and "400.00" in record.message
    assert not FindingRecord.objects.filter(prebill=globex).exists()
    event = AuditRecord.objects.get(model="billing.BillRun", summary__contains="guideline")
    assert event.after["new"] == 1
    # recording again finds nothing new and writes nothing
    assert not record_findings(acme, prebill_findings(acme)).changed
    assert FindingRecord.objects.count() == 1


def test_the_bill_run_hook_costs_one_query_when_no_client_has_guidelines(
    small_firm: Any, django_assert_num_queries: Any
) -> None:
    assert record_bill_run_findings in AFTER_BILL_RUN
    _work(small_firm.acme_hourly, small_firm.partner, date(2026, 3, 2), "2", "Review file")
    run = run_bill_run(None, MARCH[1])
    with django_assert_num_queries(1):
        assert not record_bill_run_findings(run).changed


def test_a_guideline_the_engine_refuses_does_not_stop_the_bill_run(small_firm: Any) -> None:
    f = small_firm
    import_guidelines(None, f.globex, GLOBEX_GUIDELINES)  # in EUR; the flat-fee matter bills USD
    _work(f.globex_flat, f.associate, date(2026, 3, 3), "1", "Review file")
    [prebill] = _run(MARCH[1])
    assert prebill.lines.count() == 1
    assert not FindingRecord.objects.exists()


def test_fixing_marks_the_finding_fixed_and_keeps_the_amount_found(billed: Billed) -> None:
    f = billed.f
    prebill = billed.prebill(f.acme_hourly)
    found = {r.line_key: r.amount_at_risk for r in FindingRecord.objects.filter(rule_id="rates")}
    assert apply_certain_fixes(f.sam, prebill, ["rates"]) == 2
    rates = FindingRecord.objects.filter(prebill=prebill, rule_id="rates")
    assert {r.outcome for r in rates} == {FindingOutcome.FIXED}
    assert {r.line_key: r.amount_at_risk for r in rates} == {
        k: v for k, v in found.items() if k in {r.line_key for r in rates}
    }
    assert sum(r.amount_at_risk for r in rates) == Decimal("500.00")  # 2 h and 3 h at 100 over
    others = FindingRecord.objects.filter(prebill=prebill).exclude(rule_id="rates")
    assert {r.outcome for r in others} == {FindingOutcome.OPEN}
    # the rate put back: the finding is found again, open, with the amount it first had
    line = prebill.lines.get(date=date(2026, 3, 2))
    edit_line(f.sam, line, rate="500.00")
    check_and_record(prebill)
    again = FindingRecord.objects.get(prebill=prebill, rule_id="rates", line_key=str(line.pk))
    assert (again.outcome, again.amount_at_risk) == (FindingOutcome.OPEN, Decimal("200.00"))


def test_an_override_marks_the_finding_overridden_through_approval(billed: Billed) -> None:
    f = billed.f
    prebill = billed.prebill(f.acme_capped)
    [finding] = [x for x in prebill_findings(prebill).findings if x.blocking]  # type: ignore[union-attr]
    override_finding(f.carol, prebill, *finding_key(finding), "Rate agreed for the merger")
    record = FindingRecord.objects.get(prebill=prebill, rule_id="rates")
    assert record.outcome == FindingOutcome.OVERRIDDEN
    approve_prebill(f.carol, prebill)
    record.refresh_from_db()
    assert record.outcome == FindingOutcome.OVERRIDDEN


def test_the_panel_and_approval_record_findings_nobody_recorded_before(small_firm: Any) -> None:
    f = small_firm
    _work(f.acme_hourly, f.associate, date(2026, 3, 3), "1", "Review file")
    _work(f.acme_capped, f.associate, date(2026, 3, 3), "1", "Review file")
    first, second = sorted(_run(MARCH[1]), key=lambda pb: pb.matter.number)
    import_guidelines(None, f.acme, ACME_GUIDELINES)  # after the run: nothing recorded yet
    assert not FindingRecord.objects.exists()
    panel = _as(f.carol).get(reverse("compliance:prebill-findings", args=[first.pk]))
    assert 'data-rule="vague"' in panel.text
    assert FindingRecord.objects.filter(prebill=first, rule_id="vague").count() == 1
    approve_prebill(f.carol, second)  # a warning does not block; it is recorded as billed
    record = FindingRecord.objects.get(prebill=second)
    assert (record.rule_id, record.outcome) == ("vague", FindingOutcome.OPEN)
    # an approved pre-bill keeps what it was billed with: later checks change nothing
    second.refresh_from_db()
    assert not record_findings(second, g.CheckResult((), 0, "USD")).changed


def test_a_finding_over_several_timekeepers_is_shared_by_their_lines(billed: Billed) -> None:
    f = billed.f
    prebill = billed.prebill(f.acme_hourly)
    rows = list(
        FindingRecord.objects.filter(prebill=prebill, rule_id="attendance").order_by("part")
    )
    assert [r.timekeeper for r in rows] == [f.associate, f.paralegal]
    amounts = {
        line.timekeeper_id: line.amount for line in prebill.lines.filter(date=date(2026, 3, 4))
    }
    assert [r.amount_at_risk for r in rows] == [amounts[f.associate.pk], amounts[f.paralegal.pk]]
    assert len({(r.line_key, r.message, r.outcome) for r in rows}) == 1


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(min_value=0, max_value=10**9),
    lines=st.lists(
        st.tuples(st.sampled_from([None, 1, 2, 3, 4]), st.integers(min_value=0, max_value=10**8)),
        min_size=1,
        max_size=12,
    ),
    currency=st.sampled_from(["USD", "EUR", "JPY"]),
)
def test_the_shares_of_a_finding_add_up_to_its_amount_exactly(
    amount: int, lines: list[tuple[int | None, int]], currency: str
) -> None:
    places = 0 if currency == "JPY" else 2
    at_risk = Decimal(amount).scaleb(-places)
    ids = tuple(str(i) for i in range(len(lines)))
    records = {
        i: (keeper, Decimal(cents).scaleb(-places))
        for i, (keeper, cents) in zip(ids, lines, strict=True)
    }
    finding = g.Finding("r", "attendance", g.Severity.WARN, ids, "", at_risk)
    shares = timekeeper_shares(finding, records, currency)
    keepers = list(dict.fromkeys(keeper for keeper, _ in lines))
    assert [keeper for keeper, _ in shares] == keepers
    assert sum((share for _, share in shares), Decimal(0)) == at_risk
    assert all(
        share >= 0 and share == share.quantize(Decimal(1).scaleb(-places)) for _, share in shares
    )
    weights = defaultdict(int)
    for keeper, cents in lines:
        weights[keeper] += cents
    total = sum(weights.values())
    if total and len(keepers) > 1:
        for keeper, share in shares[:-1]:  # rounded down: never more than the exact share
            exact = at_risk * weights[keeper] / total
            assert exact - Decimal(1).scaleb(-places) < share <= exact


# ---- the report -------------------------------------------------------------------------------


def test_the_report_agrees_with_the_engine_and_its_groupings_with_each_other(
    billed: Billed,
) -> None:
    prebills = billed.march + billed.april
    expected = _engine_figures(prebills)
    criteria = Criteria(start=MARCH[0], end=APRIL[1])
    report = guideline_report(billed.f.carol, criteria)
    assert _report_figures(report) == {name: dict(v) for name, v in expected.items()}
    assert {t.currency for t in report.totals} == {"USD", "EUR"}
    for total in report.totals:
        for rows in (report.by_client, report.by_rule, report.by_timekeeper):
            mine = [r for r in rows if r.currency == total.currency]
            assert sum((r.amount_at_risk for r in mine), Decimal(0)) == total.amount_at_risk
        by_finding = [r for r in report.by_client if r.currency == total.currency]
        assert sum(r.findings for r in by_finding) == total.findings
        assert total.open + total.fixed + total.overridden == total.findings

    # fixed afterwards: the same money at risk, now counted as fixed
    f = billed.f
    apply_certain_fixes(f.sam, billed.prebill(f.acme_hourly), ["rates"])
    after = guideline_report(f.carol, criteria)
    assert [(t.currency, t.findings, t.amount_at_risk) for t in after.totals] == [
        (t.currency, t.findings, t.amount_at_risk) for t in report.totals
    ]
    [rates] = [r for r in after.by_rule if r.key == "rates" and r.currency == "USD"]
    assert (rates.findings, rates.fixed, rates.open) == (3, 2, 1)


def test_the_period_and_the_filters(billed: Billed) -> None:
    f = billed.f
    march = guideline_report(f.carol, Criteria(*MARCH))
    assert {r.key for r in march.by_rule} == {"rates", "vague", "attendance"}
    april = guideline_report(f.carol, Criteria(*APRIL))
    assert [(r.key, r.findings, r.amount_at_risk) for r in april.by_rule] == [
        ("vague", 1, Decimal("300.00"))
    ]
    acme = guideline_report(f.carol, Criteria(*MARCH, client_id=f.acme.pk))
    assert {t.currency for t in acme.totals} == {"USD"} and [r.key for r in acme.by_client] == [
        "C001"
    ]
    vague = guideline_report(f.carol, Criteria(MARCH[0], APRIL[1], rule_id="vague"))
    assert {(t.currency, t.findings) for t in vague.totals} == {("USD", 2), ("EUR", 1)}
    # a timekeeper's share of each finding they are in
    keeper = guideline_report(f.carol, Criteria(*MARCH, timekeeper_id=f.associate.pk))
    [row] = keeper.by_timekeeper
    [same] = [r for r in march.by_timekeeper if r.key == "AL"]
    assert (row.findings, row.amount_at_risk) == (same.findings, same.amount_at_risk)
    assert keeper.totals[0].amount_at_risk == row.amount_at_risk
    with pytest.raises(InvalidEntry, match="ends"):
        Criteria(APRIL[1], MARCH[0])
    with pytest.raises(PermissionDenied):
        guideline_report(f.clara, Criteria(*MARCH))
    assert default_period(date(2026, 12, 4)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert default_period(date(2026, 1, 31)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_the_findings_behind_a_row_add_up_to_it(billed: Billed) -> None:
    f = billed.f
    report = guideline_report(f.carol, Criteria(*MARCH))
    for row in report.by_client:
        client = f.acme if row.key == "C001" else f.globex
        listed, total = report_findings(
            f.carol, Criteria(*MARCH, client_id=client.pk, currency=row.currency)
        )
        assert total == row.findings == len(listed)
        assert sum(x.amount_at_risk for x in listed) == row.amount_at_risk
    for row in report.by_timekeeper:
        keeper = {"PW": f.partner, "AL": f.associate, "PJ": f.paralegal}[row.key]
        listed, total = report_findings(
            f.carol, Criteria(*MARCH, timekeeper_id=keeper.pk, currency=row.currency)
        )
        assert total == row.findings
        assert sum(x.amount_at_risk for x in listed) == row.amount_at_risk
    [attendance] = report_findings(f.carol, Criteria(*MARCH, rule_id="attendance"))[0]
    assert attendance.timekeepers == ["AL", "PJ"]
    assert attendance.prebill_id == billed.prebill(f.acme_hourly).pk
    limited, total = report_findings(f.carol, Criteria(*MARCH), limit=2)
    assert len(limited) == 2 and total == sum(t.findings for t in report.totals)


def test_a_cancelled_pre_bill_is_left_out_and_its_work_counted_once_rebilled(
    billed: Billed,
) -> None:
    f = billed.f
    cancel_prebill(f.sam, billed.prebill(f.acme_hourly, "april"))
    assert not guideline_report(f.carol, Criteria(*APRIL)).totals
    _run(APRIL[1])
    [row] = guideline_report(f.carol, Criteria(*APRIL)).by_rule
    assert (row.key, row.findings) == ("vague", 1)


# ---- the page and the CLI -------------------------------------------------------------------


def test_the_report_page_is_for_the_billing_office(billed: Billed) -> None:
    f = billed.f
    url = reverse("compliance:guideline-report")
    query = {"start": MARCH[0].isoformat(), "end": MARCH[1].isoformat()}
    for user in (f.clara, f.pat):
        refused = _as(user).get(url, query)
        assert refused.status_code == 403 and "may not view billing reports" in refused.text
        assert 'href="/reports/"' not in _as(user).get("/").text  # no Reports in the navigation
    page = _as(f.carol).get(url, query)
    assert page.status_code == 200
    text = page.text
    assert 'href="/reports/"' in text  # the navigation offers the reports
    assert 'href="/reports/guidelines/"' in _as(f.carol).get("/reports/").text  # listed there
    for section in ("by-client", "by-rule", "by-timekeeper"):
        assert f'id="{section}"' in text
    report = guideline_report(f.carol, Criteria(*MARCH))
    for row in report.by_client:  # Globex's euro findings in euros, never added to dollars
        assert money_text(row.amount_at_risk, row.currency) in text
    assert money_text(Decimal("2250.00"), "USD") in text  # 600 over the rate, 300 vague, 1350
    assert 'data-key="attendance"' in text and 'data-key="AL"' in text
    drill = text.split('data-key="C001"')[1].split('href="')[1].split('"')[0].replace("&amp;", "&")
    listed = _as(f.sam).get(drill)
    assert listed.status_code == 200
    prebill = billed.prebill(f.acme_hourly)
    assert f'href="/prebills/{prebill.pk}/"' in listed.text
    assert 'data-rule="attendance"' in listed.text and "Globex" not in listed.text
    bad = _as(f.carol).get(url, {"start": "2026-03-31", "end": "2026-03-01", "client": "X9"})
    assert bad.status_code == 400 and "no client numbered X9" in bad.text


def test_the_report_page_defaults_to_last_month(billed: Billed) -> None:
    page = _as(billed.f.alice).get(reverse("compliance:guideline-report"))
    assert page.status_code == 200
    first, last = default_period(timezone.localdate())
    assert (
        f'value="{first.isoformat()}"' in page.text and f'value="{last.isoformat()}"' in page.text
    )


def test_the_cli_reports_as_json_with_amounts_as_strings(billed: Billed) -> None:
    from lexbill.cli import app

    runner = CliRunner()
    args = ["guidelines", "report", "--from", "2026-03-01", "--to", "2026-03-31"]
    done = runner.invoke(app, [*args, "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    report = guideline_report(None, Criteria(*MARCH))
    assert data["from"] == "2026-03-01" and data["to"] == "2026-03-31"
    assert data["totals"] == [r.as_dict() for r in report.totals]
    assert data["by_rule"] == [r.as_dict() for r in report.by_rule]
    assert all(isinstance(r["amount_at_risk"], str) for r in data["by_timekeeper"])
    only = json.loads(
        runner.invoke(app, [*args, "--client", "C002", "--by", "client", "--json"]).stdout
    )
    assert set(only) == {"from", "to", "totals", "by_client"}
    assert [(r["key"], r["currency"]) for r in only["by_client"]] == [("C002", "EUR")]
    table = runner.invoke(app, [*args, "--by", "timekeeper"])
    assert table.exit_code == 0 and "By timekeeper" in table.stdout and "Ann Lee" in table.stdout
    refused = runner.invoke(app, ["--user", "clara", *args])
    assert refused.exit_code == 1 and "may not view billing reports" in refused.output
    wrong = runner.invoke(app, [*args, "--by", "matter"])
    assert wrong.exit_code == 1
