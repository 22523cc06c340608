from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "lexbill.audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from lexbill.audit import signals

        signals.connect()
