"""Pages of the latecharges app; included under the site root by lexbill/urls.py."""

from django.urls import path

from lexbill.latecharges import views

app_name = "latecharges"
urlpatterns = [
    path("late-charges/", views.late_charges, name="late-charges"),
    path("late-charges/assess/", views.assess, name="assess"),
    path("late-charges/matters/<str:number>/bill/", views.bill_matter, name="bill-matter"),
    path("late-charges/prebills/<int:pk>/", views.prebill_panel, name="prebill-panel"),
    path("late-charges/prebills/<int:pk>/add/", views.prebill_add, name="prebill-add"),
]
