from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

from gridgov.accounts.models import Role

# Where each role starts its day. A page that is not installed falls back to the admin.
START_PAGE = {
    Role.GRID_WORKER: "field:report",
    Role.RESPONDER: "dispatch-queue-page",
    Role.DISPATCHER: "command-centre-page",
    Role.MONITOR: "mapwall",
    Role.LEADER: "mapwall",
}


@login_required
def home(request):
    name = START_PAGE.get(request.user.role)
    if name:
        try:
            return redirect(reverse(name))
        except NoReverseMatch:
            pass
    return redirect("admin:index")
