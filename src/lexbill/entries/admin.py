from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from lexbill.entries.models import BillingState, Expense, TimeEntry


class _UnbilledOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Work on a pre-bill is corrected there; billed work is never changed."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.state == BillingState.UNBILLED

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and obj.state == BillingState.UNBILLED


@admin.register(TimeEntry)
class TimeEntryAdmin(_UnbilledOnlyAdmin):
    list_display = ["work_date", "timekeeper", "matter", "billed_minutes", "state", "billable"]
    list_filter = ["state", "billable"]
    raw_id_fields = ["matter", "timekeeper", "created_by"]
    show_full_result_count = False


@admin.register(Expense)
class ExpenseAdmin(_UnbilledOnlyAdmin):
    list_display = ["date", "matter", "expense_code", "quantity", "unit_cost", "state"]
    list_filter = ["state", "expense_code"]
    raw_id_fields = ["matter", "timekeeper", "created_by"]
