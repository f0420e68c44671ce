"""Petition pages for the reception desk and the command centre (thin: parse, authorise, call the actions)."""
import uuid
from datetime import timedelta
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role
from gridgov.cases.models import Channel
from gridgov.console import selectors as console_selectors
from gridgov.console.common import attempt, map_config, not_found, page, roles_required
from gridgov.core.errors import FieldError, NotFound

from gridgov.grids.models import GridUnit, Level

from .actions import (PETITION_CHANNELS, PersonInput, PetitionInput, do_confirm_repeat, do_decide_acceptance,
                      do_decide_review, do_extend_handling, do_register_petition, do_reply, do_request_review)
from .models import Decision, Nature, PetitionLevel, PetitionMatter, Petitioner
from .selectors import desk_queue, petitioner_file

STAFF = {Role.DISPATCHER, Role.ADMIN}
MAX_REPRESENTATIVES = 5


def _int(data, name, default):
    value = (data.get(name) or "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise FieldError(name, "not_integer", "应为整数", f"{name} must be a whole number")


def parse_petition_form(data):
    """The reception form → PetitionInput; FieldError naming the field for what is not a number."""
    people = [PersonInput(data.get("name", ""), id_number=data.get("id_number", ""), phone=data.get("phone", ""),
                          address=data.get("person_address", ""))]
    for i in range(1, MAX_REPRESENTATIVES + 1):
        name = (data.get(f"rep{i}_name") or "").strip()
        if name:
            key = (data.get(f"rep{i}_id_number") or "").strip()  # an ID number (18) or a phone
            people.append(PersonInput(name, id_number=key if len(key) == 18 else "",
                                      phone=key if len(key) != 18 else "", role="representative"))
    return PetitionInput(
        lon=data.get("lon"), lat=data.get("lat"), category=data.get("category", ""),
        description=data.get("description", ""), channel=data.get("channel", ""), nature=data.get("nature", ""),
        people=people, head_count=_int(data, "head_count", len(people)),
        level_reached=_int(data, "level_reached", PetitionLevel.COUNTY),
        responsible_level=_int(data, "responsible_level", PetitionLevel.COUNTY),
        assigned_by=data.get("assigned_by", ""), address=data.get("address", ""),
        client_uuid=data.get("client_uuid") or None)


@roles_required(STAFF)
def register_page(request):
    """信访登记: a walk-in (or letter, call, mailbox) petition registered at the desk."""
    error = None
    client_uuid = request.POST.get("client_uuid") or str(uuid.uuid4())
    if request.method == "POST":
        def register():
            data = request.POST.copy()
            data["client_uuid"] = client_uuid
            return do_register_petition(request.user, parse_petition_form(data))

        matter, error = attempt(register)
        if error is None:
            messages.success(request, _("信访事项 %(number)s 已登记") % {"number": matter.case.number})
            return redirect("console-command-case", number=matter.case.number)
    return page(request, "petitions/register.html", {
        "error": error, "client_uuid": client_uuid, "form": request.POST,
        "categories": console_selectors.category_groups(),
        "channels": [(c.value, c.label) for c in Channel if c in PETITION_CHANNELS],
        "natures": Nature.choices, "levels": PetitionLevel.choices,
        "reps": range(1, 3), "map": map_config(pick=True, point=None, extent=console_selectors.county_extent()),
    }, status=error.status if error else 200, active="petition")


CLOCKS = {"overdue": _("已超期"), "near": _("临近期限"), "ok": _("正常")}


@roles_required(STAFF)
def queue_page(request):
    """The desk's open matters by their statutory clock, worst first."""
    clock = request.GET.get("clock", "")
    if clock not in CLOCKS:
        clock = ""
    query = request.GET.get("q", "")
    rows = desk_queue(timezone.now(), clock=clock, query=query)
    return page(request, "petitions/queue.html", {"rows": rows, "clock": clock, "q": query,
                                                  "clocks": CLOCKS}, active="petition")


MEASURE_ROLES = {Role.DISPATCHER, Role.ADMIN, Role.MONITOR, Role.LEADER}


@roles_required(MEASURE_ROLES)
def measures_page(request):
    """初信初访一次性化解率, 复访率, 越级访率, 满意率 per street for a period (default: the last 90 days)."""
    from gridgov.evaluation.petition_metrics import petition_figures

    today = timezone.localdate()
    start = request.GET.get("start") or (today - timedelta(days=89)).isoformat()
    end = request.GET.get("end") or today.isoformat()
    rows, error = attempt(petition_figures, start, end)
    return page(request, "petitions/measures.html", {"rows": rows or [], "error": error, "start": start, "end": end},
                status=error.status if error else 200, active="petition")


@roles_required(STAFF)
def person_page(request, pk):
    """一人一档: every petition of one person (masked numbers only)."""
    found = Petitioner.objects.filter(pk=pk).first()
    if found is None:
        return not_found(request, NotFound("petitioner", "not_found", "找不到该信访人", "no such petitioner"))
    person, matters = petitioner_file(found)
    return page(request, "petitions/person.html", {"person": person, "matters": matters}, active="petition")


def _matter_or_404(number):
    matter = (PetitionMatter.objects.select_related("case", "case__category", "decided_by")
              .filter(case__number=(number or "").upper()).first())
    if matter is None:
        raise NotFound("number", "not_found", f"信访事项 {number} 不存在", f"petition {number} does not exist")
    return matter


def _decide(request, matter):
    return do_decide_acceptance(request.user, matter, request.POST.get("decision", ""),
                                reason=request.POST.get("reason", ""), legal_basis=request.POST.get("legal_basis", ""))


def _repeat(request, matter):
    earlier = PetitionMatter.objects.filter(case__number=(request.POST.get("earlier") or "").upper()).first()
    if earlier is None:
        raise FieldError("earlier", "not_found", "所选的原信访事项不存在", "the earlier matter does not exist")
    return do_confirm_repeat(request.user, matter, earlier)


def _extend(request, matter):
    return do_extend_handling(request.user, matter, _int(request.POST, "days", 0),
                              approved_by=request.POST.get("approved_by", ""))


def _reply(request, matter):
    return do_reply(request.user, matter, request.POST.get("reply_text", ""))


def _review(request, matter):
    return do_request_review(request.user, matter, request.POST.get("kind", ""), request.POST.get("request_text", ""))


def _review_decide(request, matter):
    review = matter.reviews.filter(pk=_int(request.POST, "review", 0)).first()
    if review is None:
        raise FieldError("review", "not_found", "找不到该复查/复核申请", "no such review request")
    return do_decide_review(request.user, review, request.POST.get("outcome", ""), request.POST.get("opinion", ""))


MATTER_ACTIONS = {"decide": (_decide, _("受理决定已记录")), "repeat": (_repeat, _("已确认为重复信访")),
                  "extend": (_extend, _("办理期限已延长")), "reply": (_reply, _("答复意见已记录")),
                  "review": (_review, _("复查/复核申请已登记")), "review-decide": (_review_decide, _("复查/复核意见已记录"))}


@require_POST
@roles_required(STAFF)
def matter_action(request, number, name):
    """The desk's decisions on a matter, from the petition panel of the command centre's case page."""
    if name not in MATTER_ACTIONS:
        raise Http404(name)
    try:
        matter = _matter_or_404(number)
    except NotFound as exc:
        return not_found(request, exc)
    run, done = MATTER_ACTIONS[name]
    _result, error = attempt(run, request, matter)
    if error is None:
        messages.success(request, str(done))
        return redirect("console-command-case", number=matter.case.number)
    from gridgov.console.command import _case_context

    context = _case_context(request, matter.case, error=error, error_form="petition")
    return page(request, "console/command_case.html", context, status=error.status, active="command")


@roles_required(STAFF)
def print_page(request, number, kind):
    """登记回执 (slip) or 告知书 (notice of the decision), to print and hand over or post."""
    if kind not in ("slip", "notice"):
        raise Http404(kind)
    try:
        matter = _matter_or_404(number)
    except NotFound as exc:
        return not_found(request, exc)
    if kind == "notice" and matter.decision == Decision.PENDING:
        return not_found(request, NotFound("decision", "not_decided", "尚未作出受理决定，没有告知书",
                                           "no decision yet, so no notice"))
    parties = list(matter.parties.select_related("petitioner").order_by("id"))
    return render(request, f"petitions/print_{kind}.html", {
        "matter": matter, "case": matter.case, "main": parties[0].petitioner if parties else None,
        "parties": parties, "county": GridUnit.objects.filter(level=Level.DISTRICT, is_active=True)
        .order_by("code").values_list("name", flat=True).first() or "",
        "last_notice_day": matter.notice_last_day, "handling_last_day": matter.handling_last_day,
        "Decision": Decision})
