"""CSP violation reports (the policy's report-uri): one log line each, so a page the policy breaks in
the field shows up in the server log. Anonymous (browsers send them without cookies), size-capped and
rate-limited per process so it cannot flood the log."""
import json
import logging
import time

from django.http import HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

log = logging.getLogger("gridgov.security.csp")
MAX_BYTES = 8 * 1024
MAX_PER_MINUTE = 60
_window = {"start": 0.0, "count": 0}


def _allowed(now):
    if now - _window["start"] >= 60:
        _window["start"], _window["count"] = now, 0
    _window["count"] += 1
    return _window["count"] <= MAX_PER_MINUTE


@csrf_exempt
def csp_report(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BYTES:
        return HttpResponse(status=413)
    try:
        report = json.loads(request.body[:MAX_BYTES] or b"{}").get("csp-report", {})
    except (ValueError, AttributeError):
        return HttpResponse(status=400)
    if isinstance(report, dict) and _allowed(time.monotonic()):
        fields = ("violated-directive", "blocked-uri", "document-uri", "source-file", "line-number")
        log.warning("CSP violation: %s", " ".join(f"{k}={str(report.get(k, ''))[:200]!r}" for k in fields))
    return HttpResponse(status=204)
