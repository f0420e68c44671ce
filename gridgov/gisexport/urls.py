from django.urls import path

from . import api

urlpatterns = [
    path("export/cases.<str:fmt>", api.CaseExportView.as_view(), name="export-cases"),
    path("export/grids.<str:fmt>", api.GridExportView.as_view(), name="export-grids"),
]
