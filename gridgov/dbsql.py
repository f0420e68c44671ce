"""Database functions and views kept in per-app `sql/` folders, applied after every migrate.

Migrations stay frozen: they create tables, columns and constraints and never import live code. The SQL
that evolves with the code (the warning rules, the map wall's view) lives in `<app>/sql/*.sql` and is
applied by apply_sql() on post_migrate (also after `flush`), as Geotrek-admin does:

1. every app's `sql/drop.sql`, apps in reverse SQL_APPS order (views first, then obsolete function
   signatures), then
2. every other `sql/*.sql` file, apps in SQL_APPS order (dependencies first) and files by name (CREATE OR REPLACE
   FUNCTION, CREATE VIEW),

in one transaction, with {{NAME}} placeholders filled from gridgov.alerts.vocabulary.sql_vocabulary()
(the Python enums). The rendered text's SHA-256 is kept in gridgov_sql_applied; when it is unchanged and
every view is there, nothing is run. pre_migrate drops the views (drop.sql), so a migration may ALTER a
column a view reads; post_migrate makes them again.
"""
import hashlib
import re
from pathlib import Path

from django.apps import apps
from django.db import connections, transaction

PLACEHOLDER = re.compile(r"\{\{\s*([A-Z0-9_]+)\s*\}\}")
VIEW_NAME = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\w+)", re.IGNORECASE)
LOCK_KEY = 0x67_67_73_71_6C  # "ggsql"
STATE_TABLE = "gridgov_sql_applied"


# The apps with a sql/ folder, each after the apps whose functions it uses (maps' view calls alerts').
SQL_APPS = ("alerts", "maps")


def sql_folders():
    """[(app label, folder)] of the installed apps that have a `sql/` folder, in SQL_APPS order."""
    found = {}
    for config in apps.get_app_configs():
        folder = Path(config.path) / "sql"
        if folder.is_dir():
            if config.label not in SQL_APPS:
                raise RuntimeError(f"{folder} is not applied: add {config.label!r} to gridgov.dbsql.SQL_APPS")
            found[config.label] = folder
    return [(label, found[label]) for label in SQL_APPS if label in found]


def render(text, vocabulary=None):
    """The SQL with every {{NAME}} replaced; KeyError naming an unknown placeholder."""
    if vocabulary is None:
        from gridgov.alerts.vocabulary import sql_vocabulary

        vocabulary = sql_vocabulary()

    def fill(match):
        name = match.group(1)
        if name not in vocabulary:
            raise KeyError(f"unknown SQL placeholder {{{{{name}}}}}; add it to gridgov.alerts.vocabulary")
        return vocabulary[name]

    return PLACEHOLDER.sub(fill, text)


def statements():
    """(drops, creates): the rendered SQL of the drop.sql files and of the others, in apply order."""
    folders = sql_folders()
    drops = [render((f / "drop.sql").read_text()) for _, f in reversed(folders) if (f / "drop.sql").exists()]
    creates = [render(p.read_text()) for _, f in folders for p in sorted(f.glob("*.sql")) if p.name != "drop.sql"]
    return drops, creates


def managed_views(creates):
    return [name for text in creates for name in VIEW_NAME.findall(text)]


def _up_to_date(cur, digest, views):
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", [STATE_TABLE])
    if not cur.fetchone()[0]:
        return False
    cur.execute(f"SELECT sha256 FROM {STATE_TABLE} WHERE id = 1")
    row = cur.fetchone()
    if row is None or row[0] != digest:
        return False
    cur.execute("SELECT count(*) FROM unnest(%s::text[]) v WHERE to_regclass(v) IS NULL", [views])
    return cur.fetchone()[0] == 0


def apply_sql(using="default", force=False):
    """Bring the database's functions and views up to the sql/ files. Returns True if anything ran."""
    drops, creates = statements()
    digest = hashlib.sha256("\n".join(drops + creates).encode()).hexdigest()
    views = managed_views(creates)
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        if not force and _up_to_date(cur, digest, views):
            return False
        for text in drops + creates:
            cur.execute(text)
        cur.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (id smallint PRIMARY KEY CHECK (id = 1), "
                    "sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
        cur.execute(f"INSERT INTO {STATE_TABLE} (id, sha256) VALUES (1, %s) ON CONFLICT (id) DO UPDATE "
                    "SET sha256 = excluded.sha256, applied_at = now()", [digest])
    return True


def drop_views(using="default"):
    """Run the drop.sql files (before migrating); the next apply_sql makes everything again."""
    drops, _ = statements()
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        for text in drops:
            cur.execute(text)


def _tables_exist(using):
    with connections[using].cursor() as cur:
        cur.execute("SELECT to_regclass('dispatch_dispatch') IS NOT NULL AND to_regclass('alerts_workperiod') "
                    "IS NOT NULL AND to_regclass('maps_change_log') IS NOT NULL")
        return cur.fetchone()[0]


def on_pre_migrate(sender, using="default", plan=None, **kwargs):
    # Only when something will migrate: a plain `migrate` with nothing to do leaves the views alone.
    if plan and _tables_exist(using):
        drop_views(using)


def on_post_migrate(sender, using="default", **kwargs):
    if _tables_exist(using):  # a partial migrate (e.g. `migrate cases 0001`) has nothing to build on
        apply_sql(using)
