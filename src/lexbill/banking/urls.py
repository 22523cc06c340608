"""Pages of the banking app; included under the site root by lexbill/urls.py."""

from django.urls import path

from lexbill.banking import views

app_name = "banking"
urlpatterns = [
    path("bank/", views.home, name="home"),
    path("bank/accounts/new/", views.account_new, name="account-new"),
    path("bank/import/", views.upload, name="import"),
    path("bank/imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("bank/queue/", views.queue, name="queue"),
    path("bank/queue/rematch/", views.rematch, name="rematch"),
    path("bank/transactions/<int:pk>/match/", views.match, name="match"),
    path("bank/transactions/<int:pk>/ignore/", views.ignore_line, name="ignore"),
    path("bank/post/", views.post, name="post"),
]
