"""Pages of the trust app; included under the site root by lexbill/urls.py."""

from django.urls import URLPattern

app_name = "trust"
urlpatterns: list[URLPattern] = []
