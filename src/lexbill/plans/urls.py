"""Pages of the plans app; included under the site root by lexbill/urls.py."""

from django.urls import path

from lexbill.plans import views

app_name = "plans"
urlpatterns = [
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/new/", views.plan_new, name="plan-new"),
    path("plans/refresh/", views.plan_refresh, name="plan-refresh"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/cancel/", views.plan_cancel, name="plan-cancel"),
    path("plans/<int:pk>/default/", views.plan_default, name="plan-default"),
]
