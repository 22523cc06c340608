from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "lexbill.compliance"
    verbose_name = "Client billing guidelines"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # a pre-bill with blocking findings is not approved until each is fixed or overridden
        from lexbill.billing.prebills import APPROVAL_CHECKS
        from lexbill.compliance.services import require_no_blocking_findings

        if require_no_blocking_findings not in APPROVAL_CHECKS:
            APPROVAL_CHECKS.append(require_no_blocking_findings)
        # what a bill run's new pre-bills break is recorded as they are made (for the report)
        from lexbill.billing.bill_run import AFTER_BILL_RUN
        from lexbill.compliance.records import record_bill_run_findings

        if record_bill_run_findings not in AFTER_BILL_RUN:
            AFTER_BILL_RUN.append(record_bill_run_findings)
