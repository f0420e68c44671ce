"""Who may see and do what with cases. Every view and endpoint gets its cases from here.

Scope is a queryset filter (enforced in SQL), never a template condition:

- grid worker: cases in the grid units they are assigned to (GridUnit.workers; a unit covers its
  descendants, whose codes it prefixes) and cases they reported themselves;
- department responder: cases dispatched to one of their active departments (lead, assist or
  notified; gridgov.dispatch) and cases they reported themselves. Not the whole jurisdiction: a
  county-wide bureau would otherwise read every citizen's phone and other departments' feedback
  photos (issue 7, access matrix: tests/test_access_matrix.py);
- dispatcher / command centre and admin (and superusers): every case;
- district monitor: every case, read-only, personal data masked, no photos (can_see_photos), phone
  numbers typed into free text masked (mask_phones_in_text);
- leader: their own reports only for now. TODO(issue 4): the cases they own (包案).
"""
import re

from django.apps import apps
from django.db.models import Q

from gridgov.accounts.models import Role
from gridgov.core.errors import Forbidden, NotFound
from gridgov.core.roles import role_of

from .models import Case

SEE_ALL = {Role.DISPATCHER, Role.ADMIN, Role.MONITOR}
CAN_REPORT = {Role.GRID_WORKER, Role.DISPATCHER, Role.ADMIN}
CAN_EDIT = {Role.DISPATCHER, Role.ADMIN}
# Roles that need a citizen's name and phone to do their work (call back, visit, hand over).
SEE_PERSONAL_DATA = {Role.DISPATCHER, Role.ADMIN, Role.RESPONDER}


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
        return own | Q(pk__in=dispatched_case_ids(user))
    return own


def dispatched_case_ids(user):
    """The ids (a subquery) of cases with a dispatch to one of the user's active departments."""
    if not apps.is_installed("gridgov.dispatch"):
        return []
    Dispatch = apps.get_model("dispatch", "Dispatch")
    return (Dispatch.objects.filter(department__is_active=True, department__memberships__user=user)
            .values("case_id"))


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


def can_see_photos(user):
    """Scene photos may show people, faces and number plates: never on the display accounts (monitor)."""
    role = role_of(user)
    return role is not None and role != Role.MONITOR


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


# Mainland mobile numbers and landlines with area code, as typed into free text (also the rule of the
# public Open311 feed, gridgov.open311.selectors.mask_phones).
PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)|(?<!\d)(0\d{2,3}-?)\d{7,8}(?!\d)")


def mask_phones_in_text(text):
    """Free text (description, address, notes) for a viewer whose personal data is masked."""
    def repl(m):
        if m.group(1):
            return f"{m.group(1)}****{m.group(2)}"
        return f"{m.group(3)}********"
    return PHONE_IN_TEXT.sub(repl, text or "") if text else text
