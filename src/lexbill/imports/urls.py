"""Pages of the imports app; included under the site root by lexbill/urls.py."""

from django.urls import path

from lexbill.imports import views

app_name = "imports"
urlpatterns = [
    path("imports/", views.home, name="home"),
    path("imports/<int:pk>/mapping/", views.mapping, name="mapping"),
    path("imports/<int:pk>/", views.batch_detail, name="batch"),
    path("imports/<int:pk>/commit/", views.commit, name="commit"),
    path("imports/<int:pk>/check/", views.recheck, name="check"),
]
