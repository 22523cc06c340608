"""Admin: the schedule may be edited (templates are checked by ReminderRule.clean); the log and
the runs are records of what happened and are read-only."""

from django.contrib import admin

from lexbill.admin_base import PostedRecordAdmin
from lexbill.reminders.models import ReminderLog, ReminderRule, ReminderRun, ReminderSettings


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "offset_days", "active", "subject_template"]
    list_filter = ["active"]


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["__str__"]


@admin.register(ReminderRun)
class ReminderRunAdmin(PostedRecordAdmin):
    list_display = ["pk", "as_of", "started_at", "actor", "reminders_sent", "clients_failed"]


@admin.register(ReminderLog)
class ReminderLogAdmin(PostedRecordAdmin):
    list_display = ["claimed_at", "client", "reference", "rule", "status", "recipients"]
    list_filter = ["status", "rule"]
    search_fields = ["reference", "client__name", "client__number", "recipients"]
