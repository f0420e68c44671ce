-- The warning rules as PostgreSQL functions: one definition for the ORM annotations
-- (gridgov.alerts.warnings), the background sweep, the map wall's view (maps/sql/) and the queues.
-- Applied after every migrate by gridgov.dbsql (CREATE OR REPLACE; obsolete signatures in drop.sql).
-- Double-brace placeholders are filled from gridgov.alerts.vocabulary (the Python enums); a quoted state,
-- role, colour, unit or level written here instead fails tests/test_sql_vocabulary.py.
--
--   alerts_work_minutes_at(t)       working minutes from the start of alerts_workperiod to t (one index
--                                   look-up; NULL before the table starts or while it is empty, so a
--                                   working-time stage then reads 'ok', never a false 'near')
--   alerts_stage_level(...)         none | ok | near | overdue for one stage
--   alerts_accept_level / alerts_feedback_level   the 签收 / 办结反馈 stage of a dispatch
--   alerts_level_rank / alerts_level_name / alerts_worse, alerts_colour_rank / alerts_colour
--   alerts_config()                 the settings (alerts_warningconfig, kept by gridgov.alerts.worktime)
--   alerts_dispatch_warnings(now) / alerts_case_warnings(now) / alerts_case_colour(case_id)   for raw SQL
--
-- Plain SQL functions without sub-selects, settings as arguments, so PostgreSQL inlines them.
CREATE OR REPLACE FUNCTION alerts_work_minutes_at(p_t timestamptz) RETURNS double precision
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    m double precision;
BEGIN
    SELECT p.cum_before + greatest(0, extract(epoch FROM (least(p_t, p.end_at) - p.start_at)) / 60.0) INTO m
    FROM alerts_workperiod p WHERE p.start_at <= p_t ORDER BY p.start_at DESC LIMIT 1;
    RETURN m;  -- NULL before the table starts (or while it is still empty): "unknown", never "near"
END
$$;

CREATE OR REPLACE FUNCTION alerts_stage_level(
    p_due timestamptz, p_amount integer, p_unit text, p_start timestamptz, p_now timestamptz,
    p_now_work double precision, p_fraction double precision, p_min double precision, p_day double precision)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_due IS NULL THEN {{LEVEL_NONE}}
        WHEN p_now > p_due THEN {{LEVEL_OVERDUE}}
        WHEN (CASE WHEN p_unit IN ({{WORK_UNITS}}) THEN alerts_work_minutes_at(p_due) - p_now_work
                   ELSE extract(epoch FROM (p_due - p_now)) / 60.0 END)
             <= greatest(p_fraction * coalesce(CASE
                    WHEN p_amount IS NULL OR coalesce(p_unit, '') = '' THEN extract(epoch FROM (p_due - p_start)) / 60.0
                    WHEN p_unit = {{UNIT_MINUTES}} THEN p_amount::double precision
                    WHEN p_unit IN ({{UNIT_HOURS}}, {{UNIT_WORK_HOURS}}) THEN p_amount * 60.0
                    WHEN p_unit = {{UNIT_WORK_DAYS}} THEN p_amount * p_day END, 0), p_min) THEN {{LEVEL_NEAR}}
        ELSE {{LEVEL_OK}}
    END
$$;

CREATE OR REPLACE FUNCTION alerts_accept_level(
    p_state text, p_due timestamptz, p_amount integer, p_unit text, p_start timestamptz, p_now timestamptz,
    p_now_work double precision, p_fraction double precision, p_min double precision, p_day double precision)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_state IN ({{ACCEPT_STATES}})
                THEN alerts_stage_level(p_due, p_amount, p_unit, p_start, p_now, p_now_work, p_fraction, p_min, p_day)
                ELSE {{LEVEL_NONE}} END
$$;

CREATE OR REPLACE FUNCTION alerts_feedback_level(
    p_state text, p_due timestamptz, p_amount integer, p_unit text, p_start timestamptz, p_now timestamptz,
    p_now_work double precision, p_fraction double precision, p_min double precision, p_day double precision)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_state IN ({{FEEDBACK_STATES}})
                THEN alerts_stage_level(p_due, p_amount, p_unit, p_start, p_now, p_now_work, p_fraction, p_min, p_day)
                ELSE {{LEVEL_NONE}} END
$$;

CREATE OR REPLACE FUNCTION alerts_level_rank(p_level text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_position(ARRAY[{{LEVELS}}]::text[], p_level) - 1, 0)
$$;

CREATE OR REPLACE FUNCTION alerts_level_name(p_rank integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (ARRAY[{{LEVELS}}]::text[])[coalesce(p_rank, 0) + 1]
$$;

CREATE OR REPLACE FUNCTION alerts_worse(p_a text, p_b text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT alerts_level_name(greatest(alerts_level_rank(p_a), alerts_level_rank(p_b)))
$$;

CREATE OR REPLACE FUNCTION alerts_colour_rank(p_colour text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_position(ARRAY[{{COLOURS}}]::text[], p_colour), 0)
$$;

-- 四色预警: the category's colour (or its group's, or the default), raised to the multi-department
-- colour when two or more departments handle the case (lead + assists) and to the diversion colour when
-- it went to courts / arbitration / administrative review. Never lowered.
CREATE OR REPLACE FUNCTION alerts_colour(p_category text, p_group text, p_handlers bigint, p_diverted boolean,
                                         p_default text, p_multi text, p_diversion text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (ARRAY[{{COLOURS}}]::text[])[greatest(
        alerts_colour_rank(coalesce(nullif(p_category, ''), nullif(p_group, ''), p_default)),
        CASE WHEN coalesce(p_handlers, 0) >= 2 THEN alerts_colour_rank(p_multi) ELSE 0 END,
        CASE WHEN coalesce(p_diverted, false) THEN alerts_colour_rank(p_diversion) ELSE 0 END, 1)]
$$;

CREATE OR REPLACE FUNCTION alerts_config(OUT fraction double precision, OUT min_minutes double precision,
                                         OUT day_minutes double precision, OUT default_colour text,
                                         OUT multi_colour text, OUT diversion_colour text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(c.near_fraction, 0.25), coalesce(c.near_min_minutes, 0), coalesce(c.day_minutes, 450),
           coalesce(c.default_colour, {{COLOUR_BLUE}}), coalesce(c.multi_colour, {{COLOUR_YELLOW}}),
           coalesce(c.diversion_colour, {{COLOUR_ORANGE}})
    FROM (SELECT 1) one LEFT JOIN alerts_warningconfig c ON c.id = 1
$$;

CREATE OR REPLACE FUNCTION alerts_dispatch_warnings(p_now timestamptz)
RETURNS TABLE (dispatch_id bigint, case_id bigint, department_id bigint, role text, state text, colour text,
               accept_level text, feedback_level text, level text, accept_due timestamptz,
               feedback_due timestamptz)
LANGUAGE sql STABLE AS $$
    WITH cfg AS (SELECT * FROM alerts_config()),
    nw AS (SELECT alerts_work_minutes_at(p_now) AS m),
    h AS (
        SELECT x.case_id,
               count(DISTINCT x.department_id) FILTER (WHERE x.role IN ({{HANDLER_ROLES}})) AS handlers,
               bool_or(dep.kind = {{KIND_DIVERSION}}) AS diverted
        FROM dispatch_dispatch x JOIN departments_department dep ON dep.id = x.department_id
        WHERE x.state NOT IN ({{RELEASED_STATES}}) GROUP BY x.case_id
    ), lv AS (
        SELECT x.*, alerts_colour(cat.warning_colour, grp.warning_colour, h.handlers, h.diverted, cfg.default_colour,
                                  cfg.multi_colour, cfg.diversion_colour) AS colour,
               alerts_accept_level(x.state, x.accept_due, x.response_limit_amount, x.response_limit_unit,
                                   x.dispatched_at, p_now, nw.m, cfg.fraction, cfg.min_minutes, cfg.day_minutes) AS a,
               alerts_feedback_level(x.state, x.feedback_due, x.handling_limit_amount, x.handling_limit_unit,
                                     x.dispatched_at, p_now, nw.m, cfg.fraction, cfg.min_minutes, cfg.day_minutes) AS f
        FROM dispatch_dispatch x
        JOIN cases_case k ON k.id = x.case_id
        LEFT JOIN cases_category cat ON cat.id = k.category_id
        LEFT JOIN cases_category grp ON grp.id = cat.parent_id
        LEFT JOIN h ON h.case_id = x.case_id
        CROSS JOIN cfg CROSS JOIN nw
    )
    SELECT lv.id, lv.case_id, lv.department_id, lv.role::text, lv.state::text, lv.colour, lv.a, lv.f,
           alerts_worse(lv.a, lv.f), lv.accept_due, lv.feedback_due
    FROM lv
$$;

CREATE OR REPLACE FUNCTION alerts_case_warnings(p_now timestamptz)
RETURNS TABLE (case_id bigint, colour text, level text, overdue boolean, near boolean)
LANGUAGE sql STABLE AS $$
    WITH cfg AS (SELECT * FROM alerts_config()),
    d AS (
        SELECT w.case_id, max(alerts_level_rank(w.level)) AS r FROM alerts_dispatch_warnings(p_now) w
        GROUP BY w.case_id
    ), h AS (
        SELECT x.case_id,
               count(DISTINCT x.department_id) FILTER (WHERE x.role IN ({{HANDLER_ROLES}})) AS handlers,
               bool_or(dep.kind = {{KIND_DIVERSION}}) AS diverted
        FROM dispatch_dispatch x JOIN departments_department dep ON dep.id = x.department_id
        WHERE x.state NOT IN ({{RELEASED_STATES}}) GROUP BY x.case_id
    )
    SELECT k.id,
           alerts_colour(cat.warning_colour, grp.warning_colour, h.handlers, h.diverted, cfg.default_colour,
                         cfg.multi_colour, cfg.diversion_colour),
           alerts_level_name(d.r), coalesce(d.r = 3, false), coalesce(d.r = 2, false)
    FROM cases_case k
    LEFT JOIN cases_category cat ON cat.id = k.category_id
    LEFT JOIN cases_category grp ON grp.id = cat.parent_id
    LEFT JOIN h ON h.case_id = k.id
    LEFT JOIN d ON d.case_id = k.id
    CROSS JOIN cfg
$$;

CREATE OR REPLACE FUNCTION alerts_case_colour(p_case bigint) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT alerts_colour(cat.warning_colour, grp.warning_colour,
                         (SELECT count(DISTINCT x.department_id) FROM dispatch_dispatch x
                          WHERE x.case_id = k.id AND x.role IN ({{HANDLER_ROLES}})
                            AND x.state NOT IN ({{RELEASED_STATES}})),
                         EXISTS (SELECT 1 FROM dispatch_dispatch x JOIN departments_department dep
                                 ON dep.id = x.department_id
                                 WHERE x.case_id = k.id AND dep.kind = {{KIND_DIVERSION}}
                                   AND x.state NOT IN ({{RELEASED_STATES}})),
                         cfg.default_colour, cfg.multi_colour, cfg.diversion_colour)
    FROM cases_case k
    LEFT JOIN cases_category cat ON cat.id = k.category_id
    LEFT JOIN cases_category grp ON grp.id = cat.parent_id
    CROSS JOIN alerts_config() cfg
    WHERE k.id = p_case
$$;
