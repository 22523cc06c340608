"""Disputes are shown in the admin, never changed there: status moves only through the services."""

from django.contrib import admin

from lexbill.admin_base import PostedRecordAdmin
from lexbill.disputes.models import Dispute, DisputeNote


class NoteInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DisputeNote
    extra = 0
    can_delete = False
    readonly_fields = ["author", "at", "text"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Dispute)
class DisputeAdmin(PostedRecordAdmin):
    list_display = [
        "pk",
        "kind",
        "invoice",
        "raised_on",
        "amount_disputed",
        "status",
        "assigned_to",
    ]
    list_filter = ["kind", "status"]
    inlines = [NoteInline]
