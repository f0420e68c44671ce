"""Case settings, each overridable in settings.py or the environment (defaults here, not in settings.py)."""
from pathlib import Path

from django.conf import settings

from gridgov.conf import setting as _setting


def private_media_root():
    """Where original uploads are kept: outside MEDIA_ROOT, never served by URL."""
    return Path(_setting("GRIDGOV_PRIVATE_MEDIA_ROOT", settings.BASE_DIR / "var" / "private", Path))


def photo_max_bytes():
    return _setting("GRIDGOV_PHOTO_MAX_BYTES", 15 * 1024 * 1024, int)


def photo_max_pixels():
    return _setting("GRIDGOV_PHOTO_MAX_PIXELS", 60_000_000, int)


def photo_max_count():
    return _setting("GRIDGOV_PHOTO_MAX_COUNT", 6, int)


def photo_display_max_side():
    return _setting("GRIDGOV_PHOTO_DISPLAY_MAX_SIDE", 1600, int)


def photo_thumb_max_side():
    return _setting("GRIDGOV_PHOTO_THUMB_MAX_SIDE", 320, int)


def photo_max_distance_m():
    """A photo whose EXIF position is farther than this from the reported point flags the case."""
    return _setting("GRIDGOV_PHOTO_MAX_DISTANCE_M", 300.0, float)


def photo_max_time_offset_s():
    """A photo whose EXIF time is farther than this from the reported time flags the case."""
    return _setting("GRIDGOV_PHOTO_MAX_TIME_OFFSET_S", 2 * 3600, int)


def photo_required_channels():
    """Channels whose reports need at least one on-site photo (a grid worker on patrol takes one)."""
    value = _setting("GRIDGOV_PHOTO_REQUIRED_CHANNELS", "grid_patrol")
    return set(value.split(",") if isinstance(value, str) else value) - {""}


def max_clock_skew_s():
    """Client times further in the future than this are refused (a phone with a wrong clock)."""
    return _setting("GRIDGOV_CASE_MAX_CLOCK_SKEW_S", 600, int)
