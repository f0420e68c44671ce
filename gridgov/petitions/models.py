"""Petition work (信访) on the case loop: a petition matter IS a case (gridgov.cases.Case) with these details,
so routing, dispatch, deadlines, warnings, the map and evaluation all apply to it.

- Petitioner: one person's file (一人一档), found again by keyed hashes of the ID number and phone
  (gridgov.petitions.identity); the clear numbers are not stored. A person recorded twice is merged
  (merged_into), never left as two files.
- PetitionMatter: the petition details of one case (nature, head count (集体访), level reached,
  acceptance decision, statutory due times, repeat link, first receiving unit).
- PetitionParty: who petitioned on a matter (main petitioner, representatives and members of a group).
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


GROUP_MIN_PEOPLE = 5


def _last_day(due):
    from datetime import timedelta

    from django.utils import timezone

    return None if due is None else timezone.localtime(due - timedelta(seconds=1)).date()


class Nature(models.TextChoices):
    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    SUGGEST = "suggest", _("建议")
    COMPLAIN = "complain", _("投诉")
    REPORT = "report", _("举报")


class PetitionLevel(models.IntegerChoices):
    # Higher number = higher level; 越级 when the level reached is above the responsible level.
    TOWN = 1, _("乡镇（街道）")
    COUNTY = 2, _("县（区）")
    CITY = 3, _("市")
    PROVINCE = 4, _("省")
    NATION = 5, _("国家")


class Decision(models.TextChoices):
    PENDING = "pending", _("待决定")
    ACCEPTED = "accepted", _("受理")
    REJECTED = "rejected", _("不予受理")
    DIVERTED = "diverted", _("导入法定途径")


class PartyRole(models.TextChoices):
    MAIN = "main", _("信访人")
    REPRESENTATIVE = "representative", _("代表")
    MEMBER = "member", _("参与人")


class Petitioner(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    id_hash = models.CharField(_("身份证号散列"), max_length=64, null=True, blank=True, unique=True)
    id_masked = models.CharField(_("身份证号（脱敏）"), max_length=18, blank=True)
    phone_hash = models.CharField(_("电话散列"), max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("电话（脱敏）"), max_length=20, blank=True)
    address = models.CharField(_("住址"), max_length=255, blank=True)
    merged_into = models.ForeignKey("self", verbose_name=_("已合并到"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged_from")
    created_at = models.DateTimeField(_("建档时间"))

    class Meta:
        verbose_name = _("信访人（一人一档）")
        verbose_name_plural = _("信访人（一人一档）")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(merged_into=models.F("id")),
                                              name="petitioner_not_merged_into_self")]

    def __str__(self):
        return f"{self.name} {self.id_masked}".strip()


class PetitionMatter(models.Model):
    case = models.OneToOneField("cases.Case", verbose_name=_("案卷"), primary_key=True, on_delete=models.PROTECT,
                                related_name="petition")
    nature = models.CharField(_("诉求性质"), max_length=10, choices=Nature.choices)
    head_count = models.PositiveIntegerField(_("人数"), default=1, help_text=_("5 人及以上为集体访"))
    level_reached = models.PositiveSmallIntegerField(_("到达层级"), choices=PetitionLevel.choices,
                                                     default=PetitionLevel.COUNTY)
    responsible_level = models.PositiveSmallIntegerField(_("有权处理层级"), choices=PetitionLevel.choices,
                                                         default=PetitionLevel.COUNTY)
    assigned_by = models.CharField(_("交办/转送单位"), max_length=100, blank=True,
                                   help_text=_("由上级交办或转送时填写，如：市信访局"))
    first_unit = models.ForeignKey("departments.Department", verbose_name=_("首接单位"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("受理决定"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    legal_basis = models.CharField(_("法律依据"), max_length=255, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("决定人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    # Statutory due times (gridgov.petitions.conf), stored, never recomputed.
    notice_due = models.DateTimeField(_("告知期限"))
    handling_due = models.DateTimeField(_("办结期限"), null=True, blank=True)
    extended_days = models.PositiveSmallIntegerField(_("延长天数"), default=0)
    # The written reply (答复意见) handed to the petitioner; 复查 may be asked within 30 days of it.
    reply_text = models.TextField(_("答复意见"), blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    repeat_of = models.ForeignKey("self", verbose_name=_("重复信访于"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="repeats")
    petitioners = models.ManyToManyField(Petitioner, through="PetitionParty", related_name="matters")

    class Meta:
        verbose_name = _("信访事项")
        verbose_name_plural = _("信访事项")
        ordering = ["-case_id"]
        constraints = [
            models.CheckConstraint(condition=Q(head_count__gte=1), name="petition_head_count_positive"),
            models.CheckConstraint(condition=~Q(repeat_of=models.F("case")), name="petition_not_repeat_of_itself"),
            models.CheckConstraint(condition=Q(decision=Decision.PENDING) | Q(decided_at__isnull=False),
                                   name="petition_decision_has_time"),
        ]

    @property
    def notice_last_day(self):
        """The last day of the notice period (its due instant is 24:00 of that day, local)."""
        return _last_day(self.notice_due)

    @property
    def handling_last_day(self):
        return _last_day(self.handling_due)

    @property
    def is_group(self):
        """集体访: five or more people on one matter (the representatives speak for them)."""
        return self.head_count >= GROUP_MIN_PEOPLE

    @property
    def skips_level(self):
        """越级: the matter reached a level above the one with the power to handle it."""
        return self.level_reached > self.responsible_level

    def __str__(self):
        return str(self.case_id)


class ReviewKind(models.TextChoices):
    REVIEW = "review", _("复查")
    RE_REVIEW = "re_review", _("复核")


class ReviewOutcome(models.TextChoices):
    PENDING = "pending", _("待决定")
    UPHELD = "upheld", _("维持原处理意见")
    CHANGED = "changed", _("变更/撤销原处理意见")


class Review(models.Model):
    """复查 (by the next level up, of the reply) and 复核 (of the 复查 opinion): asked within
    GRIDGOV_PETITION_REVIEW_REQUEST_DAYS of the opinion reviewed, decided within
    GRIDGOV_PETITION_REVIEW_DECISION_DAYS of the request (gridgov.petitions.conf)."""

    matter = models.ForeignKey(PetitionMatter, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(_("类型"), max_length=10, choices=ReviewKind.choices)
    requested_at = models.DateTimeField(_("申请时间"))
    request_text = models.TextField(_("申请理由"))
    decision_due = models.DateTimeField(_("决定期限"))
    outcome = models.CharField(_("结果"), max_length=10, choices=ReviewOutcome.choices, default=ReviewOutcome.PENDING)
    opinion = models.TextField(_("复查/复核意见"), blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        verbose_name = _("复查复核")
        verbose_name_plural = _("复查复核")
        ordering = ["matter", "requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "kind"], name="review_once_per_kind"),
            models.CheckConstraint(condition=Q(outcome=ReviewOutcome.PENDING) | Q(decided_at__isnull=False),
                                   name="review_decision_has_time"),
        ]


class PetitionParty(models.Model):
    matter = models.ForeignKey(PetitionMatter, on_delete=models.PROTECT, related_name="parties")
    petitioner = models.ForeignKey(Petitioner, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(_("身份"), max_length=16, choices=PartyRole.choices, default=PartyRole.MAIN)

    class Meta:
        verbose_name = _("信访参与人")
        verbose_name_plural = _("信访参与人")
        constraints = [models.UniqueConstraint(fields=["matter", "petitioner"], name="petition_party_once")]
