"""The command centre's pages (指挥中心/派遣员): the home with its queues (triage, overdue → 督办,
suspension requests, verified → 结案, reported → 立案), a case's page with re-routing (the routing
preview beside it), escalation, supervision and closing, the "where would this go?" preview, and
taking in a case (12345 hotline, a citizen) that is filed at once.

Thin views: gridgov.dispatch.access.require_command is checked again by every action.
"""
import uuid

from django.apps import apps

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gridgov.alerts.actions import do_issue_supervision
from gridgov.core.errors import NotFound
from gridgov.cases.actions import do_create_case
from gridgov.cases.inputs import parse_case_input
from gridgov.cases.models import Urgency
from gridgov.dispatch import actions
from gridgov.dispatch import selectors as dispatch_selectors
from gridgov.dispatch.models import LEVEL_ORDER, Dispatch, Role, State, Suspension, TriageItem, Whistle, WhistleLevel
from gridgov.core.errors import FieldError
from gridgov.grids.locate import locate

from . import selectors
from .common import COMMAND, PageError, attempt, map_config, not_found, page, roles_required
from .forms import CloseForm, DecisionForm, EscalateForm, FileForm, NewCaseForm, PreviewForm, RerouteForm, SuperviseForm
from .warning_state import annotate_warnings, with_warnings

TABS = ["triage", "overdue", "suspensions", "close", "unfiled"]


def _home_context(tab, error=None, error_for=None):
    now = timezone.now()
    context = {"tab": tab, "counts": selectors.counts(now), "error": error, "error_for": error_for}
    if tab == "triage":
        items = list(dispatch_selectors.triage_queue())
        bounces = dict.fromkeys([i.case_id for i in items], 0)
        for case_id in Dispatch.objects.filter(case_id__in=bounces, returned_at__isnull=False).values_list(
                "case_id", flat=True):
            bounces[case_id] += 1
        for item in items:
            item.bounces = bounces.get(item.case_id, 0)
        context["items"] = items
    elif tab == "overdue":
        context["rows"] = with_warnings(selectors.overdue_dispatches(now), now)
    elif tab == "suspensions":
        context["suspensions"] = list(dispatch_selectors.pending_suspensions())
    elif tab == "close":
        context["rows"] = selectors.awaiting_close()
    else:
        context["cases"] = selectors.reported_not_filed()
    return context


@never_cache
@roles_required(COMMAND)
def home(request):
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "triage"
    return page(request, "console/command.html", _home_context(tab), active="command")


@require_POST
@roles_required(COMMAND)
def decide_suspension(request, pk):
    suspension = Suspension.objects.filter(pk=pk).first()
    if suspension is None:
        raise Http404()
    form = DecisionForm(request.POST)
    form.is_valid()
    approved = form.cleaned_data.get("decision") == "approve"
    _done, error = attempt(actions.do_approve_suspension, suspension, request.user, approved,
                           form.cleaned_data.get("note", ""))
    if error is None:
        messages.success(request, _("已批准缓办/挂账") if approved else _("已不予批准，并通知申请部门"))
        return redirect(reverse("command-centre-page") + "?tab=suspensions")
    return page(request, "console/command.html", _home_context("suspensions", error, suspension.pk),
                status=error.status, active="command")


# --- one case ------------------------------------------------------------------------------------------

def _case_or_404(number):
    case = selectors.case_for_command(number)
    if case is None:
        raise NotFound("number", "not_found", f"案卷 {number} 不存在", f"case {number} does not exist")
    return case


def _route_preview(case):
    """Where the routing table would send this case now, and the due times it would get."""
    if case.category is None:
        return None
    return dispatch_selectors.routing_preview(case.category, case.grid_code, case.urgency)


def _case_context(request, case, forms=None, error=None, error_form=""):
    forms = forms or {}
    whistle = Whistle.objects.filter(case=case).first()
    dispatches = with_warnings(list(annotate_warnings(dispatch_selectors.case_dispatches(case))))
    triage = list(TriageItem.objects.filter(case=case, resolved_at__isnull=True)
                  .select_related("dispatch__department").order_by("created_at"))
    preview = _route_preview(case)
    holding = [d for d in dispatches if d.state not in (State.RETURNED, State.REROUTED)]
    has_lead = any(d.role == Role.LEAD for d in holding)
    initial = {}
    if preview and preview["route"].rule and not has_lead:
        route = preview["route"]
        held = {d.department_id for d in holding}
        returned = {d.department_id for d in dispatches if d.state in (State.RETURNED, State.REROUTED)}
        initial = {"lead": route.lead if route.lead and route.lead.pk not in returned | held else None,
                   "legal_basis": route.legal_basis}
    lead = next((d for d in holding if d.role == Role.LEAD), None)
    photos = selectors.case_photos(case)
    next_level = None
    if whistle and LEVEL_ORDER.index(whistle.level) < len(LEVEL_ORDER) - 1:
        next_level = WhistleLevel(LEVEL_ORDER[LEVEL_ORDER.index(whistle.level) + 1])
    petition = None
    if apps.is_installed("gridgov.petitions"):
        from gridgov.petitions.selectors import petition_panel

        petition = petition_panel(case)
    return {
        "petition": petition,
        "case": case, "whistle": whistle, "dispatches": dispatches, "triage": triage, "preview": preview,
        "has_lead": has_lead, "lead": lead, "next_level": next_level,
        "can_close": case.status == "whistled" and lead is not None and lead.state == State.VERIFIED,
        "report_photos": [p for p in photos if p.kind == "report"],
        "after_photos": [p for p in photos if p.kind == "after"],
        "timeline": selectors.timeline(request.user, case),
        "forms": {
            "reroute": forms.get("reroute") or RerouteForm(initial=initial),
            "escalate": forms.get("escalate") or EscalateForm(initial={"expected_level": whistle.level if whistle
                                                                       else ""}),
            "close": forms.get("close") or CloseForm(),
            "file": forms.get("file") or FileForm(),
            "supervise": forms.get("supervise"),
        },
        "error": error, "error_form": error_form,
        "map": map_config(point=[case.point.x, case.point.y], grid=case.grid_code),
    }


@never_cache
@roles_required(COMMAND)
def case_page(request, number):
    try:
        case = _case_or_404(number)
    except NotFound as exc:
        return not_found(request, exc)
    return page(request, "console/command_case.html", _case_context(request, case), active="command")


def _file(case, user, form):
    return actions.do_file_case_by_command_centre(case, user, form.cleaned_data.get("level") or "",
                                                  form.cleaned_data.get("note", ""))


def _reroute(case, user, form):
    data = form.cleaned_data
    return actions.do_reroute(case, user, lead=data.get("lead"), assists=list(data.get("assists") or []),
                              notified=list(data.get("notified") or []), note=data.get("note", ""),
                              legal_basis=data.get("legal_basis", ""))


def _escalate(case, user, form):
    return actions.do_escalate(case, user, note=form.cleaned_data.get("note", ""),
                               expected_level=form.cleaned_data.get("expected_level") or None)


def _close(case, user, form):
    return actions.do_close(case, user, form.cleaned_data.get("note", ""))


def _supervise(case, user, form):
    dispatch = Dispatch.objects.filter(case=case, pk=form.cleaned_data.get("dispatch") or 0).first()
    if dispatch is None:
        raise FieldError("dispatch", "not_found", "派遣单不存在", "no such dispatch on this case")
    return do_issue_supervision(dispatch, user, form.cleaned_data.get("note", ""))


CASE_ACTIONS = {"file": (FileForm, _file), "reroute": (RerouteForm, _reroute), "escalate": (EscalateForm, _escalate),
                "close": (CloseForm, _close), "supervise": (SuperviseForm, _supervise)}


def _done_message(name):
    return {"file": _("已立案派遣"), "reroute": _("已改派"), "escalate": _("已升级吹哨"), "close": _("已结案"),
            "supervise": _("督办通知已发送")}[name]


@require_POST
@roles_required(COMMAND)
def case_action(request, number, name):
    if name not in CASE_ACTIONS:
        raise Http404(name)
    try:
        case = _case_or_404(number)
    except NotFound as exc:
        return not_found(request, exc)
    form_class, run = CASE_ACTIONS[name]
    form = form_class(request.POST)
    if not form.is_valid() and name == "reroute" and form.errors:
        error = PageError(FieldError(next(iter(form.errors)), "invalid", "所选部门无效或已停用，请刷新后重选",
                                     "a chosen department is invalid or inactive; reload and choose again"))
    else:
        _done, error = attempt(run, case, request.user, form)
    if error is None:
        messages.success(request, _done_message(name))
        if name == "supervise" and request.POST.get("next") == "overdue":
            return redirect(reverse("command-centre-page") + "?tab=overdue")
        return redirect("console-command-case", number=case.number)
    case = _case_or_404(number)
    context = _case_context(request, case, forms={name: None if error.conflict else form}, error=error,
                            error_form=name)
    return page(request, "console/command_case.html", context, status=error.status, active="command")


# --- routing preview and taking in a case -----------------------------------------------------------

def preview_result(lon, lat, category_code, urgency):
    located = locate(lon, lat)
    category = dispatch_selectors.preview_category(category_code)
    preview = dispatch_selectors.routing_preview(category, located.unit.code, urgency)
    return {**preview, "located": located, "category": category, "urgency": Urgency(preview["urgency"]).label}


@roles_required(COMMAND)
def preview_page(request):
    form = PreviewForm(request.GET or None)
    result = error = None
    if request.GET and form.is_valid():
        data = form.cleaned_data
        if data.get("lon") is None or data.get("lat") is None:
            error = PageError(FieldError("lon", "required", "请在地图上点选位置", "click the map to choose a point"))
        elif not data.get("category"):
            error = PageError(FieldError("category", "required", "请选择分类", "choose a category"))
        else:
            result, error = attempt(preview_result, data["lon"], data["lat"], data["category"], data.get("urgency"))
    elif request.GET:
        error = PageError(FieldError(next(iter(form.errors)), "invalid", "位置应为数字", "the position must be numbers"))
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    point = [data["lon"], data["lat"]] if data.get("lon") is not None and data.get("lat") is not None else None
    return page(request, "console/preview.html", {
        "form": form, "result": result, "error": error, "categories": selectors.category_groups(),
        "map": map_config(pick=True, point=point, grid=result["located"].unit.code if result else None,
                          extent=selectors.county_extent()),
    }, status=400 if error else 200, active="preview")


@never_cache
@roles_required(COMMAND)
def file_page(request):
    """Take in a case (hotline, citizen) and file it at once (立案派遣); also the list of reported cases."""
    form = NewCaseForm(request.POST or None)
    error = None
    client_uuid = request.POST.get("client_uuid") or str(uuid.uuid4())
    if request.method == "POST":
        form.is_valid()
        data = request.POST.copy()
        data["client_uuid"] = client_uuid
        for name in ("occurred_at", "reported_at", "follow_up_of", "resolved_on_spot", "resolution_note"):
            data.pop(name, None)
        created, error = attempt(lambda: do_create_case(request.user, parse_case_input(data, request.FILES)))
        if error is None:
            case = created.case
            _filed, error = attempt(actions.do_file_case_by_command_centre, case, request.user,
                                    form.cleaned_data.get("level") or WhistleLevel.ROUTINE,
                                    form.cleaned_data.get("note", ""))
            if error is None or error.code == "already_whistled":
                messages.success(request, _("案卷 %(number)s 已登记并立案派遣") % {"number": case.number})
            else:
                messages.warning(request, _("案卷 %(number)s 已登记，但立案派遣未成功：%(message)s")
                                 % {"number": case.number, "message": error.message})
            return redirect("console-command-case", number=case.number)
    return page(request, "console/file.html", {
        "form": form, "error": error, "client_uuid": client_uuid, "categories": selectors.category_groups(),
        "cases": selectors.reported_not_filed(), "file_form": FileForm(),
        "map": map_config(pick=True, point=None, extent=selectors.county_extent()),
    }, status=error.status if error else 200, active="file")
