from django.urls import path

from lexbill.compliance import editor_views, report_views, views

app_name = "compliance"

urlpatterns = [
    path("clients/<int:pk>/guidelines/", views.client_guidelines, name="client-guidelines"),
    path(
        "clients/<int:pk>/guidelines/edit/",
        editor_views.edit_guidelines,
        name="client-guidelines-edit",
    ),
    path("prebills/<int:pk>/findings/", views.prebill_findings_panel, name="prebill-findings"),
    path("prebills/<int:pk>/findings/override/", views.prebill_override, name="prebill-override"),
    path("prebills/<int:pk>/findings/fix/", views.prebill_fix, name="prebill-fix"),
    path("time/warnings/", views.entry_warnings, name="entry-warnings"),
    path("reports/guidelines/", report_views.guideline_report_page, name="guideline-report"),
    path(
        "reports/guidelines/findings/",
        report_views.guideline_report_findings,
        name="guideline-report-findings",
    ),
]
