"""The in-app notices page (/console/notifications/): the user's inbox from gridgov.notifications, each
notice linked to the page where its case is handled for this user's role; "mark all read" calls that
module's action. Absent (404) when gridgov.notifications is not installed."""
from django.apps import apps
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache

from gridgov.accounts.models import Role
from gridgov.core.roles import role_of
from gridgov.dispatch import access
from gridgov.dispatch.models import State

from .common import COMMAND, page, roles_required

LIMIT = 100


def _module():
    if not apps.is_installed("gridgov.notifications"):
        raise Http404()
    from gridgov.notifications import actions, channels, selectors

    return actions, channels, selectors


def _targets(user, case_ids):
    """case id → the page where this user works on that case."""
    role = role_of(user)
    if role in COMMAND:
        return None  # the command centre's case page, by number
    found = {}
    rows = access.visible_dispatches(user).filter(case_id__in=case_ids).values_list("case_id", "pk", "state")
    for case_id, pk, state in rows.order_by("case_id", "-dispatched_at", "-id"):
        if case_id in found:
            continue
        if role == Role.GRID_WORKER:
            if state == State.FED_BACK:
                found[case_id] = reverse("console-verify-dispatch", args=[pk])
        else:
            found[case_id] = reverse("console-dispatch", args=[pk])
    return found


@never_cache
@roles_required(set(Role.values))
def notifications_page(request):
    actions, channels, selectors = _module()
    if request.method == "POST":
        actions.do_mark_read(request.user, all_unread=True)
        return redirect("console-notifications")
    rows = list(selectors.inbox(request.user)[:LIMIT])
    targets = _targets(request.user, {n.case_id for n in rows if n.case_id})
    for n in rows:
        n.kind_label = channels.kind_label(n.kind)
        if not n.case_id:
            n.link = None
        elif targets is None:
            n.link = reverse("console-command-case", args=[n.case.number])
        else:
            n.link = targets.get(n.case_id)
    return page(request, "console/notifications.html",
                {"rows": rows, "unread": selectors.unread_count(request.user)}, active="notifications")
