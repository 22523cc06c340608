from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "lexbill.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # Importing the catalog registers every standard report.
        from lexbill.reports import catalog  # noqa: F401
