from django.apps import AppConfig


class LateChargesConfig(AppConfig):
    name = "lexbill.latecharges"
    default_auto_field = "django.db.models.BigAutoField"
