"""PostgreSQL plumbing for backup and restore: where the database is, the client binaries of the
server's major version, and catalogue reads (tables, row counts, sequences, migrations)."""
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
from django.conf import settings
from psycopg import sql

from gridgov.core.errors import FieldError

SYSTEM_SCHEMAS = "('pg_catalog', 'information_schema', 'pg_toast')"


@dataclass(frozen=True)
class Database:
    """Connection parameters of one database (from settings: DATABASE_URL or the local cluster)."""

    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""
    sslmode: str = ""

    @classmethod
    def from_settings(cls, name=None):
        db = settings.DATABASES["default"]
        return cls(name=name or db["NAME"], host=str(db.get("HOST") or ""), port=str(db.get("PORT") or ""),
                   user=db.get("USER") or "", password=db.get("PASSWORD") or "",
                   sslmode=(db.get("OPTIONS") or {}).get("sslmode", ""))

    def named(self, name):
        return replace(self, name=name)

    def label(self):
        """For messages: never the password."""
        return f"{self.name} ({self.host or 'localhost'}:{self.port or 5432})"

    def env(self):
        """Environment for pg_dump / pg_restore / psql (libpq reads PG*; no password on a command line)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(PGDATABASE=self.name, PGAPPNAME="gridgov-backup")
        for key, value in (("PGHOST", self.host), ("PGPORT", self.port), ("PGUSER", self.user),
                           ("PGPASSWORD", self.password), ("PGSSLMODE", self.sslmode)):
            if value:
                env[key] = value
        return env

    def connect(self, dbname=None, autocommit=False):
        params = {"dbname": dbname or self.name, "host": self.host, "port": self.port, "user": self.user,
                  "password": self.password, "sslmode": self.sslmode, "application_name": "gridgov-backup"}
        return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=autocommit)


def server_major(cur):
    return int(cur.execute("SHOW server_version_num").fetchone()[0]) // 10000


def server_versions(cur):
    version = cur.execute("SHOW server_version").fetchone()[0]
    row = cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()
    return {"postgresql": version, "postgis": row[0] if row else None}


def _major_of(binary):
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None, out.strip()


def client(tool, major):
    """pg_dump / pg_restore / psql of the server's major version (GRIDGOV_PG_BIN names a directory)."""
    candidates = []
    if os.environ.get("GRIDGOV_PG_BIN"):
        candidates.append(Path(os.environ["GRIDGOV_PG_BIN"]) / tool)
    candidates.append(Path(f"/usr/lib/postgresql/{major}/bin/{tool}"))
    if shutil.which(tool):
        candidates.append(Path(shutil.which(tool)))
    seen = []
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            found, text = _major_of(str(path))
            seen.append(f"{path}: {text}")
            if found == major:
                return str(path)
    tried = "; ".join(seen) or "none"
    raise FieldError(tool, "client_version",
                     f"找不到与数据库服务器主版本 {major} 相同的 {tool}（已找到：{tried}）。"
                     f"请安装 postgresql-client-{major}，或用 GRIDGOV_PG_BIN 指定其目录",
                     f"no {tool} of the server's major version {major} (found: {tried}); install "
                     f"postgresql-client-{major} or point GRIDGOV_PG_BIN at its bin directory")


def user_tables(cur):
    """(schema, table) of every ordinary or partitioned table, leaving out tables that belong to an
    extension (PostGIS's spatial_ref_sys: the extension creates and fills it)."""
    return cur.execute(f"""
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN {SYSTEM_SCHEMAS}
          AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1, 2""").fetchall()


def row_counts(cur):
    """Exact row count of every user table, keyed "schema.table" (in the caller's snapshot)."""
    counts = {}
    for schema, table in user_tables(cur):
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        counts[f"{schema}.{table}"] = cur.execute(query).fetchone()[0]
    return counts


def migrations(cur):
    """Applied Django migrations as ["app.name", ...] in the order applied ([] when there is no table)."""
    if cur.execute("SELECT to_regclass('django_migrations')").fetchone()[0] is None:
        return []
    return [f"{a}.{n}" for a, n in cur.execute("SELECT app, name FROM django_migrations ORDER BY id")]


def sequence_problems(cur):
    """Sequences owned by a column whose next value would collide with a row already there."""
    rows = cur.execute("""
        SELECT s.seqrelid::regclass::text, tn.nspname, t.relname, a.attname
        FROM pg_sequence s
        JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
                         AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE tn.nspname NOT IN ('pg_catalog', 'information_schema')""").fetchall()
    problems = []
    for seq, schema, table, column in rows:
        last, called = cur.execute(sql.SQL("SELECT last_value, is_called FROM {}").format(
            sql.SQL(seq))).fetchone()
        top = cur.execute(sql.SQL("SELECT max({}) FROM {}.{}").format(
            sql.Identifier(column), sql.Identifier(schema), sql.Identifier(table))).fetchone()[0]
        following = last + 1 if called else last
        if top is not None and following <= top:
            problems.append(f"{seq}: next {following} <= max({table}.{column}) {top}")
    return problems, len(rows)


def database_exists(db):
    """Asked of the database itself (a production role may not reach the 'postgres' database)."""
    try:
        with db.connect(autocommit=True):
            return True
    except psycopg.OperationalError as exc:
        if getattr(exc, "sqlstate", None) == "3D000" or f'database "{db.name}" does not exist' in str(exc):
            return False
        raise


def create_database(db):
    with db.connect(dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
            sql.Identifier(db.name)))
