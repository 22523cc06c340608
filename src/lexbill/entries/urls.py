"""Pages of the entries app; included under the site root by lexbill/urls.py."""

from django.urls import path  # noqa: F401

app_name = "entries"
urlpatterns: list = []  # type: ignore[type-arg]
