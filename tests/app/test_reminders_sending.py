"""Reminders through a real SMTP server: one e-mail per client with the statement attached,
never the same reminder twice, disputes and payment plans respected, failures retried."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import override_settings
from tests.app.receivables_aging_firm import bill
from tests.app.reminders_firm import (
    ReminderFirm,
    body_text,
    build_reminder_firm,
    on,
    parsed,
)
from tests.app.test_billing_views import _free_port, smtp_server

from lexbill.billing.models import Invoice
from lexbill.billing.selectors import with_balances
from lexbill.core.errors import InvalidEntry
from lexbill.disputes.services import open_dispute, resolve_by_explanation
from lexbill.plans.services import create_plan
from lexbill.reminders import services as reminder_services
from lexbill.reminders.models import LogStatus, ReminderLog, ReminderRule, ReminderRun
from lexbill.reminders.selectors import SkipReason, reminders_due
from lexbill.reminders.services import save_rule, send_reminders

ISSUED = date(2026, 3, 2)
DUE = ISSUED + timedelta(days=30)


@pytest.fixture
def rf(small_firm: Any) -> ReminderFirm:
    with on(ISSUED):
        return build_reminder_firm(small_firm)


def _rule(offset: int) -> ReminderRule:
    return ReminderRule.objects.get(offset_days=offset)


def _balance(invoice: Invoice) -> Any:
    return with_balances(Invoice.objects.filter(pk=invoice.pk)).get().balance  # type: ignore[attr-defined]


def _sent_subjects(inbox: Any) -> list[str]:
    return [parsed(raw)["Subject"] for _, raw in inbox.messages]


def test_one_e_mail_per_client_with_the_statement_attached_and_never_twice(
    rf: ReminderFirm,
) -> None:
    f = rf.f
    with on(ISSUED):
        acme = bill(f, f.acme_hourly, ISSUED, "1")
        acme_later = bill(f, f.acme_hourly, ISSUED + timedelta(days=1), "2")
        initech = bill(f, rf.initech_matter, ISSUED, "3")
        globex = bill(f, rf.globex_hourly, ISSUED, "1")
    week_before = DUE - timedelta(days=7)
    with on(week_before), smtp_server() as (inbox, _):
        run = send_reminders(f.clara)
        again = send_reminders(f.clara)

    # Acme's later invoice is not a week from due yet; Globex has nowhere to send to.
    assert sorted(rcpt for rcpt, _ in inbox.messages) == [
        ["ap@acme.example"],
        ["ar@initech.example"],
    ]
    rule = _rule(-7)
    by_rcpt = {rcpt[0]: parsed(raw) for rcpt, raw in inbox.messages}
    for address, invoice in (("ap@acme.example", acme), ("ar@initech.example", initech)):
        message = by_rcpt[address]
        expected = rule.subject_template.replace("$invoice_numbers", invoice.number).replace(
            "$earliest_due_date", f"{DUE:%B} {DUE.day}, {DUE.year}"
        )
        assert message["Subject"] == expected
        assert message["From"] == "billing@localhost"
        text = body_text(message)
        assert invoice.number in text and f"{_balance(invoice):,.2f}" in text
        attachments = list(message.iter_attachments())
        assert len(attachments) == 1
        assert attachments[0].get_content_type() == "application/pdf"
        assert attachments[0].get_filename().startswith(f"statement-{invoice.client.number}")
        assert attachments[0].get_content().startswith(b"%PDF")
    assert "Ines Tech" in body_text(by_rcpt["ar@initech.example"])
    assert acme_later.number not in by_rcpt["ap@acme.example"]["Subject"]

    logs = ReminderLog.objects.filter(run=run)
    assert {(log.invoice_id, log.rule_id, log.status) for log in logs} == {
        (acme.pk, rule.pk, LogStatus.SENT),
        (initech.pk, rule.pk, LogStatus.SENT),
    }
    assert {log.message_id for log in logs} == {m["Message-ID"] for m in by_rcpt.values()}
    assert (run.reminders_sent, run.clients_emailed, run.clients_failed) == (2, 2, 0)
    assert run.finished_at is not None and run.actor == f.clara

    # The second run finds everything already sent and sends nothing new.
    assert len(inbox.messages) == 2
    assert (again.reminders_sent, again.clients_emailed) == (0, 0)
    assert ReminderLog.objects.count() == 2
    skipped = {(s.reminder.item.reference, s.reason) for s in again.plan.skipped}
    assert (acme.number, SkipReason.ALREADY_SENT) in skipped
    assert (globex.number, SkipReason.NO_EMAIL) in skipped


def test_the_schedule_is_followed_across_the_dates(rf: ReminderFirm) -> None:
    f = rf.f
    with on(ISSUED):
        invoice = bill(f, f.acme_hourly, ISSUED, "1")
    steps = [
        (DUE - timedelta(days=8), None),
        (DUE - timedelta(days=7), -7),
        (DUE - timedelta(days=3), None),
        (DUE, 0),
        (DUE + timedelta(days=10), None),
        (DUE + timedelta(days=30), 30),
        (DUE + timedelta(days=60), 60),
        (DUE + timedelta(days=90), 90),
        (DUE + timedelta(days=150), None),
    ]
    with smtp_server() as (inbox, _):
        for day, offset in steps:
            before = len(inbox.messages)
            with on(day):
                send_reminders(None)
            if offset is None:
                assert len(inbox.messages) == before, f"nothing was due on {day}"
            else:
                assert len(inbox.messages) == before + 1, f"rule {offset} on {day}"
                subject = parsed(inbox.messages[-1][1])["Subject"]
                first_words = _rule(offset).subject_template.split("$")[0]
                assert subject.startswith(first_words)
    offsets = sorted(
        ReminderLog.objects.filter(invoice=invoice).values_list("rule__offset_days", flat=True)
    )
    assert offsets == sorted(o for _, o in steps if o is not None)


def test_a_late_first_run_sends_only_the_latest_rule(rf: ReminderFirm) -> None:
    f = rf.f
    with on(ISSUED):
        invoice = bill(f, f.acme_hourly, ISSUED, "1")
    with smtp_server() as (inbox, _), on(DUE + timedelta(days=45)):
        send_reminders(None)
    assert len(inbox.messages) == 1
    logged = list(ReminderLog.objects.filter(invoice=invoice).values_list("rule", flat=True))
    assert logged == [_rule(30).pk]


def test_disputes_and_plans_in_good_standing_hold_invoices_back(rf: ReminderFirm) -> None:
    f = rf.f
    with on(ISSUED):
        acme = bill(f, f.acme_hourly, ISSUED, "1")
        initech = bill(f, rf.initech_matter, ISSUED, "2")
        umbrella = bill(f, rf.umbrella_matter, ISSUED, "3")
    planned = ISSUED + timedelta(days=8)
    with on(planned):
        dispute = open_dispute(
            f.clara,
            acme,
            kind="dispute",
            raised_by="Wile E.",
            description="We never asked for this work",
        )
        # Initech keeps to its plan: first instalment due 58 days after issue, 10 days' grace.
        kept = create_plan(
            f.sam, rf.initech, [initech.number], first_due=DUE + timedelta(days=27), count=2
        )
        # Umbrella's first instalment falls due long before the run and is never paid.
        create_plan(
            f.sam,
            rf.umbrella,
            [umbrella.number],
            first_due=planned + timedelta(days=10),
            count=2,
            grace_days=0,
        )
    run_day = DUE + timedelta(days=30)
    with smtp_server() as (inbox, _), on(run_day):
        plan = reminders_due(run_day)
        run = send_reminders(f.sam)
    reasons = {(s.reminder.item.reference, s.reason) for s in plan.skipped}
    assert (acme.number, SkipReason.DISPUTED) in reasons
    assert (initech.number, SkipReason.ON_PLAN) in reasons

    by_rcpt = {rcpt[0]: parsed(raw) for rcpt, raw in inbox.messages}
    assert set(by_rcpt) == {"ar@initech.example", "ap@umbrella.example"}
    # Umbrella's plan has a missed instalment: its invoice is on the normal schedule again.
    umbrella_text = body_text(by_rcpt["ap@umbrella.example"])
    assert f"Invoice {umbrella.number}" in umbrella_text
    assert ReminderLog.objects.get(run=run, client=rf.umbrella).invoice == umbrella
    # Initech is reminded of its instalment (on its own due date), not of the invoice.
    instalment = kept.instalments.get(sequence=1)
    initech_log = ReminderLog.objects.get(run=run, client=rf.initech)
    assert (initech_log.instalment_id, initech_log.invoice) == (instalment.pk, None)
    assert initech_log.rule == _rule(0)
    text = body_text(by_rcpt["ar@initech.example"])
    assert "Instalment 1" in text and f"{instalment.amount:,.2f}" in text

    # Once the dispute is resolved, Acme's invoice is reminded in the next run.
    with on(run_day + timedelta(days=1)):
        resolve_by_explanation(f.carol, dispute, "The engagement letter covers it.")
    with smtp_server() as (inbox, _), on(run_day + timedelta(days=1)):
        send_reminders(None)
    assert [rcpt for rcpt, _ in inbox.messages] == [["ap@acme.example"]]


def test_a_dry_run_sends_nothing_and_logs_nothing(rf: ReminderFirm) -> None:
    f = rf.f
    with on(ISSUED):
        invoice = bill(f, f.acme_hourly, ISSUED, "1")
    with smtp_server() as (inbox, _), on(DUE):
        run = send_reminders(f.clara, dry_run=True)
    assert inbox.messages == []
    assert not ReminderLog.objects.exists() and not ReminderRun.objects.exists()
    assert run.pk is None
    outcomes = run.outcomes
    assert [(o.group.client, o.status) for o in outcomes] == [(f.acme, "would send")]
    assert [r.invoice_id for r in outcomes[0].group.reminders] == [invoice.pk]


def test_a_failed_send_is_logged_and_retried_by_the_next_run(rf: ReminderFirm) -> None:
    f = rf.f
    with on(ISSUED):
        bill(f, f.acme_hourly, ISSUED, "1")
        bill(f, rf.initech_matter, ISSUED, "1")
    with (
        on(DUE),
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=_free_port(),
            EMAIL_TIMEOUT=5,
        ),
    ):
        down = send_reminders(None)
    assert (down.clients_failed, down.reminders_sent) == (2, 0)
    failed = ReminderLog.objects.filter(run=down)
    assert {log.status for log in failed} == {LogStatus.FAILED}
    assert all("mail was not sent" in log.error for log in failed)

    with smtp_server() as (inbox, _), on(DUE + timedelta(days=1)):
        retry = send_reminders(None)
    assert sorted(rcpt[0] for rcpt, _ in inbox.messages) == [
        "ap@acme.example",
        "ar@initech.example",
    ]
    assert (retry.clients_failed, retry.reminders_sent) == (0, 2)


def test_two_senders_at_once_send_each_reminder_once(
    rf: ReminderFirm, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = rf.f
    with on(ISSUED):
        bill(f, f.acme_hourly, ISSUED, "1")
    with smtp_server() as (inbox, _), on(DUE):
        stale = reminders_due(DUE)  # what the second sender saw before the first one sent
        send_reminders(None)
        monkeypatch.setattr(reminder_services, "reminders_due", lambda as_of: stale)
        second = send_reminders(None)
    assert len(inbox.messages) == 1
    assert [o.status for o in second.outcomes] == ["taken"]
    assert ReminderLog.objects.filter(status=LogStatus.SENT).count() == 1


def test_an_unknown_placeholder_is_refused_and_changes_nothing(rf: ReminderFirm) -> None:
    rule = _rule(30)
    before = (rule.subject_template, rule.body_template)
    with pytest.raises(InvalidEntry) as refused:
        save_rule(
            rf.f.carol,
            rule,
            name=rule.name,
            offset_days=30,
            subject_template="Overdue: $invoice_numbers",
            body_template="Dear $customer, please pay $amount_due.",
        )
    assert refused.value.field == "body_template"
    assert "$customer" in str(refused.value)
    rule.refresh_from_db()
    assert (rule.subject_template, rule.body_template) == before
