from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from lexbill.api.urls import api_urls
from lexbill.web import views
from lexbill.web.forms import LogInForm

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        login_not_required(
            auth_views.LoginView.as_view(
                authentication_form=LogInForm, redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invoices/<str:number>.pdf", views.invoice_pdf, name="invoice-pdf"),
    path("", include("lexbill.firm.urls")),
    path("", include("lexbill.clients.urls")),
    path("", include("lexbill.entries.urls")),
    path("", include("lexbill.billing.urls")),
    path("", include("lexbill.receivables.urls")),
    path("", include("lexbill.ebilling.urls")),
    path("", include("lexbill.compliance.urls")),
    path("", include("lexbill.disputes.urls")),
    path("", include("lexbill.plans.urls")),
    path("", include("lexbill.reminders.urls")),
    path("", include("lexbill.banking.urls")),
    path("", include("lexbill.latecharges.urls")),
    path("", include("lexbill.trust.urls")),
    path("", include("lexbill.reports.urls")),
    path("", include("lexbill.imports.urls")),
    path("", include("lexbill.exports.urls")),
    path("", include("lexbill.audit.urls")),
    path("", include("lexbill.api.web_urls")),
    path("api/", api_urls()),
    path("admin/", admin.site.urls),
]
