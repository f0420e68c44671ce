from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员")
    RESPONDER = "responder", _("部门人员")
    DISPATCHER = "dispatcher", _("指挥中心派遣员")
    MONITOR = "monitor", _("监督中心/大屏")
    LEADER = "leader", _("包案领导")
    ADMIN = "admin", _("系统管理员")


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.GRID_WORKER)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.display_name or self.username
