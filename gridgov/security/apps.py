from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "gridgov.security"
    label = "security"
    verbose_name = "安全与审计"

    def ready(self):
        from axes.signals import user_locked_out

        from . import adminlog, lockout

        adminlog.install()
        user_locked_out.connect(lockout.log_lockout, dispatch_uid="gridgov.security.log_lockout")
