from django.urls import path

from lexbill.exports import views

app_name = "exports"

urlpatterns = [
    path("export/", views.home, name="home"),
    path("export/archive.zip", views.archive, name="archive"),
    path("export/workbook.xlsx", views.workbook, name="workbook"),
]
