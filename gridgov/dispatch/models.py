"""Whistle-and-report (网格吹哨、部门报到): the routing table, dispatches and their lifecycle.

- RoutingRule: one row of the 依法分类处理清单 (category × area → lead / assists / notified, legal
  basis, limits). Every change writes a RoutingRuleVersion row (append-only, trigger in 0002).
- Whistle: a case sent out for handling, with its level (routine 社区 → key 街道 → hard 区).
- Dispatch: one per department per case, with role, state, due times (absolute UTC instants computed
  at dispatch) and the rule that produced it. The state machine is gridgov.dispatch.transitions.
- DispatchEvent: every transition, append-only (trigger in 0002).
- TriageItem: a case no rule matched, or a dispatch a department returned: the command centre's queue.
- Suspension: 缓办/挂账 requested by a department, approved by the command centre.
- Notification: in-app notices written by gridgov.dispatch.notify.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.workcal.models import LimitUnit, time_limit_fields


def _limit_complete(prefix, name):
    return models.CheckConstraint(
        condition=(Q(**{f"{prefix}_amount__isnull": True, f"{prefix}_unit": ""})
                   | Q(**{f"{prefix}_amount__gt": 0, f"{prefix}_unit__in": LimitUnit.values})),
        name=name)


class RoutingRule(models.Model):
    """Cases of `category` (a subcategory, or a group covering all its subcategories) located in `area`
    (any grid unit: the county, a street/town, a community or one grid) go to `lead` (主办), with
    `assists` (协办) and `notified` (知会). The most specific area wins (gridgov.dispatch.routing)."""

    category = models.ForeignKey("cases.Category", verbose_name=_("案卷分类"), on_delete=models.PROTECT,
                                 related_name="routing_rules", help_text=_("小类，或大类（含其全部小类）"))
    area = models.ForeignKey("grids.GridUnit", verbose_name=_("适用区域"), on_delete=models.PROTECT,
                             related_name="routing_rules", help_text=_("任意层级的网格单元：全县、某街镇、某社区或某网格"))
    # Copy of area.code (kept by actions): resolution is a prefix test on it, and the tie constraint uses it.
    area_code = models.CharField(_("区域编码"), max_length=15, editable=False)
    lead = models.ForeignKey("departments.Department", verbose_name=_("主办单位"), on_delete=models.PROTECT,
                             related_name="rules_led")
    assists = models.ManyToManyField("departments.Department", verbose_name=_("协办单位"), blank=True,
                                     related_name="rules_assisting")
    notified = models.ManyToManyField("departments.Department", verbose_name=_("知会单位"), blank=True,
                                      related_name="rules_notified")
    legal_basis = models.TextField(_("法律依据"), blank=True)
    response_limit_amount, response_limit_unit = time_limit_fields(_("签收时限"), null=True)
    handling_limit_amount, handling_limit_unit = time_limit_fields(_("办结时限"), null=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("最后修改人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", editable=False)

    class Meta:
        verbose_name = _("派遣规则（依法分类处理清单）")
        verbose_name_plural = _("派遣规则（依法分类处理清单）")
        ordering = ["category__code", "area_code"]
        indexes = [models.Index(fields=["category", "area_code"], name="routing_rule_lookup_idx")]
        constraints = [
            # Backstop for the check in actions: two active rules for the same category and area are a tie.
            models.UniqueConstraint(fields=["category", "area_code"], condition=Q(is_active=True),
                                    name="routing_rule_no_tie"),
            models.CheckConstraint(condition=Q(area_code__regex=r"^[0-9]{6}([0-9]{3}){0,3}$"),
                                   name="routing_rule_area_code_format"),
            _limit_complete("response_limit", "routing_rule_response_limit_complete"),
            _limit_complete("handling_limit", "routing_rule_handling_limit_complete"),
        ]

    def __str__(self):
        return f"{self.category_id and self.category.name} @ {self.area_code} → {self.lead_id and self.lead.name}"


class RoutingRuleVersion(models.Model):
    """A snapshot of a rule after each change (append-only: a trigger refuses UPDATE and DELETE)."""

    rule = models.ForeignKey(RoutingRule, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    change = models.CharField(_("变更"), max_length=20)  # created / updated / deactivated / imported
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    snapshot = models.JSONField(_("内容"))

    class Meta:
        verbose_name = _("派遣规则版本")
        verbose_name_plural = _("派遣规则版本")
        ordering = ["rule", "-version"]
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="routing_rule_version_unique")]


class WhistleLevel(models.TextChoices):
    ROUTINE = "routine", _("一般吹哨（社区）")
    KEY = "key", _("重点吹哨（街道）")
    HARD = "hard", _("疑难吹哨（区县）")


LEVEL_ORDER = [WhistleLevel.ROUTINE, WhistleLevel.KEY, WhistleLevel.HARD]


class WhistleSource(models.TextChoices):
    GRID = "grid", _("网格员吹哨")
    COMMAND = "command", _("指挥中心立案")


class Whistle(models.Model):
    """A case sent out for handling (one per case). The level only goes up (do_escalate)."""

    case = models.OneToOneField("cases.Case", verbose_name=_("案卷"), on_delete=models.PROTECT, related_name="whistle")
    level = models.CharField(_("吹哨级别"), max_length=10, choices=WhistleLevel.choices, default=WhistleLevel.ROUTINE)
    source = models.CharField(_("来源"), max_length=10, choices=WhistleSource.choices)
    whistled_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("吹哨人"), on_delete=models.PROTECT,
                                    related_name="+")
    whistled_at = models.DateTimeField(_("吹哨时间"))
    note = models.TextField(_("说明"), blank=True)
    escalated_at = models.DateTimeField(_("最近升级时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("吹哨")
        verbose_name_plural = _("吹哨")
        ordering = ["-whistled_at"]
        constraints = [models.CheckConstraint(condition=Q(level__in=WhistleLevel.values), name="whistle_level_valid")]

    def __str__(self):
        return f"{self.case_id} {self.get_level_display()}"


class Role(models.TextChoices):
    LEAD = "lead", _("主办")
    ASSIST = "assist", _("协办")
    NOTIFIED = "notified", _("知会")


class State(models.TextChoices):
    WHISTLED = "whistled", _("待签收")
    ACCEPTED = "accepted", _("已签收")
    IN_PROGRESS = "in_progress", _("处置中")
    FED_BACK = "fed_back", _("已反馈")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已结案")
    REWORK = "rework", _("返工")
    RETURNED = "returned", _("已退回")
    REROUTED = "rerouted", _("已改派")
    SUSPENDED = "suspended", _("缓办/挂账")


# A returned dispatch is finished for its department once the command centre re-routes the case.
ENDED_STATES = [State.CLOSED, State.REROUTED]
# Not counted as "the department holds this case" (one lead per case, one dispatch per department).
RELEASED_STATES = [State.RETURNED, State.REROUTED]
OPEN_STATES = [s for s in State.values if s not in ENDED_STATES]


class Dispatch(models.Model):
    case = models.ForeignKey("cases.Case", verbose_name=_("案卷"), on_delete=models.PROTECT, related_name="dispatches")
    department = models.ForeignKey("departments.Department", verbose_name=_("承办单位"), on_delete=models.PROTECT,
                                   related_name="dispatches")
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.WHISTLED)
    # Provenance: the rule (and its version) that produced this dispatch; null when the command centre chose.
    rule = models.ForeignKey(RoutingRule, verbose_name=_("派遣规则"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="dispatches")
    rule_version = models.PositiveIntegerField(_("规则版本"), null=True, blank=True)
    legal_basis = models.TextField(_("法律依据"), blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"))
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("派遣人"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    # Due times per stage, absolute UTC instants computed at dispatch (gridgov.dispatch.due).
    accept_due = models.DateTimeField(_("签收期限"), null=True, blank=True)
    feedback_due = models.DateTimeField(_("办结反馈期限"), null=True, blank=True)
    # The limits those were computed from, after urgency scaling (e.g. "4 work_hours").
    response_limit_amount, response_limit_unit = time_limit_fields(_("签收时限"), null=True)
    handling_limit_amount, handling_limit_unit = time_limit_fields(_("办结时限"), null=True)

    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("签收人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("开始处置时间"), null=True, blank=True)
    fed_back_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    feedback_text = models.TextField(_("处置反馈"), blank=True)
    feedback_photos = models.ManyToManyField("cases.CasePhoto", verbose_name=_("处置后照片"), blank=True,
                                             related_name="+")
    verified_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核查人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    verify_note = models.TextField(_("核查意见"), blank=True)
    rework_count = models.PositiveIntegerField(_("返工次数"), default=0)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("退回人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    return_reason = models.TextField(_("退回理由"), blank=True)
    suspended_from = models.CharField(_("缓办前状态"), max_length=12, choices=State.choices, blank=True)
    # How many times this case had already been returned when this dispatch was made (推诿 counter).
    bounce_count = models.PositiveIntegerField(_("退回次数"), default=0)
    rerouted_from = models.ForeignKey("self", verbose_name=_("改派自"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="rerouted_to")
    # Optimistic concurrency: bumped on every transition; a client may send the version it saw.
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("派遣单")
        verbose_name_plural = _("派遣单")
        ordering = ["-dispatched_at", "-id"]
        indexes = [
            models.Index(fields=["state", "feedback_due"], name="dispatch_state_fbdue_idx"),
            models.Index(fields=["state", "accept_due"], name="dispatch_state_acdue_idx"),
            models.Index(fields=["department", "state"], name="dispatch_dept_state_idx"),
            models.Index(fields=["case", "role"], name="dispatch_case_role_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=State.values), name="dispatch_state_valid"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="dispatch_role_valid"),
            # 责任主体唯一: at most one lead holding a case.
            models.UniqueConstraint(fields=["case"], condition=Q(role="lead") & ~Q(state__in=RELEASED_STATES),
                                    name="dispatch_one_lead_per_case"),
            models.UniqueConstraint(fields=["case", "department"], condition=~Q(state__in=RELEASED_STATES),
                                    name="dispatch_one_per_department"),
            models.CheckConstraint(condition=Q(returned_at__isnull=True) | ~Q(return_reason=""),
                                   name="dispatch_return_has_reason"),
            models.CheckConstraint(condition=~Q(state="suspended") | ~Q(suspended_from=""),
                                   name="dispatch_suspended_knows_from"),
            _limit_complete("response_limit", "dispatch_response_limit_complete"),
            _limit_complete("handling_limit", "dispatch_handling_limit_complete"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.department_id and self.department.name} {self.get_role_display()} " \
               f"{self.get_state_display()}"

    @property
    def next_due(self):
        if self.state == State.WHISTLED:
            return self.accept_due
        if self.state in (State.ACCEPTED, State.IN_PROGRESS, State.REWORK):
            return self.feedback_due
        return None


class DispatchEvent(models.Model):
    """One row per whistle, transition, escalation, re-route or suspension decision. Append-only."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="dispatch_events")
    dispatch = models.ForeignKey(Dispatch, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("操作"), max_length=30)
    from_state = models.CharField(_("原状态"), max_length=12, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("派遣记录")
        verbose_name_plural = _("派遣记录")
        ordering = ["case", "at", "id"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["case", "at"], name="dispatch_event_case_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.from_state}→{self.to_state}"


class TriageReason(models.TextChoices):
    NO_RULE = "no_rule", _("无匹配规则")
    RETURNED = "returned", _("部门退回")
    INACTIVE_LEAD = "inactive_lead", _("规则主办单位已停用")


class TriageItem(models.Model):
    """A case waiting for the command centre to route it by hand. Nothing is dropped."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="triage_items")
    reason = models.CharField(_("原因"), max_length=16, choices=TriageReason.choices)
    dispatch = models.ForeignKey(Dispatch, verbose_name=_("退回的派遣单"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="triage_items")
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("进入时间"))
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    resolution = models.TextField(_("处理说明"), blank=True)

    class Meta:
        verbose_name = _("待分拨案卷")
        verbose_name_plural = _("待分拨案卷")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["resolved_at", "created_at"], name="triage_open_idx")]


class SuspensionKind(models.TextChoices):
    DEFER = "defer", _("缓办")
    HANG = "hang", _("挂账")


class SuspensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")
    ENDED = "ended", _("已恢复办理")


class Suspension(models.Model):
    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="suspensions")
    kind = models.CharField(_("类型"), max_length=8, choices=SuspensionKind.choices)
    reason = models.TextField(_("理由"))
    status = models.CharField(_("状态"), max_length=10, choices=SuspensionStatus.choices,
                              default=SuspensionStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    resumed_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)
    resumed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("恢复人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("缓办/挂账申请")
        verbose_name_plural = _("缓办/挂账申请")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["dispatch"], condition=Q(status__in=["pending", "approved"]),
                                    name="suspension_one_live_per_dispatch"),
            models.CheckConstraint(condition=~Q(reason=""), name="suspension_has_reason"),
        ]


class Notification(models.Model):
    """An in-app notice to one user (gridgov.dispatch.notify writes them)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField(_("类型"), max_length=30)
    case = models.ForeignKey("cases.Case", verbose_name=_("案卷"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    department = models.ForeignKey("departments.Department", verbose_name=_("通知单位"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    message = models.TextField(_("内容"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx")]
