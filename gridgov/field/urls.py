from django.urls import path

from . import views

app_name = "field"
urlpatterns = [
    path("", views.report_page, name="report"),
    path("mine/", views.mine_page, name="mine"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
