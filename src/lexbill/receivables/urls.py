"""Pages of the receivables app; included under the site root by lexbill/urls.py."""

from django.urls import path  # noqa: F401

app_name = "receivables"
urlpatterns: list = []  # type: ignore[type-arg]
