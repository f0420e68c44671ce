"""Case photos: check an upload, re-encode it for display without EXIF, read EXIF position and time.

Everything here works on bytes in memory and writes nothing: a bad photo is refused before any
file or row exists. actions.do_create_case stores the results.
"""
import hashlib
import io
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from gridgov.core.errors import FieldError

from . import conf

ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "HEIF": "heic"}
DISPLAY_QUALITY = 82
THUMB_QUALITY = 75

# EXIF tags (Pillow's ExifTags numbers)
_IFD_EXIF = 0x8769
_IFD_GPS = 0x8825
_TAG_DATETIME = 306
_TAG_DATETIME_ORIGINAL = 36867
_TAG_OFFSET_TIME_ORIGINAL = 36881
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4
_GPS_TIME, _GPS_DATE = 7, 29
_TAG_ORIENTATION = 0x0112
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


@dataclass
class ProcessedPhoto:
    field: str
    original: bytes
    original_name: str
    original_format: str  # jpg / png / heic
    display: bytes  # JPEG, no EXIF
    thumbnail: bytes
    width: int
    height: int
    sha256: str
    exif_lonlat: tuple | None = None  # WGS-84 (what phone GPS records)
    exif_taken_at: datetime | None = None
    distance_m: float | None = None
    time_offset_s: int | None = None
    flags: list = field(default_factory=list)


def _label(field, index):
    return (f"第 {index + 1} 张照片（{field}）", f"photo {index + 1} ({field})")


def process_upload(upload, field="photos", index=0):
    """Check one uploaded file (Django UploadedFile) and prepare it; raises FieldError naming the field."""
    zh, en = _label(field, index)
    limit = conf.photo_max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise FieldError(field, "too_large",
                         f"{zh}太大：{size / 1048576:.1f} MB，上限 {limit / 1048576:.0f} MB",
                         f"{en} is too large: {size / 1048576:.1f} MB, the limit is {limit / 1048576:.0f} MB",
                         index=index)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise FieldError(field, "too_large", f"{zh}超过 {limit / 1048576:.0f} MB 上限",
                         f"{en} exceeds the {limit / 1048576:.0f} MB limit", index=index)
    if not data:
        raise FieldError(field, "empty_file", f"{zh}是空文件", f"{en} is an empty file", index=index)
    return process_bytes(data, getattr(upload, "name", "") or "", field, index)


def process_bytes(data, name="", field="photos", index=0):
    zh, en = _label(field, index)
    accepted = "JPEG、PNG、HEIC"
    try:
        img = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise FieldError(field, "not_an_image", f"{zh}不是可识别的图片，只接受 {accepted}",
                         f"{en} is not a readable image; JPEG, PNG or HEIC accepted", index=index)
    if img.format not in ACCEPTED_FORMATS:
        raise FieldError(field, "unsupported_format", f"{zh}格式 {img.format} 不受支持，只接受 {accepted}",
                         f"{en}: format {img.format} is not accepted; JPEG, PNG or HEIC only", index=index)
    max_pixels = conf.photo_max_pixels()
    if img.width * img.height > max_pixels:
        raise FieldError(field, "too_many_pixels",
                         f"{zh}像素过多（{img.width}×{img.height}），上限 {max_pixels // 1_000_000} 百万像素",
                         f"{en} has too many pixels ({img.width}×{img.height}); "
                         f"the limit is {max_pixels // 1_000_000} megapixels", index=index)
    original_format = ACCEPTED_FORMATS[img.format]
    exif = img.getexif()
    try:
        display, thumb, size = _reencode(img, exif)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise FieldError(field, "corrupt_image", f"{zh}已损坏，无法解码", f"{en} is corrupt and cannot be decoded",
                         index=index)
    return ProcessedPhoto(
        field=field, original=data, original_name=name[:255], original_format=original_format,
        display=display, thumbnail=thumb, width=size[0], height=size[1],
        sha256=hashlib.sha256(data).hexdigest(),
        exif_lonlat=exif_lonlat(exif), exif_taken_at=exif_taken_at(exif),
    )


def _reencode(img, exif):
    side = conf.photo_display_max_side()
    if img.format == "JPEG":
        # Let the JPEG decoder scale by 1/2, 1/4 or 1/8 while decoding: much faster for phone photos.
        # (draft keeps both sides >= the size asked, so ask for the aspect-correct target)
        ratio = side / max(img.size)
        if ratio < 1:
            img.draft("RGB", (max(1, int(img.width * ratio)), max(1, int(img.height * ratio))))
    orientation = exif.get(_TAG_ORIENTATION)
    img = img.convert("RGB") if img.mode != "RGB" else img
    img.thumbnail((side, side), Image.Resampling.LANCZOS)
    if orientation in _TRANSPOSE:
        img = img.transpose(_TRANSPOSE[orientation])  # the display copy is upright, no tag needed
    out = io.BytesIO()
    # No exif= argument: the display copy carries no metadata at all (no GPS, no device serial).
    img.save(out, "JPEG", quality=DISPLAY_QUALITY)
    thumb = img.copy()
    t = conf.photo_thumb_max_side()
    thumb.thumbnail((t, t), Image.Resampling.BILINEAR)
    tout = io.BytesIO()
    thumb.save(tout, "JPEG", quality=THUMB_QUALITY)
    return out.getvalue(), tout.getvalue(), img.size


def _rational(value):
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        if isinstance(value, tuple) and len(value) == 2 and value[1]:
            return value[0] / value[1]
        raise ValueError(value)


def _dms(values):
    d, m, s = (_rational(v) for v in values)
    return d + m / 60 + s / 3600


def _ifd(exif, tag):
    """A sub-IFD as a dict ({} when absent or malformed: common in the wild)."""
    try:
        found = exif.get_ifd(tag)
    except Exception:
        found = {}
    if not found and isinstance(exif.get(tag), dict):  # an Exif built in memory, not read from a file
        found = exif.get(tag)
    return found or {}


def exif_lonlat(exif):
    """(lon, lat) from the GPS IFD, or None when absent or unusable."""
    gps = _ifd(exif, _IFD_GPS)
    if not gps or _GPS_LAT not in gps or _GPS_LON not in gps:
        return None
    try:
        lat, lon = _dms(gps[_GPS_LAT]), _dms(gps[_GPS_LON])
    except (ValueError, TypeError, ZeroDivisionError):
        return None
    if str(gps.get(_GPS_LAT_REF, "N")).upper().startswith("S"):
        lat = -lat
    if str(gps.get(_GPS_LON_REF, "E")).upper().startswith("W"):
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0) or math.isnan(lat + lon):
        return None
    return lon, lat


def _parse_exif_datetime(text):
    try:
        return datetime.strptime(str(text).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _parse_offset(text):
    text = str(text or "").strip("\x00 ")
    if len(text) == 6 and text[0] in "+-" and text[3] == ":":
        try:
            minutes = int(text[1:3]) * 60 + int(text[4:6])
        except ValueError:
            return None
        return dt_timezone(timedelta(minutes=minutes if text[0] == "+" else -minutes))
    return None


def exif_taken_at(exif):
    """When the photo was taken, timezone-aware, or None.

    DateTimeOriginal with its OffsetTimeOriginal when the camera wrote one; else the GPS UTC stamp;
    else DateTimeOriginal read as local time (settings.TIME_ZONE, the county's time).
    """
    sub, gps = _ifd(exif, _IFD_EXIF), _ifd(exif, _IFD_GPS)
    local = _parse_exif_datetime(sub.get(_TAG_DATETIME_ORIGINAL) or exif.get(_TAG_DATETIME) or "")
    offset = _parse_offset(sub.get(_TAG_OFFSET_TIME_ORIGINAL))
    if local and offset:
        return local.replace(tzinfo=offset)
    if _GPS_DATE in gps and _GPS_TIME in gps:
        try:
            day = datetime.strptime(str(gps[_GPS_DATE]).strip("\x00 "), "%Y:%m:%d")
            h, m, s = (_rational(v) for v in gps[_GPS_TIME])
            return (day + timedelta(hours=h, minutes=m, seconds=s)).replace(tzinfo=dt_timezone.utc)
        except (ValueError, TypeError, ZeroDivisionError):
            pass
    if local:
        return local.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return None


def metres_between(lon1, lat1, lon2, lat2):
    """Great-circle distance (haversine, mean Earth radius): plenty for a 'hundreds of metres' check."""
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def compare_with_report(photo, lon, lat, reported_time):
    """Fill distance/time offset and flags of a photo against the case's WGS-84 point and time."""
    photo.flags = []
    if photo.exif_lonlat is not None:
        photo.distance_m = round(metres_between(lon, lat, *photo.exif_lonlat), 1)
        limit = conf.photo_max_distance_m()
        if photo.distance_m > limit:
            photo.flags.append({"code": "photo_far_from_point", "field": photo.field,
                                "distance_m": photo.distance_m, "limit_m": limit})
    if photo.exif_taken_at is not None and reported_time is not None:
        photo.time_offset_s = int((photo.exif_taken_at - reported_time).total_seconds())
        limit = conf.photo_max_time_offset_s()
        if abs(photo.time_offset_s) > limit:
            photo.flags.append({"code": "photo_time_mismatch", "field": photo.field,
                                "offset_s": photo.time_offset_s, "limit_s": limit})
    return photo.flags


FLAG_LABELS = {
    "photo_far_from_point": ("照片拍摄位置与上报位置相距过远", "photo taken far from the reported point"),
    "photo_time_mismatch": ("照片拍摄时间与上报时间相差过大", "photo taken long before or after the report"),
}
