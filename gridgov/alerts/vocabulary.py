"""The words the warning rules are written in — defined once, here, from the Python enums.

The Python side (gridgov.alerts.warnings, jobs, the console, the map wall) imports these names; the SQL
side (gridgov/alerts/sql/*.sql, maps/sql/*.sql) writes {{NAME}} where it needs one, and gridgov.dbsql fills
it in from sql_vocabulary() when it applies the files. So a state, role, colour or unit renamed in its
enum changes both sides at once, and a quoted literal retyped in a .sql file fails
tests/test_sql_vocabulary.py.
"""
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Status, WarningColour
from gridgov.departments.models import Kind
from gridgov.dispatch.models import RELEASED_STATES, Role, State
from gridgov.workcal.models import LimitUnit

# Deadline level of a stage, worst last (rank = index).
LEVELS = ("none", "ok", "near", "overdue")
LEVEL_LABELS = {"none": "", "ok": _("正常"), "near": _("临近超期"), "overdue": _("已超期")}

# 四色预警, mildest first (rank = index + 1).
COLOURS = (WarningColour.BLUE.value, WarningColour.YELLOW.value, WarningColour.ORANGE.value,
           WarningColour.RED.value)
COLOUR_LABELS = {"blue": _("蓝色"), "yellow": _("黄色"), "orange": _("橙色"), "red": _("红色")}
COLOUR_MEANINGS = {"blue": _("咨询类"), "yellow": _("多部门协同"), "orange": _("涉法涉诉"), "red": _("投诉举报")}

# The 签收 stage runs while a dispatch waits to be accepted; the 办结反馈 stage from the whistle until the
# department feeds back (not while suspended, not after feedback).
ACCEPT_STATES = (State.WHISTLED.value,)
FEEDBACK_STATES = (State.WHISTLED.value, State.ACCEPTED.value, State.IN_PROGRESS.value, State.REWORK.value)
# Departments that handle a case (reminded, escalated, counted for the multi-department colour).
HANDLER_ROLES = (Role.LEAD.value, Role.ASSIST.value)
# A case no longer open on the map wall.
CLOSED_CASE_STATUSES = (Status.CLOSED.value, Status.MERGED.value)
WORK_UNITS = (LimitUnit.WORK_HOURS.value, LimitUnit.WORK_DAYS.value)


def _literal(value):
    return "'" + str(value).replace("'", "''") + "'"


def _list(values):
    return ", ".join(_literal(v) for v in values)


def sql_vocabulary():
    """{NAME: SQL text} for the {{NAME}} placeholders of the .sql files: single values as quoted literals,
    sets as comma-separated literals (written inside IN (...) or ARRAY[...])."""
    words = {}
    for enum, prefix in ((State, "STATE"), (Role, "ROLE"), (Kind, "KIND"), (LimitUnit, "UNIT"),
                         (Status, "STATUS"), (WarningColour, "COLOUR")):
        for member in enum:
            words[f"{prefix}_{member.name}"] = _literal(member.value)
    for i, level in enumerate(LEVELS):
        words[f"LEVEL_{level.upper()}"] = _literal(level)
    words.update({
        "LEVELS": _list(LEVELS),
        "COLOURS": _list(COLOURS),
        "ACCEPT_STATES": _list(ACCEPT_STATES),
        "FEEDBACK_STATES": _list(FEEDBACK_STATES),
        "RELEASED_STATES": _list(RELEASED_STATES),
        "HANDLER_ROLES": _list(HANDLER_ROLES),
        "CLOSED_CASE_STATUSES": _list(CLOSED_CASE_STATUSES),
        "WORK_UNITS": _list(WORK_UNITS),
    })
    return words
