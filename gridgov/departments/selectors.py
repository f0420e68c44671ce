"""Reads about departments."""
from django.contrib.postgres.aggregates import BoolOr
from django.db import connection
from django.db.models import IntegerField, Max, Q
from django.db.models.functions import Length

from gridgov.core.errors import FieldError
from gridgov.grids.models import level_for_code

from .models import Department, Membership


def _prefixes(grid_code):
    if level_for_code(grid_code) is None:
        raise FieldError("grid_code", "malformed_code",
                         f"网格编码 {grid_code!r} 格式错误：应为 6/9/12/15 位数字",
                         f"grid code {grid_code!r} is malformed: 6, 9, 12 or 15 digits expected")
    return [grid_code[:n] for n in range(6, len(grid_code) + 1, 3)]


def departments_covering(grid_code, kind=None):
    """Active departments whose jurisdiction contains this grid unit (a jurisdiction unit's code is a
    prefix of grid_code: the unit itself or one of its ancestors).

    Done in SQL: the prefixes of a hierarchical code are its ancestors' codes, so the test is an
    indexed `code IN (...)` on the jurisdiction units. Each department carries `match_length`, the
    length of the most specific matching unit's code (15 = the grid itself, 6 = the whole county),
    and the queryset is ordered most specific first, then by kind and code.
    """
    prefixes = _prefixes(grid_code)
    qs = Department.objects.filter(is_active=True, jurisdiction__code__in=prefixes)
    if kind:
        qs = qs.filter(kind=kind)
    return (qs.annotate(match_length=Max(Length("jurisdiction__code"), output_field=IntegerField()))
            .order_by("-match_length", "kind", "code"))


def departments_of_user(user, active_only=True):
    """The departments this user is a member of (is_lead annotated), by name."""
    qs = Department.objects.filter(memberships__user=user)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.annotate(is_lead=BoolOr("memberships__is_lead", filter=Q(memberships__user=user))).order_by("name")


def responders_of(department, leads_only=False):
    qs = Membership.objects.filter(department=department, user__is_active=True).select_related("user")
    if leads_only:
        qs = qs.filter(is_lead=True)
    return [m.user for m in qs]


def descendant_ids(department):
    """Ids of the department and everything below it (recursive CTE in SQL)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH RECURSIVE tree(id, depth) AS (
                SELECT id, 0 FROM departments_department WHERE id = %s
                UNION ALL
                SELECT d.id, t.depth + 1 FROM departments_department d JOIN tree t ON d.parent_id = t.id
                WHERE t.depth < 20
            )
            SELECT id FROM tree
            """,
            [department.pk],
        )
        return [row[0] for row in cur.fetchall()]
