"""Pages of the clients app; included under the site root by lexbill/urls.py."""

from django.urls import path

from lexbill.clients import views

app_name = "clients"
urlpatterns = [
    path("clients/", views.client_list, name="client-list"),
    path("clients/new/", views.client_new, name="client-new"),
    path("clients/<int:pk>/", views.client_detail, name="client-detail"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client-edit"),
    path("clients/<int:pk>/matters/new/", views.matter_new, name="matter-new"),
    path("matters/<int:pk>/", views.matter_detail, name="matter-detail"),
    path("matters/<int:pk>/edit/", views.matter_edit, name="matter-edit"),
    path("matters/<int:pk>/close/", views.matter_close, name="matter-close"),
    path("matters/<int:pk>/rates/", views.matter_rate_new, name="matter-rate-new"),
]
