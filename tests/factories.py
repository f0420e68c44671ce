"""Build grid hierarchies and users in code (no fixtures files)."""
from django.contrib.gis.geos import MultiPolygon, Polygon

from gridgov.accounts.models import Role, User
from gridgov.grids.actions import UnitInput, do_upsert_units


def box(x0, y0, x1, y1):
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4326)


def page_client(user):
    """A Django test client signed in as `user` (session), for HTML pages."""
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def api_client(user=None):
    """A DRF test client authenticated as `user` (anonymous when None), for the API."""
    from rest_framework.test import APIClient

    c = APIClient()
    if user is not None:
        c.force_authenticate(user)
    return c


def make_user(username, role=Role.GRID_WORKER, **kw):
    return User.objects.create_user(username=username, password="pw-" + username, role=role, **kw)


def build_small_county(county="320831", x0=119.0, y0=33.0):
    """A 2×2 km-ish county: one town, two communities, each with two grids (a 2×2 block of cells).

    Layout (0.01° cells):        grid codes
        +-----+-----+           ...001001001 | ...001001002   (community 001, north row)
        |  A1 |  A2 |           ...001002001 | ...001002002   (community 002, south row)
        +-----+-----+
        |  B1 |  B2 |
        +-----+-----+
    """
    d = 0.01
    town = county + "101"
    c1, c2 = town + "001", town + "002"
    units = [
        UnitInput(county, "测试县", box(x0, y0, x0 + 2 * d, y0 + 2 * d)),
        UnitInput(town, "测试镇", box(x0, y0, x0 + 2 * d, y0 + 2 * d)),
        UnitInput(c1, "北村", box(x0, y0 + d, x0 + 2 * d, y0 + 2 * d)),
        UnitInput(c2, "南村", box(x0, y0, x0 + 2 * d, y0 + d)),
        UnitInput(c1 + "001", "北村一网格", box(x0, y0 + d, x0 + d, y0 + 2 * d)),
        UnitInput(c1 + "002", "北村二网格", box(x0 + d, y0 + d, x0 + 2 * d, y0 + 2 * d)),
        UnitInput(c2 + "001", "南村一网格", box(x0, y0, x0 + d, y0 + d)),
        UnitInput(c2 + "002", "南村二网格", box(x0 + d, y0, x0 + 2 * d, y0 + d)),
    ]
    do_upsert_units(units, source="tests")
    return units


# --- cases (issue 3) -------------------------------------------------------------------------------

def make_photo(lonlat=None, taken_at=None, fmt="JPEG", size=(64, 48), orientation=None, name=None):
    """An in-memory upload of a small generated image, with EXIF GPS / DateTimeOriginal if asked.

    taken_at: aware datetime, written as local Asia/Shanghai time with OffsetTimeOriginal.
    """
    import io
    from zoneinfo import ZoneInfo

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    def dms(value):
        value = abs(value)
        d = int(value)
        m = int((value - d) * 60)
        s = (value - d - m / 60) * 3600
        return (IFDRational(d, 1), IFDRational(m, 1), IFDRational(round(s * 10000), 10000))

    exif = Image.Exif()
    if lonlat is not None:
        lon, lat = lonlat
        exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}
    if taken_at is not None:
        local = taken_at.astimezone(ZoneInfo("Asia/Shanghai"))
        exif[0x8769] = {36867: local.strftime("%Y:%m:%d %H:%M:%S"), 36881: "+08:00"}
    if orientation:
        exif[0x0112] = orientation
    img = Image.new("RGB", size, (180, 120, 40))
    buf = io.BytesIO()
    img.save(buf, fmt, exif=exif.tobytes())
    ext = {"JPEG": "jpg", "PNG": "png", "HEIF": "heic"}[fmt]
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "HEIF": "image/heic"}[fmt]
    return SimpleUploadedFile(name or f"photo.{ext}", buf.getvalue(), content_type=content_type)


def seed_test_categories():
    from gridgov.cases.categories import seed_categories
    from gridgov.cases.selectors import forget_categories

    forget_categories()  # a previous test's rolled-back categories must not linger in the process cache
    return seed_categories()


def make_case(reporter, lon=119.005, lat=33.015, category="E0101", photos=None, **fields):
    """A case through the real action (locate, audit trail); photos default to none (channel other)."""
    import uuid

    from gridgov.cases.actions import do_create_case
    from gridgov.cases.inputs import CaseInput

    fields.setdefault("channel", "other")
    fields.setdefault("client_uuid", uuid.uuid4())
    inp = CaseInput(lon=lon, lat=lat, category=category, photos=photos or [], **fields)
    if inp.reported_at is None:
        from django.utils import timezone

        inp.reported_at = timezone.now()
    return do_create_case(reporter, inp).case
