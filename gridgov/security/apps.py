from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "gridgov.security"
    label = "security"
    verbose_name = "安全与审计"

    def ready(self):
        from . import adminlog

        adminlog.install()
