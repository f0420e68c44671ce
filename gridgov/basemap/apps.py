from django.apps import AppConfig


class BasemapConfig(AppConfig):
    name = "gridgov.basemap"
    label = "basemap"
    verbose_name = "离线底图"
