"""Pages of the billing app; included under the site root by lexbill/urls.py."""

from django.urls import path

from lexbill.billing import views

app_name = "billing"
urlpatterns = [
    path("prebills/", views.prebill_list, name="prebill-list"),
    path("prebills/<int:pk>/", views.prebill_detail, name="prebill-detail"),
    path("prebills/<int:pk>/approve/", views.prebill_approve, name="prebill-approve"),
    path("prebills/<int:pk>/send-back/", views.prebill_send_back, name="prebill-send-back"),
    path("prebills/<int:pk>/comment/", views.prebill_comment, name="prebill-comment"),
    path("prebills/<int:pk>/finalize/", views.prebill_finalize, name="prebill-finalize"),
    path("prebills/lines/<int:pk>/", views.line_row, name="line-row"),
    path("prebills/lines/<int:pk>/edit/", views.line_edit, name="line-edit"),
    path("prebills/lines/<int:pk>/update/", views.line_update, name="line-update"),
    path("prebills/lines/<int:pk>/split/", views.line_split, name="line-split"),
    path("bill-runs/new/", views.billrun_new, name="billrun-new"),
    path("bill-runs/<str:token>/", views.billrun_status, name="billrun-status"),
    path("invoices/", views.invoice_list, name="invoice-list"),
    path("invoices/<str:number>/", views.invoice_detail, name="invoice-detail"),
    path("invoices/<str:number>/preview.pdf", views.invoice_preview, name="invoice-preview"),
    path("invoices/<str:number>/email/", views.invoice_email, name="invoice-email"),
]
