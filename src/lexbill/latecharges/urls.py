"""Pages of the latecharges app; included under the site root by lexbill/urls.py."""

from django.urls import URLPattern

app_name = "latecharges"
urlpatterns: list[URLPattern] = []
