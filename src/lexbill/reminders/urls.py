"""Pages of the reminders app; included under the site root by lexbill/urls.py."""

from django.urls import URLPattern

app_name = "reminders"
urlpatterns: list[URLPattern] = []
