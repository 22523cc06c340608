"""Plans are shown in the admin, never changed there: status moves only through the services."""

from django.contrib import admin

from lexbill.admin_base import PostedRecordAdmin
from lexbill.plans.models import Instalment, PaymentPlan, PlanInvoice


class PlanInvoiceInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PlanInvoice
    extra = 0
    can_delete = False
    readonly_fields = ["invoice", "balance_at_start", "active"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class InstalmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Instalment
    extra = 0
    can_delete = False
    readonly_fields = ["sequence", "due_on", "amount"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(PaymentPlan)
class PaymentPlanAdmin(PostedRecordAdmin):
    list_display = ["pk", "client", "start_on", "total", "currency", "status"]
    list_filter = ["status"]
    inlines = [PlanInvoiceInline, InstalmentInline]
