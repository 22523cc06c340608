"""Pages of the plans app; included under the site root by lexbill/urls.py."""

from django.urls import URLPattern

app_name = "plans"
urlpatterns: list[URLPattern] = []
