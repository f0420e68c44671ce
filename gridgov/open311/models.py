"""Open311 GeoReport v2: client systems (API keys), jurisdictions, service attributes, request tokens.

API keys are stored hashed (SHA-256 of a 32-byte random key): the key itself is shown once, when
issued (gridgov.open311.actions.do_issue_api_key, or the admin). Each key has its own system user,
the reporter of the cases it submits.
"""
import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def hash_key(raw):
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiKey(models.Model):
    name = models.CharField(_("接入系统名称"), max_length=100)
    prefix = models.CharField(_("密钥前缀"), max_length=8, editable=False,
                              help_text=_("密钥的前 8 位，用于识别；完整密钥仅在签发时显示一次"))
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("系统用户"), on_delete=models.PROTECT,
                                related_name="open311_key", editable=False)
    channel = models.CharField(_("来源渠道"), max_length=20, default="citizen",
                               choices=[("citizen", _("群众上报")), ("other", _("其他"))])
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 接入密钥")
        verbose_name_plural = _("Open311 接入密钥")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class Jurisdiction(models.Model):
    """A jurisdiction_id this endpoint answers for. With none configured, jurisdiction_id must be absent."""

    jurisdiction_id = models.CharField(_("jurisdiction_id"), max_length=100, unique=True,
                                       help_text=_("客户端传入的 jurisdiction_id，如 huaian.gov.cn"))
    name = models.CharField(_("名称"), max_length=100)
    area_code = models.CharField(_("区域编码"), max_length=15, blank=True,
                                 help_text=_("网格单元编码（县/街镇/社区）；留空表示全部区域"))
    contact = models.CharField(_("联系方式"), max_length=255, blank=True)
    key_service = models.CharField(_("密钥申请说明"), max_length=255, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("Open311 辖区")
        verbose_name_plural = _("Open311 辖区")
        ordering = ["jurisdiction_id"]

    def __str__(self):
        return f"{self.jurisdiction_id} {self.name}"


class Datatype(models.TextChoices):
    STRING = "string", "string"
    NUMBER = "number", "number"
    DATETIME = "datetime", "datetime"
    TEXT = "text", "text"
    SINGLEVALUELIST = "singlevaluelist", "singlevaluelist"
    MULTIVALUELIST = "multivaluelist", "multivaluelist"


class ServiceAttribute(models.Model):
    """An extra question asked for a category (an Open311 service attribute)."""

    category = models.ForeignKey("cases.Category", verbose_name=_("案卷分类"), on_delete=models.CASCADE,
                                 related_name="open311_attributes")
    code = models.SlugField(_("编码"), max_length=50)
    description = models.CharField(_("问题"), max_length=255)
    datatype = models.CharField(_("数据类型"), max_length=20, choices=Datatype.choices, default=Datatype.STRING)
    datatype_description = models.CharField(_("数据类型说明"), max_length=255, blank=True)
    required = models.BooleanField(_("必填"), default=False)
    variable = models.BooleanField(_("可填写"), default=True, help_text=_("否：仅为提示信息，不接收取值"))
    order = models.PositiveIntegerField(_("顺序"), default=1)
    # [{"key": "small", "name": "小"}, ...] for the list types
    values = models.JSONField(_("可选值"), default=list, blank=True)

    class Meta:
        verbose_name = _("Open311 服务属性")
        verbose_name_plural = _("Open311 服务属性")
        ordering = ["category", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="open311_attribute_code_unique"),
                       models.CheckConstraint(condition=Q(order__gt=0), name="open311_attribute_order_positive")]

    def __str__(self):
        return f"{self.category_id}:{self.code}"


class RequestToken(models.Model):
    """Which client submitted which case; the token answers tokens/{token}."""

    token = models.CharField(max_length=40, unique=True)
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="tokens")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="open311_token")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 提交记录")
        verbose_name_plural = _("Open311 提交记录")
        ordering = ["-created_at"]
