"""Pages of the clients app; included under the site root by lexbill/urls.py."""

from django.urls import path

from lexbill.clients import views

app_name = "clients"
urlpatterns = [
    path("clients/", views.client_list, name="client-list"),
    path("clients/new/", views.client_new, name="client-new"),
    path("clients/<int:pk>/", views.client_detail, name="client-detail"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client-edit"),
    path("clients/<int:pk>/matters/new/", views.matter_new, name="matter-new"),
    path("matters/<int:pk>/", views.matter_detail, name="matter-detail"),
    path("matters/<int:pk>/edit/", views.matter_edit, name="matter-edit"),
    path("matters/<int:pk>/close/", views.matter_close, name="matter-close"),
    path("matters/<int:pk>/rates/", views.matter_rate_new, name="matter-rate-new"),
    path("matters/<int:pk>/budget/", views.matter_budget_set, name="matter-budget"),
    path(
        "matters/<int:pk>/budget/remove/",
        views.matter_budget_remove,
        name="matter-budget-remove",
    ),
    path(
        "clients/<int:pk>/approved-timekeepers/",
        views.client_timekeeper_approve,
        name="client-approve-timekeeper",
    ),
    path(
        "clients/<int:pk>/approved-timekeepers/withdraw/",
        views.client_timekeeper_withdraw,
        name="client-withdraw-timekeeper",
    ),
    path("clients/<int:pk>/rate-notices/", views.client_rate_notice_new, name="client-rate-notice"),
    path(
        "clients/<int:pk>/rate-notices/<int:notice>/remove/",
        views.client_rate_notice_remove,
        name="client-rate-notice-remove",
    ),
]
