from django.urls import path

from lexbill.audit import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.trail, name="trail"),
    path("audit/export/", views.export, name="export"),
    path("audit/verify/", views.verify, name="verify"),
]
