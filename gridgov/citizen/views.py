"""扫码上报: printable QR codes and posters per grid (command centre / admin), the public form (no
login) and the public status page. Thin: parse, call actions/selectors, render."""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from gridgov.accounts.models import Role
from gridgov.core.roles import role_of
from gridgov.core.errors import FieldError

from . import conf
from .actions import do_submit_citizen_report
from .clientip import client_ip
from .inputs import HONEYPOT, parse_report
from .qr import qr_png, qr_svg
from .selectors import (
    form_categories,
    grid_with_point,
    poster_units,
    printable_grids,
    public_status,
)
from .tokens import grid_code_from_token, grid_token, new_stamp

PRINTERS = {Role.DISPATCHER, Role.ADMIN}


def _report_url(request, code):
    path = reverse("citizen:report", kwargs={"grid_token": grid_token(code)})
    base = conf.public_base_url().rstrip("/")
    return base + path if base else request.build_absolute_uri(path)


def _printable_unit(request, code):
    if role_of(request.user) not in PRINTERS:
        raise PermissionDenied
    unit = grid_with_point(code)
    if unit is None:
        raise Http404
    return unit


@login_required
def qr_code(request, code, fmt):
    unit = _printable_unit(request, code)
    url = _report_url(request, unit.code)
    if fmt == "svg":
        return HttpResponse(qr_svg(url), content_type="image/svg+xml")
    resp = HttpResponse(qr_png(url), content_type="image/png")
    resp["Content-Disposition"] = f'inline; filename="qr-{unit.code}.png"'
    return resp


@login_required
def poster(request, code):
    """One A4 poster per grid: the grid itself, or every grid of a community / street (one per page)."""
    unit = _printable_unit(request, code)
    grids = printable_grids(unit.code)
    if not grids:
        raise Http404
    posters = []
    for grid in grids:
        url = _report_url(request, grid.code)
        posters.append({"unit": grid, "url": url, "qr": qr_svg(url, scale=10).decode("utf-8")})
    return render(request, "citizen/poster.html", {"title": unit.name, "posters": posters})


@login_required
def poster_index(request):
    if role_of(request.user) not in PRINTERS:
        raise PermissionDenied
    prefix = request.GET.get("under", "").strip()
    return render(request, "citizen/poster_index.html", {"units": poster_units(prefix if prefix.isdigit() else "")})


@never_cache
@csrf_protect
def report(request, grid_token):
    code = grid_code_from_token(grid_token)
    unit = grid_with_point(code) if code else None
    if unit is None:
        raise Http404
    context = {"unit": unit, "categories": form_categories(), "honeypot": HONEYPOT,
               "description_max": conf.description_max_chars(), "values": {}}
    if request.method == "POST":
        try:
            parsed = parse_report(request.POST, request.FILES, unit.code)
            case = do_submit_citizen_report(parsed, client_ip(request))
        except FieldError as exc:
            context.update(error=exc, values=request.POST)
            context["stamp"] = new_stamp(unit.code)
            return render(request, "citizen/report.html", context, status=exc.status)
        return render(request, "citizen/done.html", {"number": case.number, "unit": unit})
    context["stamp"] = new_stamp(unit.code)
    return render(request, "citizen/report.html", context)


@never_cache
def status(request, number):
    info = public_status(number)
    if info is None:
        raise Http404
    return render(request, "citizen/status.html", {"case": info})
