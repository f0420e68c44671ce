from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BacklogConfig(AppConfig):
    name = "gridgov.backlog"
    label = "backlog"
    verbose_name = _("积案化解")
