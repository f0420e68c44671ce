"""Warning thresholds and colours, from Django settings (all optional; defaults below).

GRIDGOV_WARNING_NEAR_FRACTION      near-overdue (临近超期) once the time left in a stage is at most this
                                   fraction of the stage's limit (default 0.25: the last quarter).
                                   Time left is counted like the limit: working minutes for work_hours /
                                   work_days limits, wall-clock minutes for minutes / hours limits.
GRIDGOV_WARNING_NEAR_MIN_MINUTES   ... or at most this many minutes, whichever is larger (default 0).
GRIDGOV_WARNING_DEFAULT_COLOUR     colour of a case whose category (and its group) has none (default blue).
GRIDGOV_WARNING_MULTI_DEPT_COLOUR  at least this colour once two or more departments handle the case
                                   (lead + assists; default yellow, "" to turn off).
GRIDGOV_WARNING_DIVERSION_COLOUR   at least this colour once the case is diverted to courts, arbitration
                                   or administrative review (default orange, "" to turn off).
GRIDGOV_ALERTS_SWEEP_CRON          how often the background sweep runs (default every minute).
"""
from django.conf import settings

from gridgov.core.errors import FieldError

COLOURS = ("blue", "yellow", "orange", "red")


def _colour(name, default, allow_empty=True):
    value = getattr(settings, name, default)
    value = (value or "").strip().lower()
    if value == "" and allow_empty:
        return ""
    if value not in COLOURS:
        raise FieldError(name, "invalid_colour", f"{name} 应为 {'/'.join(COLOURS)} 之一，而不是 {value!r}",
                         f"{name} must be one of {', '.join(COLOURS)}, not {value!r}")
    return value


def near_fraction():
    value = float(getattr(settings, "GRIDGOV_WARNING_NEAR_FRACTION", 0.25))
    if not 0 <= value <= 1:
        raise FieldError("GRIDGOV_WARNING_NEAR_FRACTION", "out_of_range", "临近超期比例应在 0 到 1 之间",
                         "GRIDGOV_WARNING_NEAR_FRACTION must be between 0 and 1")
    return value


def near_min_minutes():
    value = float(getattr(settings, "GRIDGOV_WARNING_NEAR_MIN_MINUTES", 0))
    if value < 0:
        raise FieldError("GRIDGOV_WARNING_NEAR_MIN_MINUTES", "out_of_range", "临近超期最少提前分钟数不能为负",
                         "GRIDGOV_WARNING_NEAR_MIN_MINUTES must not be negative")
    return value


def default_colour():
    return _colour("GRIDGOV_WARNING_DEFAULT_COLOUR", "blue", allow_empty=False)


def multi_dept_colour():
    return _colour("GRIDGOV_WARNING_MULTI_DEPT_COLOUR", "yellow")


def diversion_colour():
    return _colour("GRIDGOV_WARNING_DIVERSION_COLOUR", "orange")


def sweep_cron():
    return getattr(settings, "GRIDGOV_ALERTS_SWEEP_CRON", "* * * * *")


def values():
    """The settings mirrored into alerts_warningconfig for the SQL functions."""
    return {"near_fraction": near_fraction(), "near_min_minutes": near_min_minutes(),
            "default_colour": default_colour(), "multi_colour": multi_dept_colour(),
            "diversion_colour": diversion_colour()}
