from django.contrib import admin

from lexbill.admin_base import PostedRecordAdmin
from lexbill.billing.models import (
    BillRun,
    CreditNote,
    Invoice,
    InvoiceDelivery,
    InvoiceLine,
    Prebill,
    Rate,
)


@admin.register(Rate)
class RateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "level",
        "amount",
        "currency",
        "effective_from",
        "matter",
        "client",
        "timekeeper",
        "classification",
    ]
    list_filter = ["level", "currency"]
    raw_id_fields = ["matter", "client", "timekeeper"]


@admin.register(BillRun)
class BillRunAdmin(PostedRecordAdmin):
    list_display = ["pk", "through", "started_at", "prebill_count", "time_line_count"]


@admin.register(Prebill)
class PrebillAdmin(PostedRecordAdmin):
    """Pre-bills change only through review (the pages and `lexbill prebill`), never raw."""

    list_display = ["pk", "matter", "status", "through"]
    list_filter = ["status"]


class InvoiceLineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = InvoiceLine
    extra = 0
    can_delete = False
    _columns = [
        "position",
        "date",
        "timekeeper_code",
        "narrative",
        "minutes",
        "rate",
        "rate_source",
        "total",
        "tax",
    ]
    fields = tuple(_columns)
    readonly_fields = _columns

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Invoice)
class InvoiceAdmin(PostedRecordAdmin):
    list_display = ["number", "issued_on", "client", "matter", "total", "currency"]
    search_fields = ["number", "client__name", "matter__number"]
    inlines = [InvoiceLineInline]


@admin.register(CreditNote)
class CreditNoteAdmin(PostedRecordAdmin):
    list_display = ["number", "invoice", "issued_on", "total", "reason"]


@admin.register(InvoiceDelivery)
class InvoiceDeliveryAdmin(PostedRecordAdmin):
    list_display = ["invoice", "sent_at", "channel", "recipient"]
