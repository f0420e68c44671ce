"""Backups (issue 7, item 6): a small world (grids, cases with photos, dispatches with after-photos,
audit rows) is committed to the test database, backed up with scripts/backup.sh, restored (the
restore command line, in-process) into a second scratch database and media directories, compared
table by table and file by file, and used (a new case with a photo). Then the refusals: a truncated
archive, a missing file, a damaged file, an unsafe path, a non-empty target without --force: each a
clear message, and nothing restored (no database left behind, no files)."""
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from psycopg import sql

from gridgov.core.errors import FieldError
from gridgov.ops import files, pg
from gridgov.ops.backup import do_backup
from gridgov.ops.restore import do_restore
from gridgov.ops.restore import main as restore_main

ROOT = Path(settings.BASE_DIR)
# The mark makes pytest-django create the test database at all (it sets up only the databases that
# collected tests ask for). The tests themselves write only to scratch databases, through psycopg.
pytestmark = pytest.mark.django_db


def tree(root):
    return {rel: files.sha256_of(Path(root) / rel) for rel in files.walk(root)}


def database_url(db):
    auth = quote(db.user) + (":" + quote(db.password, safe="") if db.password else "")
    return f"postgis://{auth}@{quote(db.host, safe='')}:{db.port or 5432}/{db.name}"


def drop(db):
    with db.connect(dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db.name)))


def run(*args, env=None):
    return subprocess.run([*args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PY": sys.executable, **(env or {})})


def build_world_with_cases():
    """Committed (autocommit): cases with report photos, a whistle, accept/start/feedback with an
    after-photo; the triggers write CaseEvent and the actions DispatchEvent rows."""
    from gridgov.dispatch.actions import do_accept, do_feed_back, do_start, do_whistle
    from gridgov.dispatch.models import Role
    from tests.dispatch_helpers import build_world, photo
    from tests.factories import build_small_county, seed_test_categories

    build_small_county()
    seed_test_categories()
    world = build_world()
    cases = [world.case(photos=[photo(), photo()]) for _ in range(3)]
    result = do_whistle(cases[0], world.users["worker"])
    lead = next(d for d in result.dispatches if d.role == Role.LEAD)
    cg = world.users["cg"]
    do_accept(lead, cg)
    do_start(lead, cg)
    do_feed_back(lead, cg, "已清运完毕，现场已恢复整洁", [photo()])
    return world


@pytest.fixture(scope="module")
def source(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world committed to the test database (pg_dump reads from its own session), its media under
    a temporary directory, and one archive of both made by scripts/backup.sh; what the tests compare
    with is read, then the test database is flushed at once, before any test runs."""
    base = tmp_path_factory.mktemp("backup")
    roots = {"media": base / "media", "private": base / "private"}
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        # Never commit to (or flush) anything but the test database.
        assert name == connection.settings_dict["TEST"]["NAME"] and name != "gridgov", name
        db = pg.Database.from_settings(name)
        try:
            with override_settings(MEDIA_ROOT=roots["media"], GRIDGOV_PRIVATE_MEDIA_ROOT=roots["private"]):
                build_world_with_cases()
            archive = base / "gridgov-test.tar"
            out = run("bash", "scripts/backup.sh", "--output", str(archive), "--database", db.name,
                      "--media-root", str(roots["media"]), "--private-root", str(roots["private"]))
            assert out.returncode == 0, out.stderr
            with db.connect() as conn:
                max_id, numbers = conn.execute("SELECT max(id), array_agg(number) FROM cases_case").fetchone()
            facts = {"db": db, "roots": roots, "archive": archive, "base": base, "counts": counts(db),
                     "max_case_id": max_id, "case_numbers": numbers}
        finally:
            if connection.settings_dict["NAME"] == name:
                call_command("flush", interactive=False, verbosity=0)
            forget_process_caches()  # nothing of the flushed world may linger for later tests
    yield facts


def forget_process_caches():
    from django.core.cache import cache

    from gridgov.cases.selectors import forget_categories
    from maps import cache as maps_cache

    cache.clear()
    maps_cache.clear()
    forget_categories()


@pytest.fixture
def scratch(source):
    """A database name that does not exist yet (dropped again afterwards) and empty media roots."""
    db = source["db"].named(source["db"].name + "_restored")
    drop(db)
    base = source["base"] / f"target-{os.urandom(4).hex()}"
    yield db, {"media": base / "media", "private": base / "private"}
    drop(db)


def counts(db):
    with db.connect() as conn, conn.cursor() as cur:
        return pg.row_counts(cur)


def exists(db):
    return pg.database_exists(db)


def test_it_round_trips_the_database_and_media_and_a_new_case_can_be_created(source, scratch, capsys):
    db, roots = scratch
    manifest = json.loads(tarfile.open(source["archive"]).extractfile("manifest.json").read())
    assert manifest["tables"]["public.cases_casephoto"] == 7  # 3 cases × 2 report photos + 1 after-photo
    assert manifest["media"]["private"]["files"] == 7 and manifest["media"]["media"]["files"] == 14
    assert manifest["missing_referenced"] == [] and manifest["referenced_files"] == 21
    assert source["archive"].stat().st_mode & 0o777 == 0o600  # personal data: owner only

    # The command line in-process (scripts/restore.sh only adds a usage line; bench/verify runs it).
    rc = restore_main([str(source["archive"]), "--database", db.name, "--media-root", str(roots["media"]),
                       "--private-root", str(roots["private"])])
    out = capsys.readouterr()
    assert rc == 0, out.out + out.err
    assert "restored and verified" in out.out
    assert "media: 21/21 files match" in out.out and "rows: " in out.out

    # Compared independently of the restore's own checks: every table, every file.
    restored = counts(db)
    assert restored == source["counts"]
    for table in ("cases_case", "cases_caseevent", "dispatch_dispatch", "dispatch_dispatchevent",
                  "grids_gridunit", "accounts_user"):
        assert restored[f"public.{table}"] > 0
    for kind in ("media", "private"):
        assert tree(roots[kind]) == tree(source["roots"][kind]) != {}
    with db.connect() as conn:
        rows = conn.execute("SELECT image, thumbnail, original, sha256 FROM cases_casephoto").fetchall()
    for image, thumb, original, digest in rows:
        assert (roots["media"] / image).is_file() and (roots["media"] / thumb).is_file()
        assert files.sha256_of(roots["private"] / original) == digest

    # The restored database is usable: sequences are past every id, a new case (with a photo) saves.
    script = ("import django; django.setup();"
              "from tests.dispatch_helpers import photo; from tests.factories import make_case;"
              "from gridgov.accounts.models import User; from gridgov.cases.models import Case;"
              "c = make_case(User.objects.get(username='wg'), photos=[photo()]);"
              "print(c.pk, c.number, Case.objects.count(), c.photos.get().original.path)")
    created = run(sys.executable, "-c", script, env={
        "DATABASE_URL": database_url(db), "DJANGO_SETTINGS_MODULE": "gridgov.settings",
        "GRIDGOV_MEDIA_ROOT": str(roots["media"]), "GRIDGOV_PRIVATE_MEDIA_ROOT": str(roots["private"])})
    assert created.returncode == 0, created.stderr
    pk, number, total, original = created.stdout.split()
    assert int(pk) > source["max_case_id"] and number not in source["case_numbers"] and int(total) == 4
    assert Path(original).is_relative_to(roots["private"]) and Path(original).is_file()


def rewrite(src, dst, drop_member=None, damage=None, manifest_edit=None):
    """A copy of an archive with one member left out, one member's bytes flipped, or the manifest edited."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w") as tout:
        for member in tin.getmembers():
            if member.name == drop_member:
                continue
            data = tin.extractfile(member).read()
            if member.name == damage:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            if member.name == "manifest.json" and manifest_edit:
                manifest = json.loads(data)
                manifest_edit(manifest, tout)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            tout.addfile(member, io.BytesIO(data))
    return dst


def refused(archive, db, roots, force=False):
    with pytest.raises(FieldError) as exc:
        do_restore(archive, db, roots["media"], roots["private"], force=force)
    return exc.value


def assert_nothing_restored(db, roots):
    assert not exists(db), "a database created for a refused restore must be dropped"
    for root in roots.values():
        assert not root.exists() or [p for p in root.rglob("*") if p.is_file()] == []


def first_photo(source):
    return "private/" + files.walk(source["roots"]["private"])[0]


def test_it_refuses_a_truncated_archive(source, scratch, tmp_path):
    db, roots = scratch
    data = source["archive"].read_bytes()
    (tmp_path / "cut.tar").write_bytes(data[: len(data) // 2])
    err = refused(tmp_path / "cut.tar", db, roots)
    assert err.code == "corrupt_archive" and "损坏或不完整" in err.message_zh and "damaged" in err.message_en
    assert_nothing_restored(db, roots)


def test_it_refuses_a_garbled_manifest(source, scratch, tmp_path):
    db, roots = scratch
    err = refused(rewrite(source["archive"], tmp_path / "garbled.tar",
                          manifest_edit=lambda manifest, tout: manifest.pop("tables")), db, roots)
    assert err.code == "corrupt_archive" and "tables" in err.message_en
    assert_nothing_restored(db, roots)


def test_it_refuses_an_archive_that_lacks_a_listed_file(source, scratch, tmp_path):
    db, roots = scratch
    name = first_photo(source)
    err = refused(rewrite(source["archive"], tmp_path / "lacking.tar", drop_member=name), db, roots)
    assert err.code == "missing_file" and name in err.message_zh and name in err.message_en
    assert_nothing_restored(db, roots)


def test_it_refuses_a_damaged_file_after_staging_without_leaving_anything(source, scratch, tmp_path):
    db, roots = scratch
    name = "private/" + files.walk(source["roots"]["private"])[-1]  # the last file: others are staged first
    err = refused(rewrite(source["archive"], tmp_path / "damaged.tar", damage=name), db, roots)
    assert err.code == "checksum_mismatch" and name in err.message_zh
    assert_nothing_restored(db, roots)
    err = refused(rewrite(source["archive"], tmp_path / "baddump.tar", damage="db.dump"), db, roots)
    assert err.code == "checksum_mismatch" and "db.dump" in err.message_en
    assert_nothing_restored(db, roots)


def test_it_refuses_a_path_that_leaves_its_root(source, scratch, tmp_path):
    db, roots = scratch

    def add_escape(manifest, tout):
        evil = tarfile.TarInfo("media/../../escaped.txt")
        evil.size = 2
        tout.addfile(evil, io.BytesIO(b"hi"))
        manifest["files"].append({"path": evil.name, "size": 2, "sha256": hashlib.sha256(b"hi").hexdigest()})

    err = refused(rewrite(source["archive"], tmp_path / "escape.tar", manifest_edit=add_escape), db, roots)
    assert err.code == "unsafe_path" and "escaped.txt" in err.message_en
    assert_nothing_restored(db, roots)
    assert not (roots["media"].parent.parent / "escaped.txt").exists()


def test_it_refuses_a_non_empty_target_without_force_and_replaces_it_with_force(source, scratch):
    db, roots = scratch
    pg.create_database(db)
    with db.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (42)")
    err = refused(source["archive"], db, roots)
    assert err.field == "FORCE" and err.code == "target_not_empty"
    assert "FORCE=1" in err.message_zh and "keep_me" in err.message_en
    with db.connect() as conn:
        assert conn.execute("SELECT x FROM keep_me").fetchone() == (42,)
    assert [p for p in roots["media"].parent.rglob("*") if p.is_file()] == []

    roots["media"].mkdir(parents=True)
    (roots["media"] / "old.txt").write_text("old")
    result = do_restore(source["archive"], db, roots["media"], roots["private"], force=True)
    assert result.ok, result.lines
    with db.connect() as conn:
        assert conn.execute("SELECT to_regclass('keep_me')").fetchone() == (None,)
    assert not (roots["media"] / "old.txt").exists()
    assert [p.name for p in result.kept[0].iterdir()] == ["old.txt"]
    assert tree(roots["media"]) == tree(source["roots"]["media"])


def test_it_refuses_to_overwrite_a_backup_and_leaves_nothing_when_the_database_is_unreachable(source, tmp_path):
    with pytest.raises(FieldError) as exc:
        do_backup(source["archive"], source["db"])
    assert exc.value.code == "exists" and str(source["archive"]) in exc.value.message_en

    with pytest.raises(FieldError) as exc:
        do_backup(tmp_path / "x.tar", source["db"].named("gg_no_such_database"), tmp_path, tmp_path)
    assert exc.value.code == "unreachable" and "gg_no_such_database" in exc.value.message_zh
    assert list(tmp_path.iterdir()) == []  # no archive, no .partial left behind


def test_it_rolls_back_a_forced_restore_that_fails_and_keeps_the_old_database_and_media(source, scratch, settings):
    """A web server still running holds a lock the drop must wait for: the restore gives up after
    GRIDGOV_RESTORE_LOCK_TIMEOUT_S, and the old schema, rows and media are all still there."""
    db, roots = scratch
    settings.GRIDGOV_RESTORE_LOCK_TIMEOUT_S = 1
    pg.create_database(db)
    with db.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (42)")
    roots["media"].mkdir(parents=True)
    (roots["media"] / "old.txt").write_text("old")
    with db.connect() as holder:
        holder.execute("SELECT * FROM keep_me")  # an open transaction holding ACCESS SHARE
        err = refused(source["archive"], db, roots, force=True)
        holder.rollback()
    assert err.code == "restore_failed" and "lock timeout" in err.message_en and "回滚" in err.message_zh
    with db.connect() as conn:
        assert conn.execute("SELECT x FROM keep_me").fetchone() == (42,)
        assert conn.execute("SELECT to_regclass('cases_case')").fetchone() == (None,)
    assert files.walk(roots["media"], skip_prefixes=()) == ["old.txt"]  # nothing staged left behind
    assert not roots["private"].exists()
