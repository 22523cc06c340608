from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "lexbill.web"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from lexbill.web.security import start_session_clock

        user_logged_in.connect(start_session_clock, dispatch_uid="lexbill-session-clock")
