from django.urls import path

from lexbill.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.report_index, name="index"),
    path("reports/standard/<slug:name>/", views.report_page, name="report"),
]
