from django.contrib import admin

from lexbill.clients.models import Client, Matter


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["number", "name", "billing_email", "tax_rate_percent"]
    search_fields = ["number", "name"]


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["number", "name", "client", "status", "arrangement", "currency"]
    list_filter = ["status", "arrangement"]
    search_fields = ["number", "name", "client__name", "client_matter_id"]
    raw_id_fields = ["client", "responsible_attorney"]
