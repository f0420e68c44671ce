"""SQL of the synthetic load generator (maps.actions.do_seed_synthetic_cases).

Cases are spread over the active grids in two parts:
- background (55 %): in every grid, in proportion to its population (ST_GeneratePoints inside the grid);
- clusters (45 %): around K centres picked among the densest grids, in three rings (radius r, 2r, 3.5r,
  60 / 30 / 10 % of the cluster), each ring cut by the grids so every point's grid is known without a
  spatial join. Cluster 0 grows over the last 8 weeks (an intensifying hotspot), cluster 1 appeared in
  the last 7 days (a new hotspot).
Times span `days` days (more in recent days); life times are exponential (mean 3 days), so most old
cases are closed and recent ones open; a lead dispatch is written for cases of the last 90 days
(when departments exist), with the due times a real dispatch of that category and urgency gets
(gridgov.dispatch.bulk), so overdue and on-time rates are real. Cases are written by
gridgov.cases.bulk.do_bulk_create_cases, numbered like every other case. Every row is marked:
reporter = the inactive user SYNTHETIC_USER, flags = [{"code": "synthetic_load"}].
"""

SYNTHETIC_USER = "synthetic_load"
SYNTHETIC_FLAG = '[{"code": "synthetic_load"}]'

GRIDS = """
CREATE TEMP TABLE syn_grid ON COMMIT DROP AS
SELECT g.id, g.code, g.name, g.geom, greatest(coalesce(g.population, 0), 50) AS pop,
       coalesce(g.population, 0) / greatest(g.area_m2, 1) AS density
FROM grids_gridunit g WHERE g.level = 4 AND g.is_active;
CREATE INDEX ON syn_grid USING gist (geom);
"""

CLUSTERS = """
CREATE TEMP TABLE syn_cluster ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY md5(code || %(seed)s::text)) - 1)::int AS k,
       ST_PointOnSurface(geom) AS centre,
       (500 + 900 * ((('x' || substr(md5(code), 1, 4))::bit(16)::int) / 65535.0)) AS radius_m,
       (0.5 + 1.5 * ((('x' || substr(md5(code), 5, 4))::bit(16)::int) / 65535.0)) AS amplitude
FROM (SELECT * FROM syn_grid WHERE density >= (SELECT percentile_cont(0.7) WITHIN GROUP (ORDER BY density)
                                                FROM syn_grid)
      ORDER BY md5(code || %(seed)s::text) LIMIT %(clusters)s) c;
"""

PIECES = """
CREATE TEMP TABLE syn_piece ON COMMIT DROP AS
WITH rings AS (
    SELECT c.k, r.ring, r.share, c.amplitude,
           ST_Difference(ST_Buffer(c.centre::geography, c.radius_m * r.outer_f)::geometry,
                         CASE WHEN r.inner_f > 0 THEN ST_Buffer(c.centre::geography, c.radius_m * r.inner_f)::geometry
                              ELSE ST_SetSRID('POLYGON EMPTY'::geometry, 4326) END) AS geom
    FROM syn_cluster c,
         (VALUES (0, 0.0, 1.0, 0.6), (1, 1.0, 2.0, 0.3), (2, 2.0, 3.5, 0.1)) AS r(ring, inner_f, outer_f, share)
),
ring_n AS (
    SELECT rings.*, %(n_cluster)s * amplitude / (SELECT sum(amplitude) FROM syn_cluster) * share AS n_ring,
           ST_Area(geom::geography) AS ring_area
    FROM rings
),
cut AS (
    SELECT g.id AS grid_id, rn.k AS cluster, ST_Intersection(g.geom, rn.geom) AS geom, rn.n_ring, rn.ring_area
    FROM ring_n rn JOIN syn_grid g ON g.geom && rn.geom AND ST_Intersects(g.geom, rn.geom)
),
bg AS (
    SELECT g.id AS grid_id, -1 AS cluster, g.geom, %(n_background)s * g.pop / (SELECT sum(pop) FROM syn_grid) AS n
    FROM syn_grid g
)
SELECT grid_id, cluster, geom, round(n)::int AS n FROM bg
UNION ALL
SELECT grid_id, cluster, geom, round(n_ring * ST_Area(geom::geography) / nullif(ring_area, 0))::int
FROM cut WHERE NOT ST_IsEmpty(geom);
"""

POINTS = """
CREATE TEMP TABLE syn_point ON COMMIT DROP AS
SELECT p.grid_id, p.cluster, (ST_Dump(ST_GeneratePoints(p.geom, p.n, (%(seed)s + p.rn)::int))).geom AS point
FROM (SELECT *, row_number() OVER (ORDER BY grid_id, cluster) AS rn FROM syn_piece
      WHERE n > 0 AND ST_Dimension(geom) = 2) p;
"""

# Fills gridgov.cases.bulk's staging table; do_bulk_create_cases numbers the cases, takes the grid's code,
# name and ancestors, the priority from the urgency, and writes them in arrival order (received_at).
CASES = """
WITH cats AS (
    SELECT array_agg(id ORDER BY code) AS ids FROM cases_category WHERE level = 2 AND is_active
),
raw AS (
    SELECT p.*,
           CASE p.cluster
               WHEN 0 THEN 56 * power(random(), 0.55)        -- intensifying: piling up in recent weeks
               WHEN 1 THEN 7 * random()                      -- new: the last 7 days only
               ELSE %(days)s * power(random(), 1.15) END AS age_days,
           -ln(1 - random() * 0.999) * 3 AS life_days,
           random() AS r_cat, random() AS r_urg, random() AS r_state, random() AS r_chan,
           row_number() OVER () AS rn
    FROM syn_point p
),
shaped AS (
    SELECT raw.*, date_trunc('second', %(now)s - age_days * interval '1 day') AS received,
           life_days < age_days AS closed
    FROM raw
)
INSERT INTO case_bulk_stage (idx, client_uuid, lon, lat, input_datum, gps_accuracy_m, grid_id, category_id,
                             description, urgency, channel, reporter_id, status, closed_at, flags, occurred_at,
                             reported_at, received_at)
SELECT rn, gen_random_uuid(), ST_X(point), ST_Y(point), 'wgs84', 10, grid_id,
       cats.ids[1 + floor(power(r_cat, 1.6) * array_length(cats.ids, 1))::int],
       '[合成数据]', CASE WHEN r_urg < 0.85 THEN 'normal' WHEN r_urg < 0.97 THEN 'urgent' ELSE 'emergency' END,
       CASE WHEN r_chan < 0.6 THEN 'grid_patrol' WHEN r_chan < 0.9 THEN 'hotline_12345' ELSE 'citizen' END,
       %(reporter)s, CASE WHEN closed THEN 'closed' WHEN r_state < 0.7 THEN 'whistled' ELSE 'reported' END,
       CASE WHEN closed THEN received + life_days * interval '1 day' END,
       '""" + SYNTHETIC_FLAG + """'::jsonb, received - interval '20 minutes', received - interval '5 minutes', received
FROM shaped, cats
"""
# stored in arrival order, as a live system stores them (received_at correlates with the heap)
CASES_ORDER = "s.received_at, s.idx"

# Fills gridgov.dispatch.bulk's staging table: a lead dispatch for the whistled and closed cases of the
# last 90 days; do_bulk_create_dispatches gives them the due times a real dispatch gets.
DISPATCHES = """
WITH d AS (
    SELECT array_agg(id ORDER BY code) AS ids FROM departments_department
    WHERE is_active AND kind IN ('bureau', 'street', 'squad')
),
c AS (
    SELECT k.id, k.status, k.received_at, k.closed_at, random() AS r1, random() AS r2, random() AS r3
    FROM case_bulk_created b JOIN cases_case k ON k.id = b.id
    WHERE k.received_at >= %(now)s - interval '90 days' AND k.status IN ('whistled', 'closed')
)
INSERT INTO dispatch_bulk_stage (idx, case_id, department_id, role, state, dispatched_at, accepted_at, started_at,
                                 fed_back_at, verified_at, closed_at)
SELECT c.id, c.id, d.ids[1 + floor(c.r2 * 997 + c.r3 * 13)::int %% array_length(d.ids, 1)], 'lead',
       CASE WHEN c.status = 'closed' THEN 'closed' WHEN c.r1 < 0.3 THEN 'whistled' ELSE 'in_progress' END,
       c.received_at + interval '10 minutes',
       CASE WHEN c.status = 'closed' OR c.r1 >= 0.3 THEN c.received_at + interval '10 minutes'
                                                      + c.r3 * interval '6 hours' END,
       CASE WHEN c.status = 'closed' OR c.r1 >= 0.3 THEN c.received_at + interval '10 minutes'
                                                      + c.r3 * interval '6 hours' END,
       CASE WHEN c.status = 'closed' THEN c.closed_at - interval '1 hour' END,
       CASE WHEN c.status = 'closed' THEN c.closed_at - interval '10 minutes' END,
       c.closed_at
FROM c, d WHERE array_length(d.ids, 1) > 0
"""
