from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The responders' and the command centre's pages (/console/), and the grid worker's verification."""

    name = "gridgov.console"
    label = "console"
    verbose_name = _("办理与指挥页面")
