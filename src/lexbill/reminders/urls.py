"""Pages of the reminders app; included under the site root by lexbill/urls.py."""

from django.urls import path

from lexbill.reminders import views

app_name = "reminders"
urlpatterns = [
    path("reminders/", views.reminders_due_page, name="due"),
    path("reminders/send/", views.reminders_send, name="send"),
    path("reminders/log/", views.reminders_log_page, name="log"),
    path("reminders/schedule/", views.schedule_page, name="schedule"),
    path("reminders/schedule/new/", views.rule_edit, name="rule-new"),
    path("reminders/schedule/<int:pk>/", views.rule_edit, name="rule-edit"),
    path(
        "reminders/schedule/instructions/",
        views.payment_instructions,
        name="payment-instructions",
    ),
]
