from django.contrib import admin

from lexbill.admin_base import PostedRecordAdmin
from lexbill.receivables.models import (
    AdjustmentReason,
    AdjustmentRequest,
    Payment,
    PaymentAllocation,
    WriteOff,
)


class AllocationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PaymentAllocation
    extra = 0
    can_delete = False
    readonly_fields = ["invoice", "amount", "applied_on", "allocated_at"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Payment)
class PaymentAdmin(PostedRecordAdmin):
    list_display = [
        "pk",
        "client",
        "kind",
        "received_on",
        "amount",
        "currency",
        "method",
        "reference",
    ]
    list_filter = ["kind", "method"]
    inlines = [AllocationInline]


@admin.register(WriteOff)
class WriteOffAdmin(PostedRecordAdmin):
    list_display = ["pk", "invoice", "kind", "written_off_on", "amount", "reason", "created_by"]
    list_filter = ["kind"]


class ReadOnlyAdmin(PostedRecordAdmin):
    """Requests are decided on the approvals page, reasons kept on the policy page: both go
    through the services (approval rules, audit), so the admin only shows them."""


@admin.register(AdjustmentRequest)
class AdjustmentRequestAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "invoice", "amount", "reason", "status", "requested_by"]
    list_filter = ["status", "kind"]


@admin.register(AdjustmentReason)
class AdjustmentReasonAdmin(ReadOnlyAdmin):
    list_display = ["code", "label", "applies_to", "active"]
