from django.apps import AppConfig


class EbillingConfig(AppConfig):
    name = "lexbill.ebilling"
    verbose_name = "E-billing (LEDES)"
    default_auto_field = "django.db.models.BigAutoField"
