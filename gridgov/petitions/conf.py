"""The statutory clocks of 《信访工作条例》(2022) as settings, in calendar days (日), counted by
gridgov.workcal.deadlines.add_statutory_days (day of receipt not counted; a last day on a holiday moves to
the next working day). Defaults are the regulation's; a county with stricter local rules sets its own.

    GRIDGOV_PETITION_NOTICE_DAYS    15  written notice of acceptance (or not) within 15 days of receipt
    GRIDGOV_PETITION_HANDLING_DAYS  60  handled within 60 days of acceptance
    GRIDGOV_PETITION_EXTENSION_DAYS 30  extendable by at most 30 days with the unit head's approval
    GRIDGOV_PETITION_REVIEW_REQUEST_DAYS  30  复查 asked within 30 days of the reply, 复核 of the 复查 opinion
    GRIDGOV_PETITION_REVIEW_DECISION_DAYS 30  复查/复核 opinion within 30 days of the request
    GRIDGOV_PETITION_NEAR_DAYS       3  the desk queue marks a clock "near" this many days before it runs out

(The figures are those domain.md cites from the regulation; the article numbers were not checked here
against the official text.)
"""
from django.conf import settings

DEFAULTS = {"NOTICE_DAYS": 15, "HANDLING_DAYS": 60, "EXTENSION_DAYS": 30, "NEAR_DAYS": 3, "REVIEW_REQUEST_DAYS": 30,
            "REVIEW_DECISION_DAYS": 30}


def days(name):
    return int(getattr(settings, f"GRIDGOV_PETITION_{name}", DEFAULTS[name]))
