"""Shared by the console views: who may open which page, running an action and turning its refusal
into a message on the page, the map settings, and the page header (notifications badge)."""
from functools import wraps

from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role
from gridgov.core.roles import role_of
from gridgov.core.errors import FieldError

RESPONDERS = {Role.RESPONDER, Role.ADMIN}
VERIFIERS = {Role.GRID_WORKER, Role.DISPATCHER, Role.ADMIN}
COMMAND = {Role.DISPATCHER, Role.ADMIN}


def is_english():
    return (get_language() or "").startswith("en")


def error_text(exc):
    """The action's own message, in the page's language."""
    return exc.message_en if is_english() else exc.message_zh


class PageError:
    """What the template shows for a refused action: the message, the field it names, and whether it
    was a conflict with someone else's change (HTTP 409)."""

    def __init__(self, exc):
        self.field = exc.field
        self.code = exc.code
        self.status = getattr(exc, "status", 400)
        self.message = error_text(exc)
        self.conflict = self.status == 409

    @property
    def headline(self):
        if self.conflict:
            return _("已被他人处理，请刷新")
        if self.status == 403:
            return _("无权进行此操作")
        if self.status == 404:
            return _("找不到该记录")
        return _("未能办理")


def attempt(func, *args, **kwargs):
    """Run an action; (result, None) or (None, PageError) when it refused (nothing was written)."""
    try:
        return func(*args, **kwargs), None
    except FieldError as exc:
        return None, PageError(exc)


def roles_required(allowed):
    """Login first; then a 403 page (in Chinese) for a role that has no business on this page."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if role_of(request.user) not in allowed:
                return render(request, "console/forbidden.html", {"nav": nav_for(request.user)}, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def not_found(request, exc):
    return render(request, "console/not_found.html", {"error": PageError(exc), "nav": nav_for(request.user)},
                  status=404)


def _url(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def nav_for(user):
    """The header's links for this user's role (pages of other modules only when they are installed)."""
    role = role_of(user)
    links = []
    if role in RESPONDERS:
        links.append(("queue", _("本部门案卷"), reverse("dispatch-queue-page")))
    if role in COMMAND:
        links += [("command", _("指挥中心"), reverse("command-centre-page")),
                  ("preview", _("派遣预判"), reverse("console-preview")),
                  ("file", _("立案"), reverse("console-file")),
                  ("petition", _("信访"), _url("petition-queue"))]
    if role in VERIFIERS:
        links.append(("verify", _("待核查"), reverse("console-verify")))
    if role == Role.GRID_WORKER:
        links.append(("field", _("上报"), _url("field:report")))
    if role in {Role.DISPATCHER, Role.ADMIN, Role.MONITOR, Role.LEADER}:
        from .rankings import available

        if available():
            links.append(("rankings", _("考核排名"), reverse("console-rankings")))
        links.append(("petition-measures", _("信访指标"), _url("petition-measures")))
    links += _app_links(role)
    return [link for link in links if link[2]]


NAV_APPS = ("gridgov.backlog", "gridgov.risk", "gridgov.patrol", "gridgov.bulletins")


def _app_links(role):
    """Links of the apps that define nav.links(role) -> [(key, label, url)], each app deciding for its roles."""
    import importlib
    import importlib.util

    out = []
    for app in NAV_APPS:
        if apps.is_installed(app) and importlib.util.find_spec(app + ".nav"):
            out += importlib.import_module(app + ".nav").links(role)
    return out


def notifications_config(user):
    """The header's bell: the unread count now and the API that refreshes it (gridgov.notifications),
    or None when that module is not installed."""
    if not apps.is_installed("gridgov.notifications"):
        return None
    count_url, page_url = _url("notification-unread-count"), _url("console-notifications")
    if not count_url:
        return None
    from gridgov.notifications.selectors import unread_count

    return {"count_url": count_url, "page": page_url, "unread": unread_count(user)}


def tiles():
    """Base map layers only when configured (GRIDGOV_TILES): county networks often have no internet."""
    out = []
    for tile in settings.LEAFLET_CONFIG.get("TILES") or []:
        name, url, options = (list(tile) + [{}])[:3]
        out.append({"name": str(name), "url": url, "options": options or {}})
    return out


def map_config(**extra):
    lat, lon = settings.LEAFLET_CONFIG.get("DEFAULT_CENTER", (33.0, 119.0))
    return {"center": [lat, lon], "zoom": settings.LEAFLET_CONFIG.get("DEFAULT_ZOOM", 10),
            "max_zoom": settings.LEAFLET_CONFIG.get("MAX_ZOOM", 18), "tiles": tiles(),
            "grids": reverse("grid-list"), **extra}


def page(request, template, context, status=200, active=""):
    context = {"nav": nav_for(request.user), "active": active,
               "notifications": notifications_config(request.user), **context}
    return render(request, template, context, status=status)
