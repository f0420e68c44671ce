"""GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/. Thin: parse, call, render.

Every endpoint answers in the format its extension names (.json / .xml); errors use the spec's
format with 400/403/404 (429 when throttled).
"""
from django.http import HttpResponseNotAllowed
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from . import conf, selectors
from .actions import do_submit_request
from .errors import Open311Error
from .inputs import parse_request
from .render import error, respond
from .throttle import allow, client_ip

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-23T00:00:00+08:00"


def open311_view(methods=("GET",)):
    def wrap(fn):
        @csrf_exempt  # POST is authenticated by api_key, not by a session cookie
        def view(request, fmt, **kwargs):
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            try:
                if request.method == "GET" and not allow("get", client_ip(request), conf.get_rate()):
                    return error(fmt, 429, "请求过于频繁，请稍后再试 / too many requests, slow down")
                jurisdiction = selectors.resolve_jurisdiction(request.GET.get("jurisdiction_id")
                                                              or request.POST.get("jurisdiction_id"))
                return fn(request, fmt, jurisdiction, **kwargs)
            except Open311Error as exc:
                return error(fmt, exc.status, exc.description)
        return view
    return wrap


@open311_view()
def discovery(request, fmt, jurisdiction):
    url = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt})).rsplit("/", 1)[0] + "/"
    return respond({
        "changeset": CHANGESET, "contact": conf.contact(), "key_service": conf.key_service(),
        "endpoints": [{"specification": SPEC, "url": url, "changeset": CHANGESET, "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    }, fmt, "discovery", None)


@open311_view()
def service_list(request, fmt, jurisdiction):
    return respond([selectors.service_dict(c) for c in selectors.services()], fmt, "services", "service")


@open311_view()
def service_definition(request, fmt, jurisdiction, code):
    return respond(selectors.definition_dict(selectors.service(code)), fmt, "service_definition", None)


@open311_view(methods=("GET", "POST"))
def requests(request, fmt, jurisdiction):
    if request.method == "POST":
        key = selectors.api_key_for(request.POST.get("api_key"))
        if not allow("post", key.pk, conf.post_rate()):
            return error(fmt, 429, "提交过于频繁，请稍后再试 / too many requests for this api_key, slow down")
        token = do_submit_request(key, parse_request(request.POST, request.FILES), jurisdiction)
        return respond([{"service_request_id": token.case.number, "token": token.token,
                         "service_notice": "已受理，请凭服务请求编号查询进度", "account_id": None}],
                       fmt, "service_requests", "request")
    cases = selectors.find_requests(request.GET, jurisdiction)
    return respond(selectors.request_dicts(cases, request.build_absolute_uri), fmt, "service_requests", "request")


@open311_view()
def request_detail(request, fmt, jurisdiction, request_id):
    case = selectors.find_request(request_id, jurisdiction)
    return respond(selectors.request_dicts([case], request.build_absolute_uri), fmt, "service_requests", "request")


@open311_view()
def token_detail(request, fmt, jurisdiction, token):
    from .models import RequestToken

    found = RequestToken.objects.filter(token=token).select_related("case").first()
    if found is None or selectors.in_jurisdiction(type(found.case).objects.filter(pk=found.case_id),
                                                  jurisdiction).first() is None:
        return error(fmt, 404, f"token 不存在：{token} / token {token!r} does not exist")
    return respond([{"service_request_id": found.case.number, "token": found.token}], fmt,
                   "service_requests", "request")
