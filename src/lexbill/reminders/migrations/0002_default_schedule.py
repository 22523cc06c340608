"""The default reminder schedule: a week before due, on the due date, 30, 60 and 90 days overdue.

Every rule can be reworded, switched off or moved on the schedule page; this only seeds a firm
that has none yet.
"""

from django.db import migrations

SIGNATURE = """
$payment_instructions

If you have any question about these invoices, please reply to this e-mail or contact us at
$firm_email $firm_phone.

Kind regards,
$firm_name
"""

DEFAULT_RULES = [
    (
        "Coming due",
        -7,
        "Friendly reminder: invoice $invoice_numbers due on $earliest_due_date",
        """Dear $contact_name,

This is a friendly reminder that the following will fall due on $earliest_due_date:

$items

Amount due: $amount_due

If you have already arranged payment, thank you, and please disregard this message. A statement
of your account is attached.
""",
    ),
    (
        "On the due date",
        0,
        "Invoice $invoice_numbers: payment due $earliest_due_date",
        """Dear $contact_name,

The following fell due for payment on $earliest_due_date:

$items

Amount due: $amount_due

If payment is already on its way, thank you. A statement of your account is attached.
""",
    ),
    (
        "30 days overdue",
        30,
        "Payment reminder: $amount_due overdue",
        """Dear $contact_name,

According to our records the following remains unpaid:

$items

Amount now due: $amount_due

We would be grateful if you could arrange payment at your earliest convenience. If you have
already paid, please accept our thanks and disregard this reminder. A statement of your account
is attached.
""",
    ),
    (
        "60 days overdue",
        60,
        "Second reminder: $amount_due overdue for $days_overdue days",
        """Dear $contact_name,

We wrote to you recently about the following, which is still unpaid:

$items

Amount now due: $amount_due

Please arrange payment, or let us know if there is a question about the invoice that we can
help with. A statement of your account is attached.
""",
    ),
    (
        "90 days overdue",
        90,
        "Final reminder: $amount_due overdue for $days_overdue days",
        """Dear $contact_name,

Despite our earlier reminders, the following remains unpaid:

$items

Amount now due: $amount_due

Please arrange payment within 14 days, or contact us to agree a payment plan. A statement of
your account is attached.
""",
    ),
]


def seed(apps, schema_editor):
    Rule = apps.get_model("reminders", "ReminderRule")
    if Rule.objects.exists():
        return
    for name, offset, subject, body in DEFAULT_RULES:
        Rule.objects.create(
            name=name,
            offset_days=offset,
            active=True,
            subject_template=subject,
            body_template=body + SIGNATURE,
        )


def unseed(apps, schema_editor):
    Rule = apps.get_model("reminders", "ReminderRule")
    Rule.objects.filter(
        offset_days__in=[offset for _, offset, _, _ in DEFAULT_RULES], logs__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("reminders", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
