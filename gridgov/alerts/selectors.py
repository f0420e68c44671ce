"""Reads for the console pages: supervision notices (督办) and the alerts sent for a dispatch."""
from .models import AlertSent, Supervision


def open_supervisions(department_ids=None):
    """Unanswered 督办 notices, oldest first (for a department's queue, or all for the command centre)."""
    qs = Supervision.objects.filter(acknowledged_at__isnull=True)
    if department_ids is not None:
        qs = qs.filter(department_id__in=department_ids)
    return qs.select_related("case", "dispatch", "department", "issued_by").order_by("issued_at", "id")


def supervisions_of(case):
    return list(Supervision.objects.filter(case=case).select_related("department", "issued_by", "acknowledged_by")
                .order_by("issued_at", "id"))


def alerts_of(dispatch):
    return list(AlertSent.objects.filter(dispatch=dispatch).order_by("sent_at", "id"))
