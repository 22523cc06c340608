from django.urls import path

from lexbill.ebilling import views

app_name = "ebilling"

urlpatterns = [
    path("invoices/<str:number>/ledes/", views.invoice_ledes, name="invoice-ledes"),
    path(
        "invoices/<str:number>/ledes/check/", views.invoice_ledes_check, name="invoice-ledes-check"
    ),
    path("clients/<int:pk>/ebilling/", views.profile_edit, name="profile"),
    path("ledes/validate/", views.validate_upload, name="validate"),
]
