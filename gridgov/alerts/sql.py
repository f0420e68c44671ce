"""The warning rules as PostgreSQL functions: one definition for the ORM annotations
(gridgov.alerts.warnings), the background sweep, the map wall's raw SQL and the queues.

    alerts_work_minutes_at(t)          working minutes from the start of alerts_workperiod to t
    alerts_stage_level(due, amount, unit, start, now)    'none' | 'ok' | 'near' | 'overdue'
    alerts_accept_level(state, accept_due, amount, unit, dispatched_at, now)      签收 stage
    alerts_feedback_level(state, feedback_due, amount, unit, dispatched_at, now)  办结反馈 stage
    alerts_worse(a, b)                 the worse of two levels (overdue > near > ok > none)
    alerts_case_colour(case_id)        'blue' | 'yellow' | 'orange' | 'red'
    alerts_case_level(case_id, now)    the worst level over the case's dispatches
    alerts_dispatch_warnings(now)      set-returning: one row per dispatch (use it like a view)
    alerts_case_warnings(now)          set-returning: one row per case

No views are created on purpose: a view pins the columns it reads, and would make other apps'
ALTER COLUMN migrations fail; SQL functions are checked when created and do not.
Installed by migration 0002; re-created (CREATE OR REPLACE) by later migrations when they change.
"""

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION alerts_work_minutes_at(p_t timestamptz) RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT p.cum_before + greatest(0, extract(epoch FROM (least(p_t, p.end_at) - p.start_at)) / 60.0)
        FROM alerts_workperiod p WHERE p.start_at <= p_t ORDER BY p.start_at DESC LIMIT 1), 0)::double precision
$$;

-- The stage's limit in minutes: working minutes for work units (a working day = the configured
-- working minutes of one day), wall minutes otherwise; without a recorded limit, the span from start.
CREATE OR REPLACE FUNCTION alerts_limit_minutes(p_amount integer, p_unit text, p_start timestamptz,
                                                p_due timestamptz) RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_amount IS NULL OR coalesce(p_unit, '') = '' THEN
            CASE WHEN p_start IS NULL OR p_due IS NULL THEN NULL
                 ELSE extract(epoch FROM (p_due - p_start)) / 60.0 END
        WHEN p_unit = 'minutes' THEN p_amount::double precision
        WHEN p_unit IN ('hours', 'work_hours') THEN p_amount * 60.0
        WHEN p_unit = 'work_days' THEN
            p_amount * coalesce((SELECT day_minutes FROM alerts_warningconfig WHERE id = 1), 450.0)
    END
$$;

-- Time left until the due time, counted like the limit (working minutes for work units).
CREATE OR REPLACE FUNCTION alerts_remaining_minutes(p_due timestamptz, p_unit text, p_now timestamptz)
RETURNS double precision LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_due IS NULL THEN NULL
        WHEN p_due <= p_now THEN -extract(epoch FROM (p_now - p_due)) / 60.0
        WHEN p_unit IN ('work_hours', 'work_days') THEN alerts_work_minutes_at(p_due) - alerts_work_minutes_at(p_now)
        ELSE extract(epoch FROM (p_due - p_now)) / 60.0
    END
$$;

CREATE OR REPLACE FUNCTION alerts_stage_level(p_due timestamptz, p_amount integer, p_unit text,
                                              p_start timestamptz, p_now timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_due IS NULL THEN 'none'
        WHEN p_now > p_due THEN 'overdue'
        WHEN alerts_remaining_minutes(p_due, p_unit, p_now) <= (
            SELECT greatest(coalesce(c.near_fraction, 0.25)
                              * coalesce(alerts_limit_minutes(p_amount, p_unit, p_start, p_due), 0),
                            coalesce(c.near_min_minutes, 0))
            FROM (SELECT 1) one LEFT JOIN alerts_warningconfig c ON c.id = 1) THEN 'near'
        ELSE 'ok'
    END
$$;

-- 签收: only while waiting to be accepted.
CREATE OR REPLACE FUNCTION alerts_accept_level(p_state text, p_due timestamptz, p_amount integer, p_unit text,
                                               p_start timestamptz, p_now timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_state = 'whistled' THEN alerts_stage_level(p_due, p_amount, p_unit, p_start, p_now)
                ELSE 'none' END
$$;

-- 办结反馈: counted from dispatch (gridgov.dispatch.due), so it runs from the whistle until the feedback;
-- not while suspended (缓办/挂账), fed back, verified, closed, returned or re-routed.
CREATE OR REPLACE FUNCTION alerts_feedback_level(p_state text, p_due timestamptz, p_amount integer, p_unit text,
                                                 p_start timestamptz, p_now timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_state IN ('whistled', 'accepted', 'in_progress', 'rework')
                THEN alerts_stage_level(p_due, p_amount, p_unit, p_start, p_now) ELSE 'none' END
$$;

CREATE OR REPLACE FUNCTION alerts_level_rank(p_level text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_level WHEN 'overdue' THEN 3 WHEN 'near' THEN 2 WHEN 'ok' THEN 1 ELSE 0 END
$$;

CREATE OR REPLACE FUNCTION alerts_worse(p_a text, p_b text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN alerts_level_rank(p_a) >= alerts_level_rank(p_b) THEN coalesce(p_a, 'none') ELSE p_b END
$$;

CREATE OR REPLACE FUNCTION alerts_colour_rank(p_colour text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_colour WHEN 'red' THEN 4 WHEN 'orange' THEN 3 WHEN 'yellow' THEN 2 WHEN 'blue' THEN 1 ELSE 0 END
$$;

CREATE OR REPLACE FUNCTION alerts_colour_max(p_a text, p_b text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN alerts_colour_rank(p_a) >= alerts_colour_rank(p_b) THEN p_a ELSE p_b END
$$;

-- 四色预警: the category's colour (or its group's, or the default), raised to the multi-department
-- colour when two or more departments handle the case (lead + assists) and to the diversion colour when
-- it went to courts / arbitration / administrative review. Never lowered.
CREATE OR REPLACE FUNCTION alerts_case_colour(p_case bigint) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH cfg AS (
        SELECT coalesce(c.default_colour, 'blue') AS dflt, coalesce(c.multi_colour, 'yellow') AS multi,
               coalesce(c.diversion_colour, 'orange') AS diversion
        FROM (SELECT 1) one LEFT JOIN alerts_warningconfig c ON c.id = 1
    ), base AS (
        SELECT coalesce(nullif(cat.warning_colour, ''), nullif(grp.warning_colour, '')) AS colour
        FROM cases_case k
        LEFT JOIN cases_category cat ON cat.id = k.category_id
        LEFT JOIN cases_category grp ON grp.id = cat.parent_id
        WHERE k.id = p_case
    ), d AS (
        SELECT count(DISTINCT x.department_id) FILTER (WHERE x.role IN ('lead', 'assist')) AS handlers,
               coalesce(bool_or(dep.kind = 'diversion'), false) AS diverted
        FROM dispatch_dispatch x JOIN departments_department dep ON dep.id = x.department_id
        WHERE x.case_id = p_case AND x.state NOT IN ('returned', 'rerouted')
    )
    SELECT alerts_colour_max(alerts_colour_max(coalesce((SELECT colour FROM base), cfg.dflt),
                                               CASE WHEN d.handlers >= 2 THEN nullif(cfg.multi, '') END),
                             CASE WHEN d.diverted THEN nullif(cfg.diversion, '') END)
    FROM cfg, d
$$;

CREATE OR REPLACE FUNCTION alerts_case_level(p_case bigint, p_now timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT l FROM (
            SELECT alerts_worse(
                alerts_accept_level(x.state, x.accept_due, x.response_limit_amount, x.response_limit_unit,
                                    x.dispatched_at, p_now),
                alerts_feedback_level(x.state, x.feedback_due, x.handling_limit_amount, x.handling_limit_unit,
                                      x.dispatched_at, p_now)) AS l
            FROM dispatch_dispatch x WHERE x.case_id = p_case
        ) s ORDER BY alerts_level_rank(l) DESC LIMIT 1), 'none')
$$;

CREATE OR REPLACE FUNCTION alerts_dispatch_warnings(p_now timestamptz)
RETURNS TABLE (dispatch_id bigint, case_id bigint, department_id bigint, role text, state text, colour text,
               accept_level text, feedback_level text, level text, accept_due timestamptz,
               feedback_due timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT w.id, w.case_id, w.department_id, w.role::text, w.state::text, alerts_case_colour(w.case_id),
           w.a, w.f, alerts_worse(w.a, w.f), w.accept_due, w.feedback_due
    FROM (
        SELECT x.*, alerts_accept_level(x.state, x.accept_due, x.response_limit_amount, x.response_limit_unit,
                                        x.dispatched_at, p_now) AS a,
                    alerts_feedback_level(x.state, x.feedback_due, x.handling_limit_amount,
                                          x.handling_limit_unit, x.dispatched_at, p_now) AS f
        FROM dispatch_dispatch x
    ) w
$$;

CREATE OR REPLACE FUNCTION alerts_case_warnings(p_now timestamptz)
RETURNS TABLE (case_id bigint, colour text, level text)
LANGUAGE sql STABLE AS $$
    SELECT k.id, alerts_case_colour(k.id), alerts_case_level(k.id, p_now) FROM cases_case k
$$;
"""

DROP = r"""
DROP FUNCTION IF EXISTS alerts_case_warnings(timestamptz);
DROP FUNCTION IF EXISTS alerts_dispatch_warnings(timestamptz);
DROP FUNCTION IF EXISTS alerts_case_level(bigint, timestamptz);
DROP FUNCTION IF EXISTS alerts_case_colour(bigint);
DROP FUNCTION IF EXISTS alerts_colour_max(text, text);
DROP FUNCTION IF EXISTS alerts_colour_rank(text);
DROP FUNCTION IF EXISTS alerts_worse(text, text);
DROP FUNCTION IF EXISTS alerts_level_rank(text);
DROP FUNCTION IF EXISTS alerts_feedback_level(text, timestamptz, integer, text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS alerts_accept_level(text, timestamptz, integer, text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS alerts_stage_level(timestamptz, integer, text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS alerts_remaining_minutes(timestamptz, text, timestamptz);
DROP FUNCTION IF EXISTS alerts_limit_minutes(integer, text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS alerts_work_minutes_at(timestamptz);
"""
