"""Citizen form settings, each overridable in settings.py or the environment."""
from gridgov.conf import rate as _rate, setting as _setting


def ip_rate():
    """Reports per client IP per window ("count/seconds")."""
    return _rate(_setting("GRIDGOV_CITIZEN_IP_RATE", "5/3600"))


def phone_rate():
    """Reports per contact phone per window."""
    return _rate(_setting("GRIDGOV_CITIZEN_PHONE_RATE", "3/86400"))


def min_fill_seconds():
    """A form sent back faster than this was not filled in by a person."""
    return _setting("GRIDGOV_CITIZEN_MIN_FILL_SECONDS", 4, int)


def form_max_age_seconds():
    return _setting("GRIDGOV_CITIZEN_FORM_MAX_AGE", 6 * 3600, int)


def photo_max_bytes():
    return _setting("GRIDGOV_CITIZEN_PHOTO_MAX_BYTES", 8 * 1024 * 1024, int)


def description_max_chars():
    return _setting("GRIDGOV_CITIZEN_DESCRIPTION_MAX", 500, int)


def public_base_url():
    """Base of the URL printed in QR codes (e.g. https://grid.example.gov.cn); empty = this request's host."""
    return _setting("GRIDGOV_CITIZEN_BASE_URL", "")
