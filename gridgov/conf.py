"""Reading a gridgov setting: settings.py first, then the environment, then the default."""
import os

from django.conf import settings


def setting(name, default, cast=str):
    if hasattr(settings, name):
        return getattr(settings, name)
    if name in os.environ:
        return cast(os.environ[name])
    return default


def rate(value):
    """"30/60" → (30 requests, 60 seconds)."""
    count, seconds = str(value).split("/")
    return int(count), int(seconds)
