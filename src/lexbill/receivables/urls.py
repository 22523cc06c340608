"""Pages of the receivables app; included under the site root by lexbill/urls.py."""

from django.urls import path

from lexbill.receivables import views

app_name = "receivables"
urlpatterns = [
    path("payments/", views.payment_list, name="payment-list"),
    path("payments/new/", views.payment_new, name="payment-new"),
    path("payments/allocations/", views.payment_allocations, name="payment-allocations"),
    path("payments/allocation-totals/", views.allocation_totals, name="allocation-totals"),
    path("balances/<str:number>/", views.client_balance_page, name="client-balance"),
    path("balances/<str:number>/apply-credit/", views.apply_credit, name="client-apply-credit"),
]
