"""Cells of files opened in a spreadsheet (CSV, XLSX): text that a spreadsheet would run as a formula
(CSV/formula injection, OWASP) gets a leading apostrophe. Used by every export a person opens in
Excel/WPS: GIS exports, evaluation rankings, hotline error reports."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
