from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class WorkcalConfig(AppConfig):
    name = "gridgov.workcal"
    label = "workcal"
    verbose_name = _("工作日历")

    def ready(self):
        checks.register(check_work_hours_setting, "gridgov")


def check_work_hours_setting(app_configs, **kwargs):
    """Refuse to start with malformed GRIDGOV_WORK_HOURS / GRIDGOV_WORK_TZ (the deadlines depend on them)."""
    from gridgov.core.errors import FieldError

    from .calendar import parse_work_hours, work_timezone

    errors = []
    try:
        parse_work_hours()
        work_timezone()
    except FieldError as e:
        errors.append(checks.Error(e.message_en, hint=e.message_zh, id="gridgov.E101"))
    return errors
