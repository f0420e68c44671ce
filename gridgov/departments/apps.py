from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DepartmentsConfig(AppConfig):
    name = "gridgov.departments"
    label = "departments"
    verbose_name = _("部门")
