"""Department responders' pages: my departments' queue and a dispatch's page with its actions.

Thin views: the forms parse, gridgov.dispatch.access scopes (another department's dispatch is a 404),
the gridgov.dispatch actions decide and write. A refused action re-renders the page with its message
next to the form (HTTP 400/403/409); a conflict with someone else's change says so.
"""
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gridgov.accounts.models import Role
from gridgov.core.errors import NotFound
from gridgov.dispatch import actions, transitions
from gridgov.dispatch import selectors as dispatch_selectors

from . import selectors
from .common import RESPONDERS, attempt, map_config, not_found, page, roles_required
from .forms import FeedbackForm, NoteForm, QueueFilterForm, ReturnForm, SuspendForm, VersionForm
from .warning_state import annotate_warnings, with_warnings

PAGE_SIZE = 30


@roles_required(RESPONDERS)
def queue_page(request):
    departments = selectors.my_departments(request.user)
    form = QueueFilterForm(request.GET or None, departments=departments)
    filters = selectors.QueueFilters()
    if form.is_valid():
        filters = selectors.QueueFilters(**form.cleaned_data)
    now = timezone.now()
    paginator = Paginator(annotate_warnings(selectors.responder_queue(request.user, filters, now), now), PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    rows = with_warnings(list(page_obj.object_list), now)
    query = request.GET.copy()
    query.pop("page", None)
    return page(request, "console/queue.html", {
        "form": form, "rows": rows, "page_obj": page_obj, "departments": departments, "query": query.urlencode(),
        "streets": selectors.streets(), "category_groups": selectors.category_groups(),
        "filtered": any(form.cleaned_data.values()) if form.is_valid() else bool(request.GET),
    }, active="queue")


def _detail_context(request, dispatch, forms=None, error=None, error_form=""):
    case = dispatch.case
    allowed = set(transitions.allowed_actions(dispatch))
    live = dispatch_selectors.live_suspension(dispatch)
    with_warnings([dispatch])
    photos = selectors.case_photos(case)
    version = {"expected_version": dispatch.version}
    forms = forms or {}
    return {
        "d": dispatch, "case": case, "allowed": allowed, "live_suspension": live,
        "report_photos": [p for p in photos if p.kind == "report"],
        "after_photos": [p for p in photos if p.kind == "after"],
        "timeline": selectors.timeline(request.user, case),
        "others": [d for d in selectors.visible_case_dispatches(request.user, case) if d.pk != dispatch.pk],
        "forms": {
            "accept": forms.get("accept") or VersionForm(initial=version),
            "start": forms.get("start") or NoteForm(initial=version),
            "feedback": forms.get("feedback") or FeedbackForm(initial=version),
            "return": forms.get("return") or ReturnForm(initial=version),
            "suspend": forms.get("suspend") or SuspendForm(),
            "resume": forms.get("resume") or NoteForm(),
        },
        "error": error, "error_form": error_form,
        "map": map_config(point=[case.point.x, case.point.y], grid=case.grid_code),
    }


@never_cache
@roles_required(RESPONDERS)
def dispatch_page(request, pk):
    try:
        dispatch = selectors.dispatch_for_page(request.user, pk)
    except NotFound as exc:
        return not_found(request, exc)
    return page(request, "console/dispatch.html", _detail_context(request, dispatch), active="queue")


def _accept(d, user, form, files):
    return actions.do_accept(d, user, expected_version=form.cleaned_data.get("expected_version"))


def _start(d, user, form, files):
    return actions.do_start(d, user, expected_version=form.cleaned_data.get("expected_version"),
                            note=form.cleaned_data.get("note", ""))


def _feedback(d, user, form, files):
    return actions.do_feed_back(d, user, form.cleaned_data.get("text", ""), files.getlist("photos"),
                                expected_version=form.cleaned_data.get("expected_version"))


def _return(d, user, form, files):
    return actions.do_return(d, user, form.cleaned_data.get("reason", ""),
                             expected_version=form.cleaned_data.get("expected_version"))


def _suspend(d, user, form, files):
    return actions.do_request_suspension(d, user, form.cleaned_data.get("kind") or form.data.get("kind", ""),
                                         form.cleaned_data.get("reason", ""))


def _resume(d, user, form, files):
    return actions.do_resume(d, user, form.cleaned_data.get("note", ""))


ACTIONS = {
    "accept": (VersionForm, _accept),
    "start": (NoteForm, _start),
    "feedback": (FeedbackForm, _feedback),
    "return": (ReturnForm, _return),
    "suspend": (SuspendForm, _suspend),
    "resume": (NoteForm, _resume),
}


def done_message(name):
    return {"accept": _("已签收报到"), "start": _("已开始处置"), "feedback": _("已反馈，等待网格员现场核查"),
            "return": _("已退回指挥中心"), "suspend": _("缓办/挂账申请已提交，等待指挥中心审批"),
            "resume": _("已恢复办理")}[name]


@require_POST
@roles_required(RESPONDERS)
def dispatch_action(request, pk, name):
    if name not in ACTIONS:
        raise Http404(name)
    try:
        dispatch = selectors.dispatch_for_page(request.user, pk)
    except NotFound as exc:
        return not_found(request, exc)
    form_class, run = ACTIONS[name]
    form = form_class(request.POST)
    form.is_valid()  # shape only; the action decides what is missing or not allowed
    _, error = attempt(run, dispatch, request.user, form, request.FILES)
    if error is None:
        messages.success(request, done_message(name))
        return redirect("console-dispatch", pk=dispatch.pk)
    fresh = selectors.dispatch_for_page(request.user, pk)
    if error.conflict:
        form = None  # the page shows the current state; the old form (old version) is not kept
    context = _detail_context(request, fresh, forms={name: form} if form else None, error=error, error_form=name)
    return page(request, "console/dispatch.html", context, status=error.status, active="queue")


@roles_required(set(Role.values))
def photo(request, pk, variant):
    """A case photo's display version or thumbnail (never the original, which keeps EXIF), for users
    who may see the case."""
    found = selectors.photo_if_visible(request.user, pk)
    if found is None or variant not in ("image", "thumb"):
        raise Http404(_("照片不存在或无权查看"))
    field = found.image if variant == "image" else found.thumbnail
    response = FileResponse(field.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
