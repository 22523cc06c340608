from django.apps import AppConfig


class BankingConfig(AppConfig):
    name = "lexbill.banking"
    default_auto_field = "django.db.models.BigAutoField"
