"""Pages of the disputes app; included under the site root by lexbill/urls.py."""

from django.urls import URLPattern

app_name = "disputes"
urlpatterns: list[URLPattern] = []
