import hashlib
import io
import uuid
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from rest_framework.test import APIClient

from gridgov.accounts.models import Role
from gridgov.cases import photos
from gridgov.cases.models import Case, CasePhoto
from tests.factories import make_photo, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LON, LAT = 119.005, 33.015  # 北村一网格
NOW = timezone.now().replace(microsecond=0)


def send(api, photo_list, **over):
    data = {"client_uuid": str(uuid.uuid4()), "lon": LON, "lat": LAT, "category": "E0101",
            "occurred_at": NOW.isoformat(), "reported_at": NOW.isoformat(), "photos": photo_list}
    data.update(over)
    return api.post("/api/v1/cases/", data, format="multipart")


def metres_east(lon, lat, metres):
    from math import cos, radians

    return lon + metres / (111_320 * cos(radians(lat))), lat


def test_a_photo_taken_at_the_point_and_time_raises_no_flag(api, county, categories, media):
    r = send(api, [make_photo((LON, LAT), NOW)])
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["flags"] == []
    p = body["photos"][0]
    assert p["distance_m"] < 1 and p["time_offset_s"] == 0
    assert p["exif_point"] == [pytest.approx(LON, abs=1e-6), pytest.approx(LAT, abs=1e-6)]


def test_a_photo_taken_far_away_flags_the_case_but_is_accepted(api, county, categories, media):
    r = send(api, [make_photo(metres_east(LON, LAT, 2000), NOW)])
    assert r.status_code == 201
    flags = r.json()["flags"]
    assert [f["code"] for f in flags] == ["photo_far_from_point"]
    assert 1990 < flags[0]["distance_m"] < 2010 and flags[0]["limit_m"] == 300
    assert flags[0]["message"] == "照片拍摄位置与上报位置相距过远" and flags[0]["message_en"]
    assert Case.objects.get().flags[0]["code"] == "photo_far_from_point"


def test_a_photo_taken_hours_before_flags_the_case(api, county, categories, media):
    r = send(api, [make_photo((LON, LAT), NOW - timedelta(hours=5))])
    assert r.status_code == 201
    (flag,) = r.json()["flags"]
    assert flag["code"] == "photo_time_mismatch" and flag["offset_s"] == -5 * 3600


def test_the_distance_and_time_limits_are_settings(api, county, categories, media, settings):
    settings.GRIDGOV_PHOTO_MAX_DISTANCE_M = 5000
    settings.GRIDGOV_PHOTO_MAX_TIME_OFFSET_S = 6 * 3600
    r = send(api, [make_photo(metres_east(LON, LAT, 2000), NOW - timedelta(hours=5))])
    assert r.json()["flags"] == []
    settings.GRIDGOV_PHOTO_MAX_DISTANCE_M = 100
    r = send(api, [make_photo(metres_east(LON, LAT, 150), NOW)])
    assert [f["code"] for f in r.json()["flags"]] == ["photo_far_from_point"]


def test_a_photo_without_exif_raises_no_flag(api, county, categories, media):
    body = send(api, [make_photo()]).json()
    assert body["flags"] == []
    assert body["photos"][0]["exif_point"] is None and body["photos"][0]["distance_m"] is None


def test_a_gcj02_report_is_compared_in_wgs84(api, county, categories, media):
    from geodata.datums import from_wgs84

    glon, glat = from_wgs84(LON, LAT, "gcj02")  # a few hundred metres off in raw numbers
    r = send(api, [make_photo((LON, LAT), NOW)], lon=glon, lat=glat, datum="gcj02")
    assert r.status_code == 201 and r.json()["flags"] == []
    assert r.json()["photos"][0]["distance_m"] < 5


def test_the_worst_photo_flags_and_each_photo_keeps_its_own_figures(api, county, categories, media):
    r = send(api, [make_photo((LON, LAT), NOW), make_photo(metres_east(LON, LAT, 800), NOW)])
    body = r.json()
    assert [f["code"] for f in body["flags"]] == ["photo_far_from_point"]
    assert sorted(round(p["distance_m"], -2) for p in body["photos"]) == [0, 800]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "HEIF"])
def test_jpeg_png_and_heic_are_accepted_and_shown_as_jpeg_without_exif(api, county, categories, media, fmt):
    upload = make_photo((LON, LAT), NOW, fmt=fmt)
    raw = upload.read()
    upload.seek(0)
    r = send(api, [upload])
    assert r.status_code == 201, r.content
    photo = CasePhoto.objects.get()
    display = Image.open(photo.image.path)
    assert display.format == "JPEG" and dict(display.getexif()) == {}
    assert photo.original_format == {"JPEG": "jpg", "PNG": "png", "HEIF": "heic"}[fmt]
    with photo.original.open("rb") as f:
        kept = f.read()
    assert kept == raw and photo.sha256 == hashlib.sha256(raw).hexdigest()  # the original, EXIF and all
    assert r.json()["photos"][0]["distance_m"] < 1  # EXIF read from HEIC and PNG too


def test_the_display_copy_is_upright_and_no_larger_than_the_limit(api, county, categories, media):
    r = send(api, [make_photo(size=(3000, 2000), orientation=6)])
    p = r.json()["photos"][0]
    assert (p["width"], p["height"]) == (1067, 1600)  # rotated 90°, long side 1600
    assert max(Image.open(CasePhoto.objects.get().thumbnail.path).size) == 320


@pytest.mark.parametrize("content,name,code", [
    (b"%PDF-1.4 not a photo", "scan.pdf", "not_an_image"),
    (b"", "empty.jpg", "empty_file"),
])
def test_a_file_that_is_not_an_image_is_refused_naming_the_field(api, county, categories, media, content, name,
                                                                  code):
    r = send(api, [make_photo(), SimpleUploadedFile(name, content)])
    assert r.status_code == 400
    err = r.json()["errors"][0]
    assert (err["field"], err["code"], err["index"]) == ("photos", code, 1)
    assert Case.objects.count() == 0


def test_a_gif_is_refused_as_an_unsupported_format(api, county, categories, media):
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "GIF")
    r = send(api, [SimpleUploadedFile("a.gif", buf.getvalue())])
    err = r.json()["errors"][0]
    assert r.status_code == 400 and err["code"] == "unsupported_format" and "GIF" in err["message"]


def test_a_photo_over_the_size_limit_is_refused_with_the_sizes(api, county, categories, media, settings):
    settings.GRIDGOV_PHOTO_MAX_BYTES = 2 * 1024 * 1024
    big = make_photo(size=(4000, 3000))
    big = SimpleUploadedFile("big.jpg", big.read() + b"\0" * (3 * 1024 * 1024))
    r = send(api, [big], after_photos=[])
    err = r.json()["errors"][0]
    assert r.status_code == 400 and (err["field"], err["code"]) == ("photos", "too_large")
    assert "2 MB" in err["message"] and "limit is 2 MB" in err["message_en"]


def test_after_photos_are_named_in_errors(api, county, categories, media):
    r = send(api, [make_photo()], resolved_on_spot="true", resolution_note="已处理",
             after_photos=[SimpleUploadedFile("x.jpg", b"junk")])
    assert r.json()["errors"][0]["field"] == "after_photos"


def test_more_than_six_photos_are_refused(api, county, categories, media):
    r = send(api, [make_photo() for _ in range(7)])
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "too_many"


def test_the_original_is_for_the_command_centre_only(api, county, categories, media):
    number = send(api, [make_photo((LON, LAT), NOW)]).json()["number"]
    photo = CasePhoto.objects.get()
    url = f"/api/v1/cases/{number}/photos/{photo.pk}/original/"
    assert api.get(url).status_code == 403
    dispatcher = APIClient()
    dispatcher.force_authenticate(make_user("disp", Role.DISPATCHER))
    r = dispatcher.get(url)
    assert r.status_code == 200
    got = b"".join(r.streaming_content)
    assert hashlib.sha256(got).hexdigest() == photo.sha256
    assert dispatcher.get(f"/api/v1/cases/{number}/").json()["photos"][0]["original_url"] == url


def test_flagged_cases_can_be_listed(api, county, categories, media):
    send(api, [make_photo()])
    flagged = send(api, [make_photo(metres_east(LON, LAT, 2000), NOW)]).json()["number"]
    r = api.get("/api/v1/cases/", {"flagged": "true"})
    assert [c["number"] for c in r.json()["results"]] == [flagged]


# --- EXIF parsing details --------------------------------------------------------------------------


def test_exif_time_without_an_offset_is_read_as_china_time():
    exif = Image.Exif()
    exif[0x8769] = {36867: "2024:05:01 08:30:00"}
    assert photos.exif_taken_at(exif) == datetime(2024, 5, 1, 0, 30, tzinfo=dt_timezone.utc)


def test_the_gps_utc_stamp_is_used_when_there_is_no_offset_tag():
    exif = Image.Exif()
    exif[0x8825] = {29: "2024:05:01", 7: (IFDRational(1, 1), IFDRational(2, 1), IFDRational(3, 1))}
    assert photos.exif_taken_at(exif) == datetime(2024, 5, 1, 1, 2, 3, tzinfo=dt_timezone.utc)


def test_southern_and_western_coordinates_and_junk_gps_are_handled():
    exif = Image.Exif()
    r = lambda v: IFDRational(v, 1)  # noqa: E731
    exif[0x8825] = {1: "S", 2: (r(33), r(30), r(0)), 3: "W", 4: (r(70), r(15), r(0))}
    assert photos.exif_lonlat(exif) == (pytest.approx(-70.25), pytest.approx(-33.5))
    exif[0x8825] = {1: "N", 2: (r(0), r(0), r(0)), 3: "E", 4: (r(0), r(0), r(0))}
    assert photos.exif_lonlat(exif) is None  # (0, 0): no fix
    exif[0x8825] = {1: "N", 2: "garbage", 3: "E", 4: (r(1), r(0), r(0))}
    assert photos.exif_lonlat(exif) is None


def test_files_no_case_refers_to_are_pruned_and_the_others_kept(api, county, categories, media):
    import os

    from django.core.management import call_command

    send(api, [make_photo()])
    photo = CasePhoto.objects.get()
    orphan = media / "private" / "cases" / "originals" / "2020" / "01" / "lost.jpg"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    fresh = orphan.with_name("in-flight.jpg")
    fresh.write_bytes(b"x")
    old = datetime.now().timestamp() - 7200
    os.utime(orphan, (old, old))
    for kept in (photo.image.path, photo.thumbnail.path, photo.original.path):
        os.utime(kept, (old, old))
    out = io.StringIO()
    call_command("prune_case_files", stdout=out)
    assert not orphan.exists() and fresh.exists()  # recent files may belong to a report being committed
    assert all(os.path.exists(p) for p in (photo.image.path, photo.thumbnail.path, photo.original.path))
    assert "1 file(s)" in out.getvalue()
