"""Who may see and do what with dispatches. Scope is a queryset filter (enforced in SQL).

Seeing:
- department responder: the dispatches of the departments they are a member of;
- grid worker: the dispatches of cases they can see (their grids, their own reports:
  gridgov.cases.access.scope_q);
- dispatcher (command centre), admin, district monitor: every dispatch (the monitor read-only);
- anyone else (leader): the dispatches of the cases gridgov.cases.access lets them see.

Doing:
- accept / start / feed back / return / ask for suspension / resume: members of the dispatch's
  department (and admins);
- verify (核查): grid workers of the case's grid, the command centre, admins;
- whistle: grid workers of the case's grid; file (立案派遣), re-route, close, approve suspensions,
  triage: the command centre and admins; escalate: the case's grid workers, the command centre.
"""
from django.db.models import Q

from gridgov.accounts.models import Role
from gridgov.cases.access import assigned_unit_codes, scope_q
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.roles import role_of

from .models import Dispatch, Suspension, TriageItem

SEE_ALL = {Role.DISPATCHER, Role.ADMIN, Role.MONITOR}
COMMAND = {Role.DISPATCHER, Role.ADMIN}


def member_department_ids(user):
    return list(user.department_memberships.filter(department__is_active=True).values_list("department_id", flat=True))


def dispatch_scope_q(user):
    role = role_of(user)
    if role is None:
        return Q(pk__in=[])
    if role in SEE_ALL:
        return Q()
    if role == Role.RESPONDER:
        return Q(department_id__in=member_department_ids(user))
    case_q = scope_q(user)
    if not case_q:
        return Q()
    return Q(case__in=_visible_case_ids(case_q))


def _visible_case_ids(case_q):
    from gridgov.cases.models import Case

    return Case.objects.filter(case_q).values("pk")


def visible_dispatches(user, queryset=None):
    queryset = Dispatch.objects.all() if queryset is None else queryset
    q = dispatch_scope_q(user)
    return queryset.filter(q) if q else queryset


def get_visible_dispatch(user, pk, queryset=None):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        pk = None
    found = visible_dispatches(user, queryset).filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound("dispatch", "not_found", f"派遣单 {pk} 不存在或无权查看",
                       f"dispatch {pk} does not exist or is not visible to you")
    return found


def is_command(user):
    return role_of(user) in COMMAND


def require_command(user, what_zh="此操作", what_en="do this"):
    if not is_command(user):
        raise Forbidden(None, "forbidden", f"只有指挥中心可以{what_zh}", f"only the command centre may {what_en}")


def is_member(user, department_id):
    if role_of(user) == Role.ADMIN:
        return True
    return user.department_memberships.filter(department_id=department_id, department__is_active=True).exists()


def require_member(user, dispatch):
    if not is_member(user, dispatch.department_id):
        raise Forbidden(None, "forbidden", f"您不是承办单位「{dispatch.department.name}」的人员，不能办理该派遣单",
                        f"you are not a member of {dispatch.department.code}; you cannot act on this dispatch")


def is_grid_worker_of(user, case):
    if role_of(user) != Role.GRID_WORKER:
        return False
    return any(case.grid_code.startswith(code) for code in assigned_unit_codes(user))


def require_verifier(user, case):
    if not (is_command(user) or is_grid_worker_of(user, case)):
        raise Forbidden(None, "forbidden", "只有本网格的网格员或指挥中心可以核查",
                        "only the grid worker of this grid or the command centre may verify")


def require_whistler(user, case):
    if not (is_command(user) or is_grid_worker_of(user, case)):
        raise Forbidden(None, "forbidden", "只有本网格的网格员或指挥中心可以吹哨",
                        "only the grid worker of this grid or the command centre may blow the whistle")


def sees_everything(user):
    return role_of(user) in SEE_ALL


def sees_case_history(user, case):
    """The whole dispatch history of a case: the command centre, the monitor, the case's grid workers.
    Responders see the history of their own dispatches (dispatch detail)."""
    return sees_everything(user) or is_grid_worker_of(user, case)


def visible_triage(user, queryset=None):
    queryset = TriageItem.objects.all() if queryset is None else queryset
    role = role_of(user)
    if role in SEE_ALL:
        return queryset
    return queryset.none()


def visible_suspensions(user, queryset=None):
    queryset = Suspension.objects.all() if queryset is None else queryset
    return queryset.filter(dispatch__in=visible_dispatches(user).values("pk"))
