"""Who may see and do what with cases. Every view and endpoint gets its cases from here.

Scope is a queryset filter (enforced in SQL), never a template condition:

- grid worker: cases in the grid units they are assigned to (GridUnit.workers; a unit covers its
  descendants, whose codes it prefixes) and cases they reported themselves;
- department responder: cases inside the jurisdiction of their active departments
  (gridgov.departments; nothing when that app is not installed). TODO(issue 4): narrow this to the
  cases dispatched to their department once dispatch exists;
- dispatcher / command centre and admin (and superusers): every case;
- district monitor: every case, read-only, personal data masked;
- leader: their own reports only for now. TODO(issue 4): the cases they own (包案).
"""
from django.apps import apps
from django.db.models import Q

from gridgov.accounts.models import Role
from gridgov.errors import FieldError

from .models import Case

SEE_ALL = {Role.DISPATCHER, Role.ADMIN, Role.MONITOR}
CAN_REPORT = {Role.GRID_WORKER, Role.DISPATCHER, Role.ADMIN}
CAN_EDIT = {Role.DISPATCHER, Role.ADMIN}
# Roles that need a citizen's name and phone to do their work (call back, visit, hand over).
SEE_PERSONAL_DATA = {Role.DISPATCHER, Role.ADMIN, Role.RESPONDER}


class Forbidden(FieldError):
    status = 403


class NotFound(FieldError):
    status = 404


def role_of(user):
    if not user or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    return user.role


def _prefix_q(codes):
    q = Q(pk__in=[])
    for code in codes:
        q |= Q(grid_code__startswith=code)
    return q


def assigned_unit_codes(user):
    return list(user.grids.filter(is_active=True).values_list("code", flat=True))


def department_unit_codes(user):
    if not apps.is_installed("gridgov.departments"):
        return []
    GridUnit = apps.get_model("grids", "GridUnit")
    return list(GridUnit.objects.filter(departments__is_active=True, departments__memberships__user=user)
                .values_list("code", flat=True).distinct())


def scope_q(user):
    """A Q selecting the cases this user may see (Q(pk__in=[]) = none)."""
    role = role_of(user)
    if role is None:
        return Q(pk__in=[])
    if role in SEE_ALL:
        return Q()
    own = Q(reporter=user)
    if role == Role.GRID_WORKER:
        return own | _prefix_q(assigned_unit_codes(user))
    if role == Role.RESPONDER:
        return own | _prefix_q(department_unit_codes(user))
    return own


def visible_cases(user, queryset=None):
    queryset = Case.objects.all() if queryset is None else queryset
    q = scope_q(user)
    return queryset.filter(q) if q else queryset


def get_visible_case(user, number, queryset=None):
    """The case with this public number if the user may see it; 404 otherwise (no hint that it exists)."""
    case = visible_cases(user, queryset).filter(number=str(number or "").upper()).first()
    if case is None:
        raise NotFound("number", "not_found", f"案卷 {number} 不存在或无权查看",
                       f"case {number} does not exist or is not visible to you")
    return case


def can_report(user):
    return role_of(user) in CAN_REPORT


def can_edit(user):
    return role_of(user) in CAN_EDIT


def require_report(user):
    if not can_report(user):
        raise Forbidden(None, "forbidden", "您的角色不能上报案卷", "your role cannot report cases")


def require_edit(user):
    if not can_edit(user):
        raise Forbidden(None, "forbidden", "您的角色不能修改案卷", "your role cannot edit cases")


def sees_personal_data(user, case=None):
    """Citizens' names and phones: roles that need them, and whoever entered them."""
    role = role_of(user)
    if role in SEE_PERSONAL_DATA:
        return True
    return case is not None and role is not None and role != Role.MONITOR and case.reporter_id == user.pk


def can_see_original_photo(user, case):
    # Originals carry EXIF (exact position, device): command centre and admin only.
    return role_of(user) in {Role.DISPATCHER, Role.ADMIN}


def mask_name(name):
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone):
    digits = [c for c in phone or "" if c.isdigit()]
    if not digits:
        return phone
    if len(digits) >= 7:
        return "".join(digits[:3]) + "****" + "".join(digits[-4:])
    return "*" * len(digits)
