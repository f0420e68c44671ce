"""The public form's write: rate limits, then a case through gridgov.cases.actions.do_create_case."""
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gridgov.accounts.models import Role
from gridgov.cases.actions import do_create_case
from gridgov.cases.inputs import CaseInput
from gridgov.cases.models import Case, Channel
from gridgov.core.errors import FieldError

from . import conf
from .inputs import CitizenReport, Refused
from .models import Submission
from .selectors import grid_with_point
from .tokens import keyed_hash

SYSTEM_USERNAME = "citizen-form"


def citizen_form_user():
    """The reporter of public-form cases (a system user nobody logs in as)."""
    User = get_user_model()
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User(username=SYSTEM_USERNAME, role=Role.GRID_WORKER, display_name="扫码上报")
                user.set_unusable_password()
                user.save()
        except IntegrityError:
            user = User.objects.get(username=SYSTEM_USERNAME)
    return user


def _lock(key):
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def _check_rate(field, column, value, rate, now, zh, en):
    count, seconds = rate
    if value and Submission.objects.filter(**{column: value}, at__gte=now - timedelta(seconds=seconds)).count() >= count:
        minutes = max(1, seconds // 60)
        raise Refused(field, "rate_limited", f"{zh}提交次数过多（{minutes} 分钟内最多 {count} 次），请稍后再试；紧急情况请拨打 12345",
                      f"too many reports from this {en} ({count} per {minutes} minutes); try again later")


def _location(report, unit):
    """The browser's position if it lies in a grid; otherwise the grid's point-on-surface."""
    if report.lon and report.lat:
        from gridgov.grids.locate import locate

        try:
            locate(report.lon, report.lat)
            return report.lon, report.lat, report.gps_accuracy_m
        except FieldError:  # no fix, a bad value, or outside every grid: the grid the QR code names
            pass
    return unit.surface_lon, unit.surface_lat, None


def do_submit_citizen_report(report: CitizenReport, ip, now=None):
    """Returns the case. Refused (429) past the per-IP or per-phone limit, with nothing written."""
    now = now or timezone.now()
    unit = grid_with_point(report.grid_code)
    if unit is None:
        raise FieldError("grid", "unknown_grid", "二维码对应的网格已停用，请联系社区", "the grid of this QR code is not active")
    user = citizen_form_user()
    existing = Case.objects.filter(client_uuid=report.client_uuid, reporter=user).first()
    if existing is not None:  # the same form sent twice (double tap, retry): the first case
        return existing
    lon, lat, accuracy = _location(report, unit)
    ip_hash, phone_hash = keyed_hash(ip), keyed_hash(report.contact_phone.replace(" ", "").replace("-", ""))
    with transaction.atomic():
        # Serialise reports from one IP / one phone so two at once cannot both pass the count.
        _lock("citizen-ip:" + ip_hash)
        if phone_hash:
            _lock("citizen-phone:" + phone_hash)
        _check_rate("ip", "ip_hash", ip_hash, conf.ip_rate(), now, "本网络", "network address")
        _check_rate("contact_phone", "phone_hash", phone_hash, conf.phone_rate(), now, "该手机号", "phone number")
        case = do_create_case(user, CaseInput(
            client_uuid=report.client_uuid, lon=lon, lat=lat, gps_accuracy_m=accuracy, category=report.category,
            description=report.description, channel=Channel.CITIZEN, contact_name=report.contact_name,
            contact_phone=report.contact_phone, reported_at=now,
            photos=[report.photo] if report.photo is not None else [])).case
        Submission.objects.create(at=now, ip_hash=ip_hash, phone_hash=phone_hash, grid_code=report.grid_code, case=case)
    return case
