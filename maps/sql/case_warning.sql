-- maps_case_warning: a case's colour on the map wall, from the warning rules of gridgov.alerts (its SQL
-- functions), so the wall and the console agree:
-- - colour: alerts_colour (category -> group -> default, raised for 2+ handling departments and diversion);
--   'overdue' once any live dispatch is past its due time for a stage it is in; 'closed' once closed;
-- - overdue: alerts_accept_level / alerts_feedback_level = overdue. Only their first branch (now > due, for
--   the states that have that stage) decides it; the limit arguments matter only for 'near', which the
--   wall does not show, so they are passed as NULL.
-- Plain SQL, inlined into the tile and count queries, so the spatial and open-case indexes are used.
-- Double-brace placeholders come from gridgov.alerts.vocabulary (gridgov.dbsql fills them in).
CREATE VIEW maps_case_warning AS
SELECT c.id AS case_id, c.number, c.point, c.grid_id, c.grid_code, c.category_id, c.status, c.urgency,
       c.received_at, c.closed_at,
       (c.status NOT IN ({{CLOSED_CASE_STATUSES}})) AS is_open,
       coalesce(d.overdue, false) AS overdue,
       d.next_due,
       d.lead_department_id,
       CASE WHEN c.status IN ({{CLOSED_CASE_STATUSES}}) THEN {{STATUS_CLOSED}}
            WHEN d.overdue THEN {{LEVEL_OVERDUE}}
            ELSE alerts_colour(cat.warning_colour, grp.warning_colour, d.handlers, d.diverted, cfg.default_colour,
                               cfg.multi_colour, cfg.diversion_colour) END AS colour,
       true AS overdue_known
FROM cases_case c
LEFT JOIN cases_category cat ON cat.id = c.category_id
LEFT JOIN cases_category grp ON grp.id = cat.parent_id
CROSS JOIN alerts_config() cfg
LEFT JOIN LATERAL (
    SELECT bool_or(alerts_accept_level(x.state::text, x.accept_due, NULL, NULL, NULL, now(), NULL, 0, 0, 0)
                       = {{LEVEL_OVERDUE}}
                   OR alerts_feedback_level(x.state::text, x.feedback_due, NULL, NULL, NULL, now(), NULL, 0, 0, 0)
                      = {{LEVEL_OVERDUE}}) AS overdue,
           min(CASE WHEN x.state IN ({{ACCEPT_STATES}}) THEN x.accept_due
                    WHEN x.state IN ({{FEEDBACK_STATES}}) THEN x.feedback_due END) AS next_due,
           min(x.department_id) FILTER (WHERE x.role = {{ROLE_LEAD}}) AS lead_department_id,
           -- live dispatches are one per department (index dispatch_one_per_department): no DISTINCT needed
           count(*) FILTER (WHERE x.role IN ({{HANDLER_ROLES}})) AS handlers,
           -- a hashed sub-plan, built once per query, rather than a join per case
           bool_or(x.department_id IN (SELECT id FROM departments_department WHERE kind = {{KIND_DIVERSION}}))
               AS diverted
    FROM dispatch_dispatch x
    WHERE x.case_id = c.id AND x.state NOT IN ({{RELEASED_STATES}})
) d ON c.status NOT IN ({{CLOSED_CASE_STATUSES}});
