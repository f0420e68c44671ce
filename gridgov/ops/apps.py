from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "gridgov.ops"
    verbose_name = "运维"
