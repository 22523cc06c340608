from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from lexbill.admin_base import PostedRecordAdmin
from lexbill.firm.models import Firm, NumberSequence, Timekeeper, User


@admin.register(User)
class LexbillUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = (*UserAdmin.fieldsets, ("Lexbill", {"fields": ["role"]}))  # type: ignore[misc]


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "base_currency", "increment_minutes", "payment_terms_days"]


@admin.register(Timekeeper)
class TimekeeperAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "first_name", "last_name", "classification", "active"]
    list_filter = ["classification", "active"]
    search_fields = ["code", "first_name", "last_name"]


@admin.register(NumberSequence)
class NumberSequenceAdmin(PostedRecordAdmin):
    """Gapless sequences move only at finalization; editing one by hand would break the series."""

    list_display = ["name", "last_value"]
