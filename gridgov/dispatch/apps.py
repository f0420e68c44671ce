from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "gridgov.dispatch"
    label = "dispatch"
    verbose_name = _("吹哨报到与派遣")
