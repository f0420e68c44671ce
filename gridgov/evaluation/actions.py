"""Writes: satisfaction ratings (满意度评价)."""
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.accounts.models import Role as UserRole
from gridgov.core.errors import Forbidden
from gridgov.core.roles import role_of
from gridgov.core.errors import Conflict
from gridgov.cases.models import Case, Status
from gridgov.dispatch import access as dispatch_access
from gridgov.dispatch.models import Dispatch, Role, State
from gridgov.core.errors import FieldError

from .models import Rating, RatingLevel, RatingSource

COMMENT_MAX = 2000


def _may_rate(user, case, source):
    if dispatch_access.is_command(user):
        return True  # the command centre records call-back (回访) answers and verifications
    if source == RatingSource.REPORTER:
        return case.reporter_id == user.pk
    return role_of(user) == UserRole.GRID_WORKER and dispatch_access.is_grid_worker_of(user, case)


def do_rate_case(case, user, source, level, comment=""):
    """Record the reporter's (or a call-back's) or the verifier's rating of a case, once per source.
    Allowed once the lead department's work passed verification (or the case is closed)."""
    if source not in RatingSource.values:
        raise FieldError("source", "invalid_choice", f"评价来源 {source!r} 无效，可选 reporter、verifier",
                         f"source {source!r} is not one of reporter, verifier")
    if level not in RatingLevel.values:
        raise FieldError("level", "invalid_choice", f"评价 {level!r} 无效，可选 satisfied、basic、dissatisfied",
                         f"level {level!r} is not one of satisfied, basic, dissatisfied")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise FieldError("comment", "too_long", f"意见超过 {COMMENT_MAX} 字", f"comment is longer than {COMMENT_MAX}")
    if not _may_rate(user, case, source):
        raise Forbidden("source", "forbidden", "您不能以该身份评价此案卷", "you may not give this rating for this case")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        verified = Dispatch.objects.filter(case=case, role=Role.LEAD, state__in=[State.VERIFIED, State.CLOSED])
        if case.status != Status.CLOSED and not verified.exists():
            raise Conflict("case", "not_handled", f"案卷 {case.number} 尚未办结核查，暂不能评价",
                           f"case {case.number} has not been handled and verified yet")
        if Rating.objects.filter(case=case, source=source).exists():
            raise Conflict("source", "already_rated", "该案卷已有此来源的评价", "this case already has that rating")
        try:
            with transaction.atomic():
                return Rating.objects.create(case=case, source=source, level=level, comment=comment,
                                             rated_by=user, rated_at=timezone.now())
        except IntegrityError:
            raise Conflict("source", "already_rated", "该案卷已有此来源的评价", "this case already has that rating")
