"""Rankings page (晾晒, /console/rankings/): gridgov.evaluation's ranking for a period, by department or by
street/town, as a table, with its CSV/XLSX exports (the evaluation API). The figures and their definitions
are that module's; this page only shows them. 404 when gridgov.evaluation is not installed."""
from datetime import date

from django.apps import apps
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode

from gridgov.accounts.models import Role

from .common import attempt, page, roles_required

SEE = {Role.DISPATCHER, Role.ADMIN, Role.MONITOR, Role.LEADER}
RATES = ["timely_acceptance_rate", "on_time_closure_rate", "closure_rate", "rework_rate", "bounce_rate",
         "satisfaction_rate"]


def available():
    if not apps.is_installed("gridgov.evaluation"):
        return False
    try:
        from gridgov.evaluation.ranking import ranking  # noqa: F401
        reverse("evaluation")
    except (ImportError, NoReverseMatch):
        return False
    return True


@roles_required(SEE)
def rankings_page(request):
    if not available():
        raise Http404()
    from gridgov.evaluation.ranking import ranking

    today = timezone.localdate()
    start = request.GET.get("period_start") or date(today.year, today.month, 1).isoformat()
    end = request.GET.get("period_end") or today.isoformat()
    by = request.GET.get("by") if request.GET.get("by") in ("department", "street") else "department"
    rows, error = attempt(ranking, start, end, by=by)
    for unit in rows or []:
        unit.rate_list = [None if unit.rates.get(k) is None else round(unit.rates[k] * 100, 1) for k in RATES]
    query = {"period_start": start, "period_end": end, "by": by}
    api = reverse("evaluation")
    return page(request, "console/rankings.html", {
        "rows": rows or [], "error": error, "start": start, "end": end, "by": by,
        "csv": f"{api}?{urlencode({**query, 'format': 'csv'})}",
        "xlsx": f"{api}?{urlencode({**query, 'format': 'xlsx'})}",
    }, status=400 if error else 200, active="rankings")

