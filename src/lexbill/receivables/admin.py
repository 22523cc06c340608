from django.contrib import admin

from lexbill.admin_base import PostedRecordAdmin
from lexbill.receivables.models import Payment, PaymentAllocation


class AllocationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PaymentAllocation
    extra = 0
    can_delete = False
    readonly_fields = ["invoice", "amount", "allocated_at"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Payment)
class PaymentAdmin(PostedRecordAdmin):
    list_display = ["pk", "client", "received_on", "amount", "currency", "method", "reference"]
    inlines = [AllocationInline]
