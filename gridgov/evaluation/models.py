"""Satisfaction ratings (满意度评价) of a case: the reporter's (or a citizen's answer on a call-back,
回访, recorded by the command centre) and the verifying grid worker's. One per case and source.
Evaluation uses the reporter's when there is one, else the verifier's (docs/evaluation.md)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RatingSource(models.TextChoices):
    REPORTER = "reporter", _("上报人/群众评价")
    VERIFIER = "verifier", _("核查人评价")


class RatingLevel(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class Rating(models.Model):
    case = models.ForeignKey("cases.Case", verbose_name=_("案卷"), on_delete=models.PROTECT, related_name="ratings")
    source = models.CharField(_("评价来源"), max_length=10, choices=RatingSource.choices)
    level = models.CharField(_("评价"), max_length=12, choices=RatingLevel.choices)
    comment = models.TextField(_("意见"), blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("评价人/录入人"),
                                 on_delete=models.PROTECT, related_name="+")
    rated_at = models.DateTimeField(_("评价时间"))

    class Meta:
        verbose_name = _("满意度评价")
        verbose_name_plural = _("满意度评价")
        ordering = ["-rated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "source"], name="rating_once_per_source"),
            models.CheckConstraint(condition=Q(source__in=RatingSource.values), name="rating_source_valid"),
            models.CheckConstraint(condition=Q(level__in=RatingLevel.values), name="rating_level_valid"),
        ]

    def __str__(self):
        return f"{self.case_id} {self.get_source_display()} {self.get_level_display()}"
