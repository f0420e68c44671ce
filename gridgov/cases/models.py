"""Cases (案卷) reported from the field, their categories, photos and audit trail.

Writes go through gridgov.cases.actions (do_*), reads through selectors and access (role scope).
The audit table (CaseEvent) is filled by PostgreSQL triggers (migration 0002) and refuses UPDATE
and DELETE at database level, so no application code can rewrite history.
"""
import os
import secrets

from django.conf import settings
from django.contrib.gis.db import models
from django.core.files.storage import FileSystemStorage
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.workcal.models import LimitUnit


class CategoryLevel(models.IntegerChoices):
    GROUP = 1, _("大类")
    ITEM = 2, _("小类")


class CategoryKind(models.TextChoices):
    EVENT = "event", _("事件")
    COMPONENT = "component", _("部件")
    SOCIAL = "social", _("社会治理")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    EMERGENCY = "emergency", _("特急")


URGENCY_RANK = {Urgency.NORMAL: 1, Urgency.URGENT: 2, Urgency.EMERGENCY: 3}


# Category time limits use the working calendar's units (deadlines are computed from them).
TimeUnit = LimitUnit


class WarningColour(models.TextChoices):
    # 四色预警 (seed 003)
    BLUE = "blue", _("蓝色（咨询类）")
    YELLOW = "yellow", _("黄色（多部门协同）")
    ORANGE = "orange", _("橙色（涉法涉诉）")
    RED = "red", _("红色（投诉举报）")


class Category(models.Model):
    """Two-level tree: 大类 (group) → 小类 (item). A child's code starts with its parent's code."""

    code = models.CharField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=CategoryLevel.choices)
    parent = models.ForeignKey("self", verbose_name=_("大类"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    kind = models.CharField(_("类型"), max_length=20, choices=CategoryKind.choices, default=CategoryKind.EVENT)
    default_urgency = models.CharField(_("默认紧急程度"), max_length=20, choices=Urgency.choices,
                                       default=Urgency.NORMAL)
    response_limit = models.PositiveIntegerField(_("响应时限"), null=True, blank=True)
    response_limit_unit = models.CharField(_("响应时限单位"), max_length=20, choices=TimeUnit.choices, blank=True)
    handling_limit = models.PositiveIntegerField(_("处置时限"), null=True, blank=True)
    handling_limit_unit = models.CharField(_("处置时限单位"), max_length=20, choices=TimeUnit.choices, blank=True)
    warning_colour = models.CharField(_("预警颜色"), max_length=10, choices=WarningColour.choices, blank=True)
    duplicate_radius_m = models.PositiveIntegerField(_("重复判定半径(米)"), default=100)
    duplicate_window_hours = models.PositiveIntegerField(_("重复判定时间窗(小时)"), default=72)
    keywords = models.CharField(_("检索关键词"), max_length=255, blank=True,
                                help_text=_("以空格分隔的同义词，用于分类检索"))
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("案卷分类")
        verbose_name_plural = _("案卷分类")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(level=CategoryLevel.GROUP, parent__isnull=True)
                           | Q(level=CategoryLevel.ITEM, parent__isnull=False)),
                name="category_level_matches_parent",
            ),
            models.CheckConstraint(
                condition=(Q(response_limit__isnull=True, response_limit_unit="")
                           | Q(response_limit__gt=0, response_limit_unit__in=TimeUnit.values)),
                name="category_response_limit_complete",
            ),
            models.CheckConstraint(
                condition=(Q(handling_limit__isnull=True, handling_limit_unit="")
                           | Q(handling_limit__gt=0, handling_limit_unit__in=TimeUnit.values)),
                name="category_handling_limit_complete",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class Channel(models.TextChoices):
    GRID_PATROL = "grid_patrol", _("网格巡查")
    HOTLINE = "hotline_12345", _("12345热线")
    CITIZEN = "citizen", _("群众上报")
    # Petition channels (信访, gridgov.petitions); 来电 comes through HOTLINE.
    LETTER = "letter", _("来信")
    VISIT = "visit", _("来访")
    ONLINE_PETITION = "online_petition", _("网上信访")
    SECRETARY_MAILBOX = "secretary_mailbox", _("书记信箱")
    COUNTY_HEAD_MAILBOX = "county_mailbox", _("县长信箱")
    OTHER = "other", _("其他")


class Status(models.TextChoices):
    # The whistle/dispatch lifecycle (issue 4) adds its states here; max_length leaves room.
    REPORTED = "reported", _("已上报")
    WHISTLED = "whistled", _("已吹哨")
    CLOSED = "closed", _("已结案")
    MERGED = "merged", _("已合并")


OPEN_STATUSES = [Status.REPORTED, Status.WHISTLED]

# Unambiguous characters (no 0/O, 1/I/L): read over the phone to a citizen without mistakes.
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# 13 characters: 31^13 ≈ 2^64.4, at least 64 bits (the receipt handed to citizens and the Open311
# service_request_id; issue 7). Numbers issued when this was 10 stay valid.
NUMBER_LENGTH = 13


def new_case_numbers(n):
    """n public case numbers: random, not sequential, so they cannot be guessed (31^13 ≈ 2^64.4 each).

    The one numbering rule for every way a case is made (a report, a bulk import, the synthetic load):
    each character uniform over NUMBER_ALPHABET from the OS's CSPRNG (bytes >= 248 = 8 × 31 are
    dropped, so `% 31` has no bias). Vectorised: a million numbers take well under a second."""
    import numpy as np

    need, size = n * NUMBER_LENGTH, len(NUMBER_ALPHABET)
    picked = np.empty(0, dtype=np.uint8)
    while picked.size < need:
        raw = np.frombuffer(secrets.token_bytes(need - picked.size + need // 16 + 16), dtype=np.uint8)
        picked = np.concatenate([picked, raw[raw < 256 - 256 % size] % size])
    letters = np.frombuffer(NUMBER_ALPHABET.encode(), dtype=np.uint8)[picked[:need]]
    flat = letters.tobytes().decode()
    return [flat[i:i + NUMBER_LENGTH] for i in range(0, need, NUMBER_LENGTH)]


def new_case_number():
    """Public case number: random, not sequential, so it cannot be guessed (31^13 ≈ 2^64.4)."""
    return new_case_numbers(1)[0]


class Case(models.Model):
    number = models.CharField(_("案卷编号"), max_length=16, unique=True, default=new_case_number, editable=False)
    client_uuid = models.UUIDField(_("客户端UUID"), editable=False)

    # Where: stored in WGS-84; the datum and coordinates as entered are kept too.
    point = models.PointField(_("位置"), srid=settings.GRIDGOV_STORAGE_SRID)
    input_datum = models.CharField(_("输入坐标系"), max_length=20, default="wgs84")
    input_lon = models.FloatField(_("输入经度"))
    input_lat = models.FloatField(_("输入纬度"))
    gps_accuracy_m = models.FloatField(_("定位精度(米)"), null=True, blank=True)
    address = models.CharField(_("地址描述"), max_length=255, blank=True)
    # The grid found by locate at submission; codes and names stored, never recomputed.
    grid = models.ForeignKey("grids.GridUnit", verbose_name=_("网格"), on_delete=models.PROTECT,
                             related_name="cases")
    grid_code = models.CharField(_("网格编码"), max_length=15)
    grid_name = models.CharField(_("网格名称"), max_length=100)
    ancestors = models.JSONField(_("上级单元"), default=list, blank=True)

    # What
    category = models.ForeignKey(Category, verbose_name=_("分类"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="cases")
    description = models.TextField(_("问题描述"), blank=True)
    urgency = models.CharField(_("紧急程度"), max_length=20, choices=Urgency.choices, default=Urgency.NORMAL)
    priority = models.PositiveSmallIntegerField(_("优先级"), default=1,
                                                help_text=_("紧急程度加重复上报次数，越大越优先"))

    # Who
    channel = models.CharField(_("来源渠道"), max_length=20, choices=Channel.choices, default=Channel.GRID_PATROL)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上报人"), on_delete=models.PROTECT,
                                 related_name="reported_cases")
    # Personal data of a citizen (hotline, public form): masked for roles that do not need it.
    contact_name = models.CharField(_("联系人姓名"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)

    # State
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.REPORTED)
    resolved_on_spot = models.BooleanField(_("就地解决"), default=False)
    resolution_note = models.TextField(_("处置说明"), blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    follow_up_of = models.ForeignKey("self", verbose_name=_("重复上报于"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="follow_ups")
    repeat_count = models.PositiveIntegerField(_("重复上报次数"), default=0)
    # [{"code": "photo_far_from_point", "photo": <id>, ...}] — raised for a human to look at, not refused.
    flags = models.JSONField(_("异常标记"), default=list, blank=True)

    # When
    occurred_at = models.DateTimeField(_("发生时间"), null=True, blank=True)
    reported_at = models.DateTimeField(_("上报时间(客户端)"))
    received_at = models.DateTimeField(_("接收时间(服务器)"), db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("案卷")
        verbose_name_plural = _("案卷")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "category", "-received_at"], name="case_status_cat_idx"),
            models.Index(fields=["reporter", "-received_at"], name="case_reporter_idx"),
            models.Index(fields=["grid_code"], name="case_grid_code_pattern_idx", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["client_uuid"], name="case_client_uuid_unique"),
            models.CheckConstraint(condition=~Q(resolved_on_spot=True) | Q(status=Status.CLOSED),
                                   name="case_on_spot_is_closed"),
            models.CheckConstraint(condition=Q(gps_accuracy_m__isnull=True) | Q(gps_accuracy_m__gte=0),
                                   name="case_accuracy_not_negative"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES


class PhotoKind(models.TextChoices):
    REPORT = "report", _("现场照片")
    AFTER = "after", _("处置后照片")


class PrivateStorage(FileSystemStorage):
    """Originals live outside MEDIA_ROOT (GRIDGOV_PRIVATE_MEDIA_ROOT) and have no URL:
    they are served only through a permission-checked view."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        from .conf import private_media_root

        return str(private_media_root())

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage():
    return PrivateStorage()


class CasePhoto(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="photos")
    kind = models.CharField(_("类型"), max_length=10, choices=PhotoKind.choices, default=PhotoKind.REPORT)
    # Re-encoded JPEG without EXIF (public media) and its thumbnail.
    image = models.ImageField(_("照片"), upload_to="cases/")
    thumbnail = models.ImageField(_("缩略图"), upload_to="cases/thumbs/")
    width = models.PositiveIntegerField(null=True)
    height = models.PositiveIntegerField(null=True)
    # The file as uploaded, EXIF and all, in private storage.
    original = models.FileField(_("原始文件"), upload_to="cases/originals/", storage=private_storage)
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    original_format = models.CharField(_("原格式"), max_length=10)
    original_size = models.PositiveIntegerField(_("原文件大小(字节)"))
    sha256 = models.CharField(max_length=64)
    # EXIF facts, when the camera wrote them.
    exif_point = models.PointField(_("EXIF位置"), srid=settings.GRIDGOV_STORAGE_SRID, null=True, blank=True)
    exif_taken_at = models.DateTimeField(_("EXIF拍摄时间"), null=True, blank=True)
    distance_m = models.FloatField(_("与上报位置距离(米)"), null=True, blank=True)
    time_offset_s = models.IntegerField(_("与上报时间相差(秒)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("案卷照片")
        verbose_name_plural = _("案卷照片")
        ordering = ["case", "kind", "id"]


class CaseEvent(models.Model):
    """One row per change to a case or its photos, written by database triggers. Append-only."""

    case_id = models.BigIntegerField(_("案卷"), db_index=True)
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("事件"), max_length=20)  # insert / update / delete / photo_insert / ...
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True,
                              on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    actor_label = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=60, blank=True)
    db_user = models.CharField(_("数据库用户"), max_length=63)
    # Only the fields that changed: {"status": "reported"} → {"status": "closed"}. Insert: after = the row.
    before = models.JSONField(_("修改前"), null=True)
    after = models.JSONField(_("修改后"), null=True)

    class Meta:
        verbose_name = _("案卷审计记录")
        verbose_name_plural = _("案卷审计记录")
        ordering = ["case_id", "at", "id"]
        default_permissions = ("view",)

    def __str__(self):
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M:%S}"
