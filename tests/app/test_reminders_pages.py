"""The reminder pages and commands: what is due and why not, sending, the log, the schedule's
wording with a preview, and who may do which."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse
from tests.app.receivables_aging_firm import bill
from tests.app.reminders_firm import (
    ReminderFirm,
    body_text,
    build_reminder_firm,
    on,
    parsed,
)
from tests.app.test_billing_views import smtp_server
from typer.testing import CliRunner

from lexbill.billing.models import Invoice
from lexbill.cli import app
from lexbill.disputes.services import open_dispute
from lexbill.reminders.models import LogStatus, ReminderLog, ReminderRule
from lexbill.reminders.selectors import SkipReason

ISSUED = date(2026, 3, 2)
DUE = ISSUED + timedelta(days=30)


@pytest.fixture
def rf(small_firm: Any) -> ReminderFirm:
    with on(ISSUED):
        return build_reminder_firm(small_firm)


@pytest.fixture
def invoices(rf: ReminderFirm) -> dict[str, Invoice]:
    """One invoice each for Acme (disputed), Initech and Globex (no e-mail), all due on DUE."""
    f = rf.f
    with on(ISSUED):
        made = {
            "acme": bill(f, f.acme_hourly, ISSUED, "1"),
            "initech": bill(f, rf.initech_matter, ISSUED, "2"),
            "globex": bill(f, rf.globex_hourly, ISSUED, "1"),
        }
        open_dispute(
            f.clara, made["acme"], kind="dispute", raised_by="Wile E.", description="Too much"
        )
    return made


def _as(user: Any) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def _row(text: str, marker: str) -> str:
    start = text.index(marker)
    return text[start : text.index("</tr>", start)]


def test_the_due_page_shows_what_would_go_and_why_the_rest_is_held_back(
    rf: ReminderFirm, invoices: dict[str, Invoice]
) -> None:
    with on(DUE):
        page = _as(rf.f.clara).get(reverse("reminders:due"))
    assert page.status_code == 200
    due = page.text[page.text.index('data-testid="reminders-due"') :]
    assert 'data-client="C003"' in due and "ar@initech.example" in due
    assert 'data-client="C001"' not in due.split('data-testid="reminders-skipped"')[0]
    acme_row = _row(page.text, f'data-reference="{invoices["acme"].number}"')
    assert f'data-col="reason">{SkipReason.DISPUTED}' in acme_row
    globex_row = _row(page.text, f'data-reference="{invoices["globex"].number}"')
    assert f'data-col="reason">{SkipReason.NO_EMAIL}' in globex_row
    assert "Send now" in page.text
    assert mail.outbox == [] and not ReminderLog.objects.exists()


def test_send_now_sends_and_the_log_shows_it_by_client(
    rf: ReminderFirm, invoices: dict[str, Invoice]
) -> None:
    client = _as(rf.f.clara)
    with smtp_server() as (inbox, _), on(DUE):
        sent = client.post(reverse("reminders:send"), {"as_of": DUE.isoformat()})
    assert sent.status_code == 302 and sent["Location"] == reverse("reminders:log")
    assert [rcpt for rcpt, _ in inbox.messages] == [["ar@initech.example"]]
    log = client.get(reverse("reminders:log"))
    assert invoices["initech"].number in log.text and "ar@initech.example" in log.text
    assert 'data-col="status">Sent' in log.text
    only_acme = client.get(reverse("reminders:log"), {"client": "C001"})
    assert invoices["initech"].number not in only_acme.text
    assert "No reminders sent yet." in only_acme.text


def test_an_attorney_may_neither_see_nor_send_reminders(
    rf: ReminderFirm, invoices: dict[str, Invoice]
) -> None:
    pat = _as(rf.f.pat)
    with on(DUE):
        assert pat.get(reverse("reminders:due")).status_code == 403
        refused = pat.post(reverse("reminders:send"))
    assert refused.status_code == 403 and "may not send reminders" in refused.text
    assert not ReminderLog.objects.exists()
    home = pat.get(reverse("home"))
    assert f'href="{reverse("reminders:due")}"' not in home.text
    assert f'href="{reverse("reminders:due")}"' in _as(rf.f.clara).get(reverse("home")).text


def test_a_clerk_sees_the_schedule_but_may_not_change_it(rf: ReminderFirm) -> None:
    clara = _as(rf.f.clara)
    rule = ReminderRule.objects.get(offset_days=30)
    schedule = clara.get(reverse("reminders:schedule"))
    assert schedule.status_code == 200
    assert rule.name in schedule.text and "30 days overdue" in schedule.text
    assert reverse("reminders:rule-edit", args=[rule.pk]) not in schedule.text
    refused = clara.post(
        reverse("reminders:rule-edit", args=[rule.pk]),
        {"name": "x", "offset_days": "30", "subject_template": "x", "body_template": "x"},
    )
    assert refused.status_code == 403
    rule_after = ReminderRule.objects.get(pk=rule.pk)
    assert rule_after.name == rule.name


def test_a_coordinator_rewords_a_rule_with_a_preview_for_a_real_invoice(
    rf: ReminderFirm, invoices: dict[str, Invoice]
) -> None:
    carol = _as(rf.f.carol)
    rule = ReminderRule.objects.get(offset_days=0)
    url = reverse("reminders:rule-edit", args=[rule.pk])
    form = {
        "name": "Due today",
        "offset_days": "0",
        "active": "on",
        "subject_template": "Invoice $invoice_numbers: $$ due today",
        "body_template": "Dear $contact_name,\n$items\nTotal: $total_due\n$firm_name",
        "preview_invoice": invoices["initech"].number,
    }
    with on(DUE):
        shown = carol.post(url, {**form, "preview": "1"})
    assert shown.status_code == 200
    number = invoices["initech"].number
    assert f'data-testid="preview-subject">Invoice {number}: $ due today<' in shown.text
    assert "Dear Ines Tech," in shown.text and rf.f.firm.name.replace("&", "&amp;") in shown.text
    assert ReminderRule.objects.get(pk=rule.pk).subject_template == rule.subject_template

    saved = carol.post(url, {**form, "save": "1"})
    assert saved.status_code == 302
    assert ReminderRule.objects.get(pk=rule.pk).subject_template == form["subject_template"]


def test_an_unknown_placeholder_on_the_page_is_shown_next_to_its_field(rf: ReminderFirm) -> None:
    rule = ReminderRule.objects.get(offset_days=60)
    refused = _as(rf.f.alice).post(
        reverse("reminders:rule-edit", args=[rule.pk]),
        {
            "name": rule.name,
            "offset_days": "60",
            "subject_template": "Overdue $invoice_number",
            "body_template": rule.body_template,
            "save": "1",
        },
    )
    assert refused.status_code == 400
    assert 'id="id_subject_template_error"' in refused.text
    assert "$invoice_number;" in refused.text
    assert ReminderRule.objects.get(pk=rule.pk).subject_template == rule.subject_template


def test_the_admin_refuses_an_unknown_placeholder_too(db: Any) -> None:
    rule = ReminderRule.objects.get(offset_days=90)
    rule.body_template = "Pay $now"
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert set(refused.value.message_dict) == {"body_template"}


def test_payment_instructions_appear_where_the_wording_asks(
    rf: ReminderFirm, invoices: dict[str, Invoice]
) -> None:
    carol = _as(rf.f.carol)
    saved = carol.post(
        reverse("reminders:payment-instructions"),
        {"payment_instructions": "Wire to IBAN GB00 HALE 0000 1234, quoting the invoice number."},
    )
    assert saved.status_code == 302
    with smtp_server() as (inbox, _), on(DUE):
        _as(rf.f.clara).post(reverse("reminders:send"))
    assert "IBAN GB00 HALE 0000 1234" in body_text(parsed(inbox.messages[0][1]))


def test_the_command_sends_what_is_due_and_lists_the_log(
    rf: ReminderFirm, invoices: dict[str, Invoice]
) -> None:
    runner = CliRunner()
    with smtp_server() as (inbox, _), on(DUE):
        dry = runner.invoke(app, ["reminders", "send", "--dry-run", "--json"])
        assert dry.exit_code == 0, dry.output
        assert inbox.messages == [] and not ReminderLog.objects.exists()
        would = json.loads(dry.stdout)
        real = runner.invoke(app, ["reminders", "send", "--json"])
        assert real.exit_code == 0, real.output
        again = runner.invoke(app, ["reminders", "send", "--as-of", DUE.isoformat()])
    assert [e["client"] for e in would["emails"]] == ["C003"]
    assert {(s["reference"], s["reason"]) for s in would["skipped"]} == {
        (invoices["acme"].number, SkipReason.DISPUTED),
        (invoices["globex"].number, SkipReason.NO_EMAIL),
    }
    done = json.loads(real.stdout)
    assert done["reminders_sent"] == 1 and done["emails"][0]["status"] == LogStatus.SENT
    assert len(inbox.messages) == 1
    assert "0 reminders sent to 0 clients" in again.stdout

    listed = runner.invoke(app, ["reminders", "log", "--client", "C003", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["invoice"], r["status"], r["to"]) for r in rows] == [
        (invoices["initech"].number, "sent", "ar@initech.example")
    ]
    refused = runner.invoke(app, ["--user", "pat", "reminders", "send"])
    assert refused.exit_code == 1 and "may not send reminders" in refused.stderr
