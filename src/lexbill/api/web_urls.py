"""The API token page. Not under /api/: those routes answer programs with problem+json, while
this is a page for people, behind the log-in like every other page."""

from django.urls import path

from lexbill.api import views

app_name = "apitokens"
urlpatterns = [
    path("settings/api-tokens/", views.token_list, name="list"),
    path("settings/api-tokens/<int:pk>/revoke/", views.token_revoke, name="revoke"),
]
