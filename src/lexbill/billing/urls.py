"""Pages of the billing app; included under the site root by lexbill/urls.py."""

from django.urls import path  # noqa: F401

app_name = "billing"
urlpatterns: list = []  # type: ignore[type-arg]
