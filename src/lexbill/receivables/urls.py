"""Pages of the receivables app; included under the site root by lexbill/urls.py."""

from django.urls import path

from lexbill.receivables import aging_views, views

app_name = "receivables"
urlpatterns = [
    path("payments/", views.payment_list, name="payment-list"),
    path("payments/new/", views.payment_new, name="payment-new"),
    path("payments/allocations/", views.payment_allocations, name="payment-allocations"),
    path("payments/allocation-totals/", views.allocation_totals, name="allocation-totals"),
    path("payments/<int:pk>/", views.payment_detail, name="payment-detail"),
    path("payments/<int:pk>/reverse/", views.payment_reverse, name="payment-reverse"),
    path("payments/<int:pk>/refund/", views.payment_refund, name="payment-refund"),
    path("balances/<str:number>/", views.client_balance_page, name="client-balance"),
    path("balances/<str:number>/apply-credit/", views.apply_credit, name="client-apply-credit"),
    path("balances/<str:number>/history/", views.client_history, name="client-history"),
    path(
        "invoices/<str:number>/adjustments/",
        views.invoice_adjustments,
        name="invoice-adjustments",
    ),
    path(
        "invoices/<str:number>/adjustments/credit/",
        views.invoice_credit_request,
        name="invoice-credit-request",
    ),
    path(
        "invoices/<str:number>/adjustments/write-off/",
        views.invoice_write_off,
        name="invoice-write-off",
    ),
    path("receivables/approvals/", views.approvals, name="approvals"),
    path(
        "receivables/approvals/<int:pk>/approve/",
        views.approval_approve,
        name="approval-approve",
    ),
    path("receivables/approvals/<int:pk>/reject/", views.approval_reject, name="approval-reject"),
    path("receivables/policy/", views.policy, name="policy"),
    path("receivables/policy/reasons/", views.policy_reason, name="policy-reason"),
    # AR aging and client statements (receivables.aging_views)
    path("receivables/aging/", aging_views.aging_report, name="aging"),
    path("receivables/aging/invoices/", aging_views.aging_invoices, name="aging-invoices"),
    path(
        "balances/<str:number>/statement/",
        aging_views.client_statement,
        name="client-statement",
    ),
    path(
        "balances/<str:number>/statement.pdf",
        aging_views.client_statement_download,
        name="client-statement-pdf",
    ),
    path(
        "balances/<str:number>/statement/send/",
        aging_views.client_statement_send,
        name="client-statement-send",
    ),
]
