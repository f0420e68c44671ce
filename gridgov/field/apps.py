from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    """The grid worker's mobile pages (report a case, my cases, offline outbox)."""

    name = "gridgov.field"
    label = "field"
    verbose_name = _("网格员移动端")
