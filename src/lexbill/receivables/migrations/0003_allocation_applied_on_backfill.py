"""Allocations posted before business dates were kept count from their payment's received date."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("receivables", "0002_collections_foundation")]

    operations = [
        migrations.RunSQL(
            "UPDATE receivables_paymentallocation SET applied_on = (SELECT p.received_on "
            "FROM receivables_payment p WHERE p.id = receivables_paymentallocation.payment_id)",
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name="paymentallocation",
            name="applied_on",
            field=models.DateField(
                help_text="the business date the money counts against the invoice"
            ),
        ),
    ]
