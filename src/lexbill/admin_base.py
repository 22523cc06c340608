"""Admin classes shared by the apps: posted records are shown, never edited or deleted there."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class PostedRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Final invoices, payments and their parts: corrections are new records, not admin edits."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
