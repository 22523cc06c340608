"""Pages of the disputes app; included under the site root by lexbill/urls.py."""

from django.urls import path

from lexbill.disputes import views

app_name = "disputes"
urlpatterns = [
    path("disputes/", views.dispute_list, name="dispute-list"),
    path("disputes/<int:pk>/", views.dispute_detail, name="dispute-detail"),
    path("disputes/<int:pk>/assign/", views.dispute_assign, name="dispute-assign"),
    path("disputes/<int:pk>/note/", views.dispute_note, name="dispute-note"),
    path("disputes/<int:pk>/review/", views.dispute_review, name="dispute-review"),
    path("disputes/<int:pk>/resolve/", views.dispute_resolve, name="dispute-resolve"),
    path("disputes/<int:pk>/reopen/", views.dispute_reopen, name="dispute-reopen"),
    path("invoices/<str:number>/disputes/new/", views.dispute_new, name="dispute-new"),
]
