"""Deploy posture: production start-up checks, login lockout, CSP helpers and the admin audit.

Imported by settings.py (startup), so this package's __init__ imports nothing from Django.
"""
