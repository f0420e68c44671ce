"""maps_case_warning reads the warning rules from gridgov.alerts instead of restating them.

0001's view had its own copy of the rules: 'overdue' from hard-coded dispatch states (lead/assist only,
accept stage only while whistled) and the category's colour without the multi-department and diversion
raise. The console, the queues and the sweep use gridgov.alerts' SQL functions, so the wall could show a
case blue while the console showed it orange. Now the view calls the same functions:

- colour: alerts_colour (category → group → default, raised for 2+ handling departments and diversion);
- overdue: alerts_accept_level / alerts_feedback_level = 'overdue' for any live dispatch. Only their
  first branch (now > due, for the states that have that stage) decides 'overdue'; the limit arguments
  matter only for 'near', which the wall does not show, so they are passed as NULL.

The functions are plain SQL and inline into the view, which itself is inlined into the tile and count
queries, so the spatial and open-case indexes are still used. The view now depends on those functions:
a later alerts migration that DROPs them must drop and re-create this view (VIEW below).
"""
from importlib import import_module

from django.db import migrations

OPEN_PREDICATE = "status NOT IN ('closed', 'merged')"
CASE_COLUMNS = ("c.number, c.point, c.grid_id, c.grid_code, c.category_id, c.status, c.urgency, c.received_at, "
                "c.closed_at")

VIEW = f"""
DROP VIEW IF EXISTS maps_case_warning;
CREATE VIEW maps_case_warning AS
SELECT c.id AS case_id, {CASE_COLUMNS},
       (c.{OPEN_PREDICATE}) AS is_open,
       coalesce(d.overdue, false) AS overdue,
       d.next_due,
       d.lead_department_id,
       CASE WHEN NOT (c.{OPEN_PREDICATE}) THEN 'closed'
            WHEN d.overdue THEN 'overdue'
            ELSE alerts_colour(cat.warning_colour, grp.warning_colour, d.handlers, d.diverted, cfg.default_colour,
                               cfg.multi_colour, cfg.diversion_colour) END AS colour,
       true AS overdue_known
FROM cases_case c
LEFT JOIN cases_category cat ON cat.id = c.category_id
LEFT JOIN cases_category grp ON grp.id = cat.parent_id
CROSS JOIN alerts_config() cfg
LEFT JOIN LATERAL (
    SELECT bool_or(alerts_accept_level(x.state::text, x.accept_due, NULL, NULL, NULL, now(), NULL, 0, 0, 0) = 'overdue'
                   OR alerts_feedback_level(x.state::text, x.feedback_due, NULL, NULL, NULL, now(), NULL, 0, 0, 0)
                      = 'overdue') AS overdue,
           min(CASE WHEN x.state = 'whistled' THEN x.accept_due
                    WHEN x.state IN ('accepted', 'in_progress', 'rework') THEN x.feedback_due END) AS next_due,
           min(x.department_id) FILTER (WHERE x.role = 'lead') AS lead_department_id,
           -- live dispatches are one per department (index dispatch_one_per_department): no DISTINCT needed
           count(*) FILTER (WHERE x.role IN ('lead', 'assist')) AS handlers,
           -- a hashed sub-plan, built once per query, rather than a join per case
           bool_or(x.department_id IN (SELECT id FROM departments_department WHERE kind = 'diversion')) AS diverted
    FROM dispatch_dispatch x
    WHERE x.case_id = c.id AND x.state NOT IN ('returned', 'rerouted')
) d ON c.{OPEN_PREDICATE};
"""

# 0001's definition, for going back.
OLD_VIEW = "DROP VIEW IF EXISTS maps_case_warning;\n" + import_module(
    "maps.migrations.0001_initial").WARNING_WITH_DISPATCH


class Migration(migrations.Migration):
    dependencies = [("maps", "0002_truncate_clears_cache"), ("alerts", "0004_null_before_calendar"),
                    ("departments", "0001_initial"), ("dispatch", "0001_initial")]
    operations = [migrations.RunSQL(VIEW, OLD_VIEW)]
