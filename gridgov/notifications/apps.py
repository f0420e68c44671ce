from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "gridgov.notifications"
    label = "notifications"
    verbose_name = _("通知")

    def ready(self):
        from django.core import checks

        checks.register(check_channels, "gridgov")


def check_channels(app_configs, **kwargs):
    """Refuse to start with a GRIDGOV_NOTIFICATION_CHANNELS entry that cannot be imported."""
    from gridgov.core.errors import FieldError

    from .channels import load_channels

    try:
        load_channels()
    except FieldError as e:
        return [checks_error(e)]
    return []


def checks_error(e):
    from django.core import checks

    return checks.Error(e.message_en, hint=e.message_zh, id="gridgov.E201")
