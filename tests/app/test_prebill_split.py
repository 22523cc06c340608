"""Splitting a block-billed line into the entries a reviewer confirms: the service (parts add up
to the line in minutes, seconds, amount and write-down, so the pre-bill bills the same), its
refusals by field and part, the audit trail, the page the guideline findings link to, and the
``lexbill prebill split`` command."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client as HttpClient
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lexbill import guidelines as g
from lexbill.audit.context import acting_as
from lexbill.audit.models import AuditRecord
from lexbill.billing.bill_run import run_bill_run
from lexbill.billing.models import LineKind, Prebill, PrebillLine, PrebillStatus
from lexbill.billing.prebills import (
    SplitPart,
    adjust_line,
    approve_prebill,
    edit_line,
    prebill_figures,
    split_prebill_line,
)
from lexbill.cli import app as cli_app
from lexbill.compliance.services import import_guidelines, override_finding, prebill_findings
from lexbill.core.errors import InvalidEntry, InvalidTransition, PermissionDenied
from lexbill.core.increments import hours_to_seconds
from lexbill.entries.models import BillingState, TimeEntry
from lexbill.entries.services import ExpenseDraft, TimeDraft, record_expense, record_time
from lexbill.firm.services import create_timekeeper, create_user

D = Decimal
BLOCK = "Review file; draft motion to compel, and call client regarding deposition"
PROPOSED = ["Review file", "Draft motion to compel", "Call client regarding deposition"]
GUIDELINES = """\
format: lexbill-guidelines/1
name: Acme block billing
client: C001
version: 1
effective_from: 2026-01-01
currency: USD
rules:
  - id: blocks
    type: block_billing
"""


def _work(f: Any, matter: Any, narrative: str = BLOCK, hours: str = "2") -> TimeEntry:
    return record_time(
        f.clara,
        TimeDraft(
            matter,
            f.partner,  # 500.00 an hour
            date(2026, 3, 2),
            hours_to_seconds(hours) - 17,  # raw seconds off the increment, shared out too
            narrative,
            task_code="L240",
            activity_code="A103",
        ),
    )


@pytest.fixture
def block(small_firm: Any) -> PrebillLine:
    """A pre-bill of Acme with a block-billed 2 h line and an expense, under guidelines that
    flag block billing."""
    f = small_firm
    import_guidelines(None, f.acme, GUIDELINES)
    _work(f, f.acme_hourly)
    record_expense(
        f.clara, ExpenseDraft(f.acme_hourly, date(2026, 3, 4), "E101", "100", "0.10", "Copies")
    )
    prebill = Prebill.objects.get(run=run_bill_run(f.sam, date(2026, 3, 31)))
    return prebill.lines.get(kind=LineKind.TIME)


def _proposal(line: PrebillLine) -> g.Fix:
    result = prebill_findings(line.prebill)
    assert result is not None
    [finding] = [f for f in result.findings if f.rule_id == "blocks"]
    [fix] = finding.fixes
    assert fix.kind is g.FixKind.SPLIT
    return fix


def _state(line: PrebillLine) -> tuple[Any, ...]:
    """Everything a refused split must leave as it was."""
    prebill = line.prebill
    return (
        list(prebill.lines.values_list("pk", "minutes", "narrative", "amount", "adjustment")),
        list(TimeEntry.objects.values_list("pk", "billed_minutes", "duration_seconds")),
        prebill.comments.count(),
        prebill_figures(prebill).totals,
    )


# ---- the service -----------------------------------------------------------------------------


def test_a_block_billed_entry_is_split_as_the_guidelines_propose(
    small_firm: Any, block: PrebillLine
) -> None:
    f = small_firm
    prebill = block.prebill
    before = prebill_figures(prebill).totals
    entry = block.time_entry
    assert entry is not None
    fix = _proposal(block)
    assert [p.narrative for p in fix.proposed_lines] == PROPOSED
    parts = [SplitPart(p.minutes, p.narrative) for p in fix.proposed_lines]

    lines = split_prebill_line(f.clara, block, parts)

    assert lines[0].pk == block.pk  # the original line is the first part
    assert [(line.minutes, line.narrative) for line in lines] == [
        (42, PROPOSED[0]),
        (42, PROPOSED[1]),
        (36, PROPOSED[2]),
    ]
    assert [line.amount for line in lines] == [D("350.00"), D("350.00"), D("300.00")]
    assert {
        (line.rate, line.rate_source, line.task_code, line.activity_code) for line in lines
    } == {(block.rate, block.rate_source, "L240", "A103")}
    assert prebill_figures(prebill).totals == before

    # the time entry is split too: the original is the first part, new entries the others
    entries = list(TimeEntry.objects.filter(pk__in=[line.time_entry_id for line in lines]))
    entries.sort(key=lambda e: [line.time_entry_id for line in lines].index(e.pk))
    assert entries[0].pk == entry.pk
    assert [e.billed_minutes for e in entries] == [42, 42, 36]
    assert sum(e.duration_seconds for e in entries) == entry.duration_seconds == 7183
    assert [e.narrative for e in entries] == PROPOSED
    assert {e.state for e in entries} == {BillingState.PREBILLED}
    assert {(e.matter_id, e.timekeeper_id, e.work_date, e.billable) for e in entries} == {
        (entry.matter_id, entry.timekeeper_id, entry.work_date, entry.billable)
    }
    assert [e.created_by_id for e in entries[1:]] == [f.clara.pk, f.clara.pk]
    # recorded when the original was, so the parts are not flagged as time entered late
    assert {e.created_at for e in entries} == {entry.created_at}

    result = prebill_findings(prebill)
    assert result is not None and not [x for x in result.findings if x.rule_id == "blocks"]
    note = prebill.comments.get()
    assert note.author == f.clara
    assert note.text.startswith("Line of March 2, 2026 (PW) split into 3 entries")
    assert "0.70 h Draft motion to compel" in note.text


def test_the_split_is_in_the_audit_trail_under_the_actor(
    small_firm: Any, block: PrebillLine
) -> None:
    f = small_firm
    parts = [SplitPart(60, "Draft motion to compel"), SplitPart(60, "Call client re schedule")]
    with acting_as(f.clara, "web"):
        lines = split_prebill_line(f.clara, block, parts)
    event = AuditRecord.objects.get(action="event", model="billing.PrebillLine")
    assert (event.object_id, event.actor, event.channel) == (str(block.pk), f.clara, "web")
    assert event.summary == "Line of March 2, 2026 (PW) split into 2 entries"
    assert event.after is not None
    assert event.after["lines"] == [line.pk for line in lines]
    assert event.after["before"] == {"minutes": 120, "narrative": BLOCK}
    assert event.after["minutes"] == [60, 60]
    created = AuditRecord.objects.get(
        action="create", model="billing.PrebillLine", object_id=str(lines[1].pk)
    )
    assert created.actor == f.clara and created.after is not None
    assert created.after["narrative"] == "Call client re schedule"
    changed = AuditRecord.objects.get(
        action="update", model="billing.PrebillLine", object_id=str(block.pk)
    )
    assert changed.changed_fields()["minutes"] == (120, 60)
    assert AuditRecord.objects.filter(
        action="create", model="entries.TimeEntry", object_id=str(lines[1].time_entry_id)
    ).exists()


def test_an_actor_is_recorded_even_when_the_caller_set_no_context(
    small_firm: Any, block: PrebillLine
) -> None:
    split_prebill_line(small_firm.sam, block, [SplitPart(90, "Draft"), SplitPart(30, "Call")])
    event = AuditRecord.objects.get(action="event", model="billing.PrebillLine")
    assert event.actor == small_firm.sam


def test_a_write_down_is_shared_out_with_its_reason(small_firm: Any, block: PrebillLine) -> None:
    prebill = block.prebill
    adjust_line(None, block, "-100.01", "courtesy discount")
    before = prebill_figures(prebill).totals
    parts = [SplitPart(42, "Draft"), SplitPart(42, "Revise"), SplitPart(36, "Call")]
    lines = split_prebill_line(None, block, parts)
    assert [line.adjustment for line in lines] == [D("-35.00"), D("-35.01"), D("-30.00")]
    assert sum(line.adjustment for line in lines) == D("-100.01")
    assert {line.adjustment_reason for line in lines} == {"courtesy discount"}
    assert prebill_figures(prebill).totals == before


@pytest.mark.parametrize(
    ("parts", "field", "words"),
    [
        ([(120, "Draft motion")], "parts", "at least two parts"),
        ([(120, "Draft motion"), (0, "Call client")], "minutes", "part 2: the hours must be"),
        ([(60, "Draft motion"), (60, "  ")], "narrative", "part 2: a narrative is required"),
        ([(60, "Draft motion"), (54, "Call client")], "minutes", "the parts come to 1.90 h"),
        ([(60, "Draft motion"), (66, "Call client")], "minutes", "line bills 2.00 h"),
    ],
)
def test_bad_parts_are_refused_by_field_and_part_and_change_nothing(
    small_firm: Any, block: PrebillLine, parts: list[tuple[int, str]], field: str, words: str
) -> None:
    before = _state(block)
    with pytest.raises(InvalidEntry, match=re.escape(words)) as refused:
        split_prebill_line(small_firm.clara, block, [SplitPart(m, n) for m, n in parts])
    assert refused.value.field == field
    if "part 2" in words:
        assert refused.value.line == 2
    assert _state(block) == before


def test_unknown_codes_are_refused_naming_the_code_field_and_part(
    small_firm: Any, block: PrebillLine
) -> None:
    before = _state(block)
    parts = [SplitPart(60, "Draft"), SplitPart(60, "Call", task_code="L999")]
    with pytest.raises(InvalidEntry, match=r"part 2: unknown UTBMS task code 'L999'") as refused:
        split_prebill_line(None, block, parts)
    assert (refused.value.field, refused.value.line) == ("task_code", 2)
    parts = [SplitPart(60, "Draft", activity_code="Z1"), SplitPart(60, "Call")]
    with pytest.raises(InvalidEntry, match="part 1: unknown UTBMS activity") as refused:
        split_prebill_line(None, block, parts)
    assert (refused.value.field, refused.value.line) == ("activity_code", 1)
    assert _state(block) == before
    # codes given are cleaned and kept, an empty one clears the line's
    parts = [SplitPart(60, "Draft", task_code=" l250 "), SplitPart(60, "Call", activity_code="")]
    lines = split_prebill_line(None, block, parts)
    assert [(line.task_code, line.activity_code) for line in lines] == [
        ("L250", "A103"),
        ("L240", ""),
    ]


def test_only_a_time_line_of_an_editable_prebill_is_split(
    small_firm: Any, block: PrebillLine
) -> None:
    f = small_firm
    expense = block.prebill.lines.get(kind=LineKind.EXPENSE)
    with pytest.raises(InvalidEntry, match="only a time line") as refused:
        split_prebill_line(None, expense, [SplitPart(1, "a"), SplitPart(1, "b")])
    assert refused.value.field == "kind"
    override_finding(f.carol, block.prebill, "blocks", str(block.pk), "agreed with the client")
    approve_prebill(f.carol, block.prebill)
    with pytest.raises(InvalidTransition, match="send it back"):
        split_prebill_line(None, block, [SplitPart(60, "a"), SplitPart(60, "b")])
    assert block.prebill.lines.count() == 2


def test_only_the_responsible_attorney_splits_among_attorneys(
    small_firm: Any, block: PrebillLine
) -> None:
    other = create_user(None, "otto", "another long pass phrase", "attorney")
    create_timekeeper(None, "OT", "Otto", "Tan", "partner", user=other)
    parts = [SplitPart(60, "Draft"), SplitPart(60, "Call")]
    with pytest.raises(PermissionDenied, match="not the responsible attorney"):
        split_prebill_line(other, block, parts)
    assert block.prebill.lines.count() == 2
    assert len(split_prebill_line(small_firm.pat, block, parts)) == 2


# ---- the property: a split never changes what the pre-bill bills ---------------------------


@pytest.fixture
def three_lines(small_firm: Any) -> dict[str, PrebillLine]:
    """One time line on an hourly, a capped and a taxed flat-fee matter."""
    f = small_firm
    for matter in (f.acme_hourly, f.acme_capped, f.globex_flat):
        _work(f, matter, "Draft motion to compel")
    run = run_bill_run(None, date(2026, 3, 31))
    return {
        p.matter.number: p.lines.get()
        for p in Prebill.objects.filter(run=run).select_related("matter")
    }


@st.composite
def splits(draw: st.DrawFn) -> tuple[int, list[int], Decimal, int]:
    minutes = draw(st.integers(min_value=2, max_value=24 * 60))
    count = draw(st.integers(min_value=2, max_value=min(minutes, 8)))
    cuts = sorted(
        draw(
            st.lists(
                st.integers(min_value=1, max_value=minutes - 1),
                min_size=count - 1,
                max_size=count - 1,
                unique=True,
            )
        )
    )
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, minutes], strict=True)]
    rate = D(draw(st.integers(min_value=0, max_value=2_000_0000))).scaleb(-4)
    percent = draw(st.integers(min_value=-100, max_value=50))
    return minutes, parts, rate, percent


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(split=splits(), matter=st.sampled_from(["C001-001", "C001-002", "C002-001"]))
def test_a_split_whose_minutes_add_up_never_changes_what_the_prebill_bills(
    three_lines: dict[str, PrebillLine], split: tuple[int, list[int], Decimal, int], matter: str
) -> None:
    minutes, parts, rate, percent = split
    line = three_lines[matter]
    with transaction.atomic():
        line = edit_line(None, line, minutes=minutes, rate=rate)
        adjustment = (line.amount * percent / 100).quantize(D("0.01"))
        adjustment = max(adjustment, -line.amount)
        line = adjust_line(None, line, adjustment, "agreed" if adjustment else "")
        prebill = line.prebill
        entry = TimeEntry.objects.get(pk=line.time_entry_id)
        before = prebill_figures(prebill)

        lines = split_prebill_line(
            None, line, [SplitPart(m, f"Task {i}") for i, m in enumerate(parts)]
        )

        after = prebill_figures(prebill)
        assert [x.minutes for x in lines] == parts
        assert sum(x.amount for x in lines) == line.amount
        assert sum(x.adjustment for x in lines) == adjustment
        assert all(x.amount >= 0 and x.amount + x.adjustment >= 0 for x in lines)
        t0, t1 = before.totals, after.totals
        assert (t1.fees, t1.expenses, t1.adjustments, t1.subtotal) == (
            t0.fees,
            t0.expenses,
            t0.adjustments,
            t0.subtotal,
        )
        assert after.fee_adjustment == before.fee_adjustment
        if prebill.matter.client.tax_rate_percent == 0:
            assert t1.total == t0.total
        else:  # tax is per line: each line's tax rounds on its own, within half a cent
            assert abs(t1.tax - t0.tax) <= D("0.005") * (len(parts) + 1)
        entries = TimeEntry.objects.filter(pk__in=[x.time_entry_id for x in lines])
        assert sum(e.duration_seconds for e in entries) == entry.duration_seconds
        assert sum(e.billed_minutes for e in entries) == entry.billed_minutes
        transaction.set_rollback(True)


# ---- the page ----------------------------------------------------------------------------------


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def _post(*parts: tuple[str, str, str, str], **extra: str) -> dict[str, str]:
    data = {
        "part-TOTAL_FORMS": str(len(parts)),
        "part-INITIAL_FORMS": str(len(parts)),
        "part-MIN_NUM_FORMS": "0",
        "part-MAX_NUM_FORMS": "1000",
        "split": "1",
        **extra,
    }
    for i, (hours, narrative, task, activity) in enumerate(parts):
        data |= {
            f"part-{i}-hours": hours,
            f"part-{i}-narrative": narrative,
            f"part-{i}-task_code": task,
            f"part-{i}-activity_code": activity,
        }
    return data


def test_the_findings_panel_links_to_the_split_page_prefilled_with_the_proposal(
    small_firm: Any, block: PrebillLine
) -> None:
    client = _as(small_firm.clara)
    panel = client.get(reverse("compliance:prebill-findings", args=[block.prebill_id])).text
    found = re.search(r'href="([^"]+)"[^>]*>Review split<', panel)
    assert found is not None
    url = found.group(1).replace("&amp;", "&")
    assert url.startswith(reverse("billing:line-split", args=[block.pk]) + "?minutes=42")
    page = client.get(url)
    assert page.status_code == 200
    text = page.text
    assert 'name="part-TOTAL_FORMS" value="3"' in text
    for i, (hours, narrative) in enumerate(zip(["0.7", "0.7", "0.6"], PROPOSED, strict=True)):
        assert f'name="part-{i}-hours" value="{hours}"' in text
        assert f'name="part-{i}-narrative" value="{narrative}"' in text
        assert f'name="part-{i}-task_code" value="L240"' in text
        assert f'<label for="id_part-{i}-hours" class="visually-hidden">Part' in text
    assert "The parts come to <strong data-split-total>2.00</strong> h" in text
    assert 'name="csrfmiddlewaretoken"' in text


def test_a_time_line_offers_split_with_two_empty_rows(small_firm: Any, block: PrebillLine) -> None:
    client = _as(small_firm.clara)
    detail = client.get(reverse("billing:prebill-detail", args=[block.prebill_id])).text
    url = reverse("billing:line-split", args=[block.pk])
    assert f'href="{url}"' in detail
    expense = block.prebill.lines.get(kind=LineKind.EXPENSE)
    assert reverse("billing:line-split", args=[expense.pk]) not in detail
    text = client.get(url).text
    assert 'name="part-TOTAL_FORMS" value="2"' in text
    assert 'name="part-0-hours" ' in text and 'name="part-0-hours" value' not in text
    assert 'name="part-1-task_code" value="L240"' in text


def test_posting_the_parts_splits_the_line_and_returns_to_the_prebill(
    small_firm: Any, block: PrebillLine
) -> None:
    client = _as(small_firm.clara)
    before = prebill_figures(block.prebill).totals
    response = client.post(
        reverse("billing:line-split", args=[block.pk]),
        _post(
            ("1.2", "Draft motion to compel", "L250", "A103"),
            ("0.8", "Call with client re: schedule", "L250", "A106"),
        ),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse(
        "billing:prebill-detail", args=[block.prebill_id]
    )
    assert "Line of March 2, 2026 split into 2 entries" in response.text
    lines = block.prebill.lines.filter(kind=LineKind.TIME).order_by("pk")
    assert [(x.minutes, x.narrative, x.task_code, x.activity_code) for x in lines] == [
        (72, "Draft motion to compel", "L250", "A103"),
        (48, "Call with client re: schedule", "L250", "A106"),
    ]
    assert prebill_figures(block.prebill).totals == before
    assert "Call with client re: schedule" in response.text


def test_a_refused_split_shows_each_error_next_to_its_part_or_the_total(
    small_firm: Any, block: PrebillLine
) -> None:
    client = _as(small_firm.clara)
    url = reverse("billing:line-split", args=[block.pk])
    short = client.post(url, _post(("1.2", "Draft", "", ""), ("0.7", "Call", "", "")))
    assert short.status_code == 400
    assert re.search(
        r'id="split-total-error">The parts come to 1.90 h \(114 min\) but the line bills 2.00 h',
        short.text,
    )
    bad_code = client.post(url, _post(("1.2", "Draft", "", ""), ("0.8", "Call", "L999", "")))
    assert bad_code.status_code == 400
    assert 'id="id_part-1-task_code-error">Part 2: unknown UTBMS task code' in bad_code.text
    typo = client.post(url, _post(("1.2", "Draft", "", ""), ("0.8x", "", "", "")))
    assert typo.status_code == 400
    assert 'id="id_part-1-hours-error">' in typo.text
    assert 'id="id_part-1-narrative-error">' in typo.text
    assert block.prebill.lines.count() == 2 and not block.prebill.comments.exists()


def test_without_javascript_rows_are_added_and_removed_on_the_server(
    small_firm: Any, block: PrebillLine
) -> None:
    client = _as(small_firm.clara)
    url = reverse("billing:line-split", args=[block.pk])
    data = _post(("1.2", "Draft", "L250", ""), ("0.8", "Call", "", ""))
    del data["split"]
    added = client.post(url, {**data, "add": "1"})
    assert added.status_code == 200
    assert 'name="part-TOTAL_FORMS" value="3"' in added.text
    assert 'name="part-0-narrative" value="Draft"' in added.text
    assert 'name="part-2-task_code" value="L240"' in added.text
    removed = client.post(url, {**data, "remove": "0"})
    assert 'name="part-TOTAL_FORMS" value="1"' in removed.text
    assert 'name="part-0-narrative" value="Call"' in removed.text
    assert block.prebill.lines.count() == 2


def test_a_clerk_may_split_but_not_another_attorneys_line(
    small_firm: Any, block: PrebillLine
) -> None:
    url = reverse("billing:line-split", args=[block.pk])
    assert _as(small_firm.clara).get(url).status_code == 200
    other = create_user(None, "otto", "another long pass phrase", "attorney")
    create_timekeeper(None, "OT", "Otto", "Tan", "partner", user=other)
    otto = _as(other)
    assert otto.get(url).status_code == 403
    refused = otto.post(url, _post(("1", "Draft", "", ""), ("1", "Call", "", "")))
    assert refused.status_code == 403
    assert "not the responsible attorney" in refused.text
    assert block.prebill.lines.count() == 2


def test_an_approved_prebill_or_an_expense_line_offers_no_split_form(
    small_firm: Any, block: PrebillLine
) -> None:
    client = _as(small_firm.carol)
    expense = block.prebill.lines.get(kind=LineKind.EXPENSE)
    page = client.get(reverse("billing:line-split", args=[expense.pk]))
    assert page.status_code == 400 and "Only a time line can be split." in page.text
    override_finding(small_firm.carol, block.prebill, "blocks", str(block.pk), "agreed")
    approve_prebill(small_firm.carol, block.prebill)
    assert Prebill.objects.get(pk=block.prebill_id).status == PrebillStatus.APPROVED
    url = reverse("billing:line-split", args=[block.pk])
    page = client.get(url)
    assert page.status_code == 400 and "is approved" in page.text
    assert 'id="split-form"' not in page.text
    assert client.post(url, _post(("1", "a", "", ""), ("1", "b", "", ""))).status_code == 400
    assert block.prebill.lines.count() == 2


# ---- the command -------------------------------------------------------------------------------


def test_the_command_splits_a_line_by_hours_and_prints_json(
    small_firm: Any, block: PrebillLine
) -> None:
    before = prebill_figures(block.prebill).totals
    result = CliRunner().invoke(
        cli_app,
        [
            "--user",
            "clara",
            "prebill",
            "split",
            str(block.pk),
            "--part",
            "1.5=Draft motion to compel",
            "--part",
            "0.5=Call with client re: schedule",
            "--task",
            "L250",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["prebill"] == block.prebill_id
    assert [(x["hours"], x["narrative"], x["task_code"]) for x in data["lines"]] == [
        ("1.5", "Draft motion to compel", "L250"),
        ("0.5", "Call with client re: schedule", "L250"),
    ]
    assert [x["amount"] for x in data["lines"]] == ["750.00", "250.00"]
    assert prebill_figures(block.prebill).totals == before
    event = AuditRecord.objects.get(action="event", model="billing.PrebillLine")
    assert (event.actor, event.channel) == (small_firm.clara, "cli")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--part", "1.5=Draft", "--part", "0.4=Call"], "the parts come to 1.90 h"),
        (["--part", "1.5=Draft", "--part", "0.5"], "part 2: write it as HOURS=NARRATIVE"),
        (["--part", "1.5=Draft", "--part", "0.123=Call"], "part 2: 0.123 h is not a whole"),
        (["--part", "1.5=Draft", "--part", "0.5= "], "part 2: a narrative is required"),
        (["--part", "2=Draft"], "at least two parts"),
        (
            ["--part", "1=a", "--part", "1=b", "--task", "L1", "--task", "L2", "--task", "L3"],
            "--task",
        ),
    ],
)
def test_the_command_refuses_bad_parts_on_stderr_with_exit_1(
    small_firm: Any, block: PrebillLine, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli_app, ["prebill", "split", str(block.pk), *args])
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""
    assert block.prebill.lines.count() == 2


def test_the_command_refuses_an_unknown_line(small_firm: Any) -> None:
    result = CliRunner().invoke(cli_app, ["prebill", "split", "999", "--part", "1=a"])
    assert result.exit_code == 1 and "no pre-bill line 999" in result.stderr
