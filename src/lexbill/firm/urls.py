"""Settings pages, under /settings/; only administrators (rates: the roles that manage rates)."""

from django.urls import path

from lexbill.firm import views

app_name = "firm"
urlpatterns = [
    path("settings/", views.firm_policy, name="settings"),
    path("settings/users/", views.users, name="users"),
    path("settings/timekeepers/", views.timekeepers, name="timekeepers"),
    path("settings/rates/", views.rates, name="rates"),
]
