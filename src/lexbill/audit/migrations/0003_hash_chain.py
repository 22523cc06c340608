"""The audit trail becomes a hash chain: two columns, then the chain computed over existing rows.

The existing rows are chained in id order, a chunk at a time (keyset on id, so a firm with a
million audit rows is read once and never held in memory), with one ``executemany`` UPDATE per
chunk. The hash definition is ``lexbill.core.audit_chain``'s, which never changes.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from lexbill.core.audit_chain import GENESIS, RecordContent, link_hash

CHUNK = 5000
FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "channel",
    "action",
    "model",
    "object_id",
    "before",
    "after",
    "summary",
)


def chain_existing_rows(apps: Any, schema_editor: Any) -> None:
    record = apps.get_model("audit", "AuditRecord")
    connection = schema_editor.connection
    table = connection.ops.quote_name(record._meta.db_table)
    sql = f"UPDATE {table} SET previous_hash = %s, hash = %s WHERE id = %s"
    previous = GENESIS
    last_id = 0
    manager = record.objects.using(connection.alias)
    while True:
        rows = list(manager.filter(id__gt=last_id).order_by("id").values_list(*FIELDS)[:CHUNK])
        if not rows:
            return
        updates = []
        for row in rows:
            content = RecordContent(*row)
            digest = link_hash(previous, content)
            updates.append((previous, digest, content.id))
            previous = digest
        with connection.cursor() as cursor:
            cursor.executemany(sql, updates)
        last_id = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditrecord",
            name="previous_hash",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditrecord",
            name="hash",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
        migrations.AlterField(
            model_name="auditrecord",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop, elidable=False),
    ]
