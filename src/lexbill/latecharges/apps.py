from django.apps import AppConfig


class LateChargesConfig(AppConfig):
    name = "lexbill.latecharges"
    verbose_name = "Late charges"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # a bill run's new pre-bills take their matters' pending late charges as they are made
        from lexbill.billing.bill_run import AFTER_BILL_RUN
        from lexbill.latecharges.services import bill_run_late_charges

        if bill_run_late_charges not in AFTER_BILL_RUN:
            AFTER_BILL_RUN.append(bill_run_late_charges)
