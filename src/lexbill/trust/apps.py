from django.apps import AppConfig


class TrustConfig(AppConfig):
    name = "lexbill.trust"
    verbose_name = "Trust accounting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # an evergreen matter's invoice asks for its replenishment as it is issued
        from lexbill.billing.invoicing import AFTER_FINALIZE
        from lexbill.trust.retainers import request_replenishment

        if request_replenishment not in AFTER_FINALIZE:
            AFTER_FINALIZE.append(request_replenishment)
