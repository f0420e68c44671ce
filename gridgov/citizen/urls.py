from django.urls import path, re_path

from . import views

app_name = "citizen"

urlpatterns = [
    re_path(r"^qr/(?P<code>[0-9]{6,15})\.(?P<fmt>svg|png)$", views.qr_code, name="qr"),
    path("posters/", views.poster_index, name="posters"),
    path("poster/<str:code>/", views.poster, name="poster"),
    path("report/<str:grid_token>/", views.report, name="report"),
    path("status/<str:number>/", views.status, name="status"),
]
