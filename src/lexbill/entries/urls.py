"""Pages of the entries app; included under the site root by lexbill/urls.py."""

from django.urls import path

from lexbill.entries import views

app_name = "entries"
urlpatterns = [
    path("time/", views.time_list, name="time-list"),
    path("time/new/", views.time_new, name="time-new"),
    path("time/<int:pk>/edit/", views.time_edit, name="time-edit"),
    path("time/<int:pk>/row/", views.time_row, name="time-row"),
    path("time/bulk/", views.time_bulk, name="time-bulk"),
    path("time/bulk/undo/", views.time_bulk_undo, name="time-bulk-undo"),
    path("time/search/matters/", views.matter_search, name="matter-search"),
    path("time/search/codes/<str:kind>/", views.code_search, name="code-search"),
    path("expenses/", views.expense_list, name="expense-list"),
    path("expenses/new/", views.expense_new, name="expense-new"),
    path("expenses/<int:pk>/edit/", views.expense_edit, name="expense-edit"),
    path("expenses/<int:pk>/delete/", views.expense_delete, name="expense-delete"),
]
