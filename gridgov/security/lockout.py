"""What a locked-out login sees, and which IP address a login comes from."""
import logging

from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from gridgov.citizen.clientip import client_ip as _client_ip
from gridgov.conf import setting

log = logging.getLogger("gridgov.security")


def client_ip(request):
    """The same rule as the public rate limits: REMOTE_ADDR unless it is a trusted proxy."""
    return _client_ip(request)


def _minutes():
    cool_off = setting("AXES_COOLOFF_TIME", None)
    return int(cool_off.total_seconds() // 60) if cool_off else 30


def lockout_message():
    return _("登录失败次数过多，该账号在此设备上已锁定 %(minutes)s 分钟。请稍后再试，或联系网格管理员解锁。") % {
        "minutes": _minutes()}


def lockout_response(request, original_response=None, credentials=None):
    """The login page (site or admin) again, its form carrying the lockout message, status 429;
    JSON in the API's error shape for anything else."""
    form = None
    if isinstance(original_response, TemplateResponse) and original_response.context_data:
        form = original_response.context_data.get("form")
    if form is not None and form.is_bound:
        form.errors.clear()
        form.add_error(None, lockout_message())
        original_response.content = original_response.rendered_content
        original_response.status_code = 429
        return original_response
    minutes = _minutes()
    return JsonResponse({"errors": [{
        "field": "username", "code": "locked_out", "message": lockout_message(),
        "message_en": f"too many failed logins: this username is locked from this address for {minutes} minutes",
    }]}, status=429)


def log_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    """A lockout is a line in the server log as well as a row in axes_accessattempt."""
    log.warning("login locked out: username=%r ip=%s path=%s", username, ip_address,
                getattr(request, "path", ""))
