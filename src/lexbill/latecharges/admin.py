from django.contrib import admin

from lexbill.admin_base import PostedRecordAdmin
from lexbill.latecharges.models import LateCharge


@admin.register(LateCharge)
class LateChargeAdmin(PostedRecordAdmin):
    """Read-only: charges are assessed and billed by the services, so no day is charged twice."""

    list_display = ["pk", "invoice", "client", "assessed_on", "period_from", "period_to", "amount"]
    list_filter = ["assessed_on"]
