"""The grid worker's verification pages (核查), phone first: fed-back work in my grids, and one
dispatch's before/after photos with pass (→ the command centre closes the case) or fail (→ rework)."""
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from gridgov.core.errors import NotFound
from gridgov.dispatch import actions
from gridgov.dispatch.models import State
from gridgov.core.errors import FieldError

from . import selectors
from .common import VERIFIERS, PageError, attempt, map_config, not_found, page, roles_required
from .forms import VerifyForm


@never_cache
@roles_required(VERIFIERS)
def verify_list(request):
    return page(request, "console/verify_list.html", {"rows": selectors.to_verify(request.user)}, active="verify")


def _context(request, dispatch, form=None, error=None):
    case = selectors.case_for_viewer(request.user, dispatch.case)
    photos = selectors.case_photos(case)
    return {
        "d": dispatch, "case": case, "error": error,
        "form": form or VerifyForm(initial={"expected_version": dispatch.version, "result": "pass"}),
        "report_photos": [p for p in photos if p.kind == "report"],
        # this department's feedback photos (a case may have after-photos from several departments)
        "after_photos": list(dispatch.feedback_photos.order_by("id")) or [p for p in photos if p.kind == "after"],
        "timeline": selectors.timeline(request.user, case),
        "map": map_config(point=[case.point.x, case.point.y], grid=case.grid_code),
        "can_verify": dispatch.state == State.FED_BACK,
    }


@never_cache
@require_http_methods(["GET", "POST"])
@roles_required(VERIFIERS)
def verify_page(request, pk):
    try:
        dispatch = selectors.dispatch_for_page(request.user, pk)
    except NotFound as exc:
        return not_found(request, exc)
    if request.method == "GET":
        return page(request, "console/verify.html", _context(request, dispatch), active="verify")
    form = VerifyForm(request.POST)
    form.is_valid()
    result = form.cleaned_data.get("result")
    passed = result == "pass"
    if result is None:
        error = PageError(FieldError("result", "required", "请选择核查结果（通过或不通过）",
                                     "choose the result: passed or failed"))
    else:
        _done, error = attempt(actions.do_verify, dispatch, request.user, passed, form.cleaned_data.get("note", ""),
                               expected_version=form.cleaned_data.get("expected_version"))
    if error is None:
        messages.success(request, _("核查通过，等待指挥中心结案") if passed else _("核查不通过，已退回部门返工"))
        return redirect("console-verify")
    fresh = selectors.dispatch_for_page(request.user, pk)
    context = _context(request, fresh, form=None if error.conflict else form, error=error)
    return page(request, "console/verify.html", context, status=error.status, active="verify")

