from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GisexportConfig(AppConfig):
    name = "gridgov.gisexport"
    verbose_name = _("GIS导出")
