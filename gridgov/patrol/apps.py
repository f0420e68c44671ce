from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolConfig(AppConfig):
    name = "gridgov.patrol"
    label = "patrol"
    verbose_name = _("每日巡查")
