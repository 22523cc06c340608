"""Admin views of the banking app: imports and transactions are read there, changed by services."""

from django.contrib import admin

from lexbill.admin_base import PostedRecordAdmin
from lexbill.banking.models import BankAccount, BankTransaction, CsvMapping, StatementImport


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "number", "currency", "default_mapping", "active"]


@admin.register(CsvMapping)
class CsvMappingAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "bank_account", "date_column", "amount_column", "delimiter"]


@admin.register(StatementImport)
class StatementImportAdmin(PostedRecordAdmin):
    list_display = ["pk", "bank_account", "file_name", "format", "imported_at", "new_count"]


@admin.register(BankTransaction)
class BankTransactionAdmin(PostedRecordAdmin):
    list_display = ["pk", "bank_account", "booked_on", "amount", "currency", "payer_name", "status"]
    list_filter = ["status", "bank_account"]
    search_fields = ["reference", "payer_name", "bank_ref"]
