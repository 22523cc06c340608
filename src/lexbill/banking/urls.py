"""Pages of the banking app; included under the site root by lexbill/urls.py."""

from django.urls import URLPattern

app_name = "banking"
urlpatterns: list[URLPattern] = []
