"""Map-layer plumbing in the database.

- maps_change_log + statement triggers on the tables the layers read (cases, categories, grids, dispatches):
  one row per writing transaction, so the data version is `sum(weight)`, read in the same snapshot as the
  data it labels. No hot row is updated, so writers never wait on each other (a single counter row would
  serialise every case write and can deadlock with dispatch updates).
- maps_cache (UNLOGGED): rendered tiles and JSON layers, keyed by request, valid for one data version
  and time bucket. Shared by every app process; emptied by a crash, which is harmless.
- maps_case_warning: the single definition of a case's warning colour (四色预警 from its category,
  'overdue' from the due times of its live dispatches, 'closed' once closed).
- maps_hex_ij(x, y, size): the ST_HexagonGrid cell (i, j) holding a point, by arithmetic, so hexagon
  bins are a GROUP BY rather than a spatial join.
- Partial indexes on cases_case for open cases (tiles, counts) and closures.
"""
from django.apps import apps as global_apps
from django.db import migrations

OPEN_PREDICATE = "status NOT IN ('closed', 'merged')"

CHANGE_LOG = r"""
CREATE TABLE maps_change_log (
    id bigserial PRIMARY KEY,
    txid bigint NOT NULL UNIQUE,
    weight bigint NOT NULL DEFAULT 1,
    at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO maps_change_log (txid, weight) VALUES (0, 1);

-- Fold old rows into one; the sum (the version) is unchanged. Safe when run concurrently: each run
-- adds back exactly what it deleted.
CREATE OR REPLACE FUNCTION maps_compact_changes(keep integer DEFAULT 100) RETURNS void LANGUAGE sql AS $$
    WITH gone AS (
        DELETE FROM maps_change_log
        WHERE id < (SELECT max(id) - keep FROM maps_change_log) AND txid >= 0
        RETURNING weight
    )
    INSERT INTO maps_change_log (txid, weight)
    SELECT -nextval('maps_change_log_id_seq'), sum(weight) FROM gone HAVING count(*) > 0;
$$;

CREATE OR REPLACE FUNCTION maps_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One row per transaction (no two writers ever touch the same row), counting its statements, so a
    -- transaction that reads a layer between two writes never caches it under its final version.
    INSERT INTO maps_change_log AS l (txid) VALUES (txid_current())
    ON CONFLICT (txid) DO UPDATE SET weight = l.weight + 1;
    IF random() < 0.002 THEN
        PERFORM maps_compact_changes();
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION maps_data_version() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(weight), 0)::bigint FROM maps_change_log
$$;

CREATE UNLOGGED TABLE maps_cache (
    key text PRIMARY KEY,
    version bigint NOT NULL,
    bucket bigint NOT NULL,
    content_type text NOT NULL,
    body bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Flat-topped hexagons of ST_HexagonGrid: column i at x = 1.5·s·i, row j at y = √3·s·j (+ √3·s/2 when i
-- is odd). Axial coordinates, cube rounding, then back to PostGIS's (i, j).
CREATE OR REPLACE FUNCTION maps_hex_ij(x double precision, y double precision, size double precision,
                                       OUT i integer, OUT j integer)
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    q double precision := (2.0 / 3.0 * x) / size;
    r double precision := (-1.0 / 3.0 * x + sqrt(3.0) / 3.0 * y) / size;
    s double precision := -q - r;
    rq double precision := round(q);
    rr double precision := round(r);
    rs double precision := round(s);
    dq double precision := abs(rq - q);
    dr double precision := abs(rr - r);
    ds double precision := abs(rs - s);
BEGIN
    IF dq > dr AND dq > ds THEN
        rq := -rr - rs;
    ELSIF dr > ds THEN
        rr := -rq - rs;
    END IF;
    i := rq::integer;
    -- axial r counts along the 60° axis; PostGIS rows count straight up, odd columns half a row higher.
    j := (rr + (rq - (abs(i) % 2)) / 2.0)::integer;
END
$$;
"""

TRIGGER_TABLES = ["cases_case", "cases_category", "grids_gridunit"]


def triggers_sql(table):
    return (f"CREATE TRIGGER maps_note_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION maps_note_change();")


INDEXES = f"""
CREATE INDEX IF NOT EXISTS maps_case_open_point_idx ON cases_case USING gist (point) WHERE {OPEN_PREDICATE};
CREATE INDEX IF NOT EXISTS maps_case_open_grid_idx ON cases_case (grid_id) WHERE {OPEN_PREDICATE};
CREATE INDEX IF NOT EXISTS maps_case_closed_at_idx ON cases_case (closed_at) WHERE closed_at IS NOT NULL;
"""

CASE_COLUMNS = ("c.number, c.point, c.grid_id, c.grid_code, c.category_id, c.status, c.urgency, c.received_at, "
                "c.closed_at")

WARNING_WITH_DISPATCH = f"""
CREATE OR REPLACE VIEW maps_case_warning AS
SELECT c.id AS case_id, {CASE_COLUMNS},
       (c.{OPEN_PREDICATE}) AS is_open,
       coalesce(d.overdue, false) AS overdue,
       d.next_due,
       d.lead_department_id,
       CASE WHEN NOT (c.{OPEN_PREDICATE}) THEN 'closed'
            WHEN d.overdue THEN 'overdue'
            ELSE coalesce(nullif(cat.warning_colour, ''), nullif(grp.warning_colour, ''), 'blue') END AS colour,
       true AS overdue_known
FROM cases_case c
LEFT JOIN cases_category cat ON cat.id = c.category_id
LEFT JOIN cases_category grp ON grp.id = cat.parent_id
LEFT JOIN LATERAL (
    SELECT bool_or(CASE WHEN x.state = 'whistled' THEN x.accept_due < now()
                        WHEN x.state IN ('accepted', 'in_progress', 'rework') THEN x.feedback_due < now()
                        ELSE false END) AS overdue,
           min(CASE WHEN x.state = 'whistled' THEN x.accept_due
                    WHEN x.state IN ('accepted', 'in_progress', 'rework') THEN x.feedback_due END) AS next_due,
           min(x.department_id) FILTER (WHERE x.role = 'lead' AND x.state NOT IN ('returned', 'rerouted'))
               AS lead_department_id
    FROM dispatch_dispatch x
    WHERE x.case_id = c.id AND x.role IN ('lead', 'assist') AND x.state NOT IN ('closed', 'rerouted')
) d ON c.{OPEN_PREDICATE};
"""

# Without the dispatch app there are no due times: overdue is unknown (false, overdue_known = false).
WARNING_WITHOUT_DISPATCH = f"""
CREATE OR REPLACE VIEW maps_case_warning AS
SELECT c.id AS case_id, {CASE_COLUMNS},
       (c.{OPEN_PREDICATE}) AS is_open,
       false AS overdue,
       NULL::timestamptz AS next_due,
       NULL::bigint AS lead_department_id,
       CASE WHEN NOT (c.{OPEN_PREDICATE}) THEN 'closed'
            ELSE coalesce(nullif(cat.warning_colour, ''), nullif(grp.warning_colour, ''), 'blue') END AS colour,
       false AS overdue_known
FROM cases_case c
LEFT JOIN cases_category cat ON cat.id = c.category_id
LEFT JOIN cases_category grp ON grp.id = cat.parent_id;
"""


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(CHANGE_LOG)
        cur.execute("SELECT to_regclass('dispatch_dispatch') IS NOT NULL")
        has_dispatch = cur.fetchone()[0]
        tables = TRIGGER_TABLES + (["dispatch_dispatch"] if has_dispatch else [])
        for table in tables:
            cur.execute(triggers_sql(table))
        cur.execute(INDEXES)
        cur.execute(WARNING_WITH_DISPATCH if has_dispatch else WARNING_WITHOUT_DISPATCH)


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        for table in TRIGGER_TABLES + ["dispatch_dispatch"]:
            cur.execute(f"DO $$ BEGIN IF to_regclass('{table}') IS NOT NULL THEN "
                        f"DROP TRIGGER IF EXISTS maps_note_change ON {table}; END IF; END $$;")
        cur.execute("""
            DROP VIEW IF EXISTS maps_case_warning;
            DROP INDEX IF EXISTS maps_case_open_point_idx, maps_case_open_grid_idx, maps_case_closed_at_idx;
            DROP FUNCTION IF EXISTS maps_hex_ij(double precision, double precision, double precision);
            DROP TABLE IF EXISTS maps_cache;
            DROP FUNCTION IF EXISTS maps_note_change();
            DROP FUNCTION IF EXISTS maps_data_version();
            DROP FUNCTION IF EXISTS maps_compact_changes(integer);
            DROP TABLE IF EXISTS maps_change_log;
        """)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial"), ("grids", "0001_initial")] + (
        [("dispatch", "0001_initial")] if global_apps.is_installed("gridgov.dispatch") else [])
    operations = [migrations.RunPython(forward, backward)]
