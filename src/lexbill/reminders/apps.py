from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "lexbill.reminders"
    default_auto_field = "django.db.models.BigAutoField"
