"""Cache of rendered layers in PostgreSQL (UNLOGGED table maps_cache), valid for one data version.

The data version is the sum of maps_change_log weights (see migration 0001): every transaction that
writes cases, categories, grids or dispatches adds to it. A cached body is returned only when its
version equals the current one, read in the same statement as the body; a fresh body is computed
together with the version in one statement (one snapshot), so a body is never labelled newer than
the data it was built from.
"""
import time

from django.db import connection

from .conf import CLOCK_BUCKET_SECONDS


def clock_bucket(clocked=True):
    return int(time.time() // CLOCK_BUCKET_SECONDS) if clocked else 0


def current_version():
    with connection.cursor() as cur:
        cur.execute("SELECT maps_data_version()")
        return cur.fetchone()[0]


def lookup(key, bucket, max_stale=0):
    """(version, body or None, content_type). With max_stale, a body of an older version younger than
    max_stale seconds is returned too (with its own version), so a busy intake does not recompute a
    layer on every new case."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT v.version, c.version, c.body, c.content_type
            FROM (SELECT maps_data_version() AS version) v
            LEFT JOIN maps_cache c ON c.key = %s AND c.bucket = %s
                 AND (c.version = v.version OR c.created_at > clock_timestamp() - make_interval(secs => %s))
        """, [key, bucket, max_stale])
        version, cached_version, body, content_type = cur.fetchone()
        if body is None:
            return version, None, None
        return cached_version, bytes(body), content_type


def store(key, version, bucket, content_type, body):
    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO maps_cache (key, version, bucket, content_type, body) VALUES (%s, %s, %s, %s, %s)
            ON CONFLICT (key) DO UPDATE SET version = EXCLUDED.version, bucket = EXCLUDED.bucket,
                content_type = EXCLUDED.content_type, body = EXCLUDED.body, created_at = now()
            WHERE maps_cache.version <= EXCLUDED.version
        """, [key, version, bucket, content_type, body])


def cached(key, build, content_type, clocked=False, max_stale=0):
    """Return (version, body, hit). `build()` returns (version, body) computed in one snapshot."""
    bucket = clock_bucket(clocked)
    version, body, _ = lookup(key, bucket, max_stale)
    if body is not None:
        return version, body, True
    version, body = build()
    store(key, version, bucket, content_type, body)
    return version, body, False


def clear():
    with connection.cursor() as cur:
        cur.execute("TRUNCATE maps_cache")
