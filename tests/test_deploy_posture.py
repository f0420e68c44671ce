"""Deploy posture (issue 7.5): production settings, argon2, login lockout, security headers, admin audit.

The production checks run `manage.py` in a subprocess with a production environment (the settings
module is read once per process). The CSP in a real browser: tests/test_csp_browser.py.
"""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.test import Client, override_settings

from gridgov.accounts.models import Role, User
from gridgov.security.startup import check_production_env

ROOT = Path(__file__).resolve().parent.parent
STRONG = "k3Jq9-production-secret-for-tests-only-7c1b0e5d2a4f8e6b9c3d1a0f"


def production_env(**overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDGOV_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"GRIDGOV_ENV": "production", "GRIDGOV_SECRET_KEY": STRONG,
                "GRIDGOV_ALLOWED_HOSTS": "gridgov.example.gov.cn",
                "GRIDGOV_CSRF_TRUSTED_ORIGINS": "https://gridgov.example.gov.cn",
                "DATABASE_URL": "postgis://gridgov:secret@db.invalid:5432/gridgov"})
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_it_passes_check_deploy_with_the_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_it_refuses_to_start_in_production_without_a_real_secret():
    missing = manage("check", env=production_env(GRIDGOV_SECRET_KEY=None))
    assert missing.returncode != 0 and "GRIDGOV_SECRET_KEY" in missing.stderr
    shipped = manage("check", env=production_env(GRIDGOV_SECRET_KEY="replace-with-a-long-random-string"))
    assert shipped.returncode != 0 and "示例值" in shipped.stderr and "default" in shipped.stderr


def test_it_names_each_missing_production_setting():
    from django.core.exceptions import ImproperlyConfigured

    env = production_env()
    for name, bad, needle in [("GRIDGOV_SECRET_KEY", "short", "太弱"),
                              ("GRIDGOV_ALLOWED_HOSTS", "", "GRIDGOV_ALLOWED_HOSTS"),
                              ("DATABASE_URL", "", "DATABASE_URL")]:
        with pytest.raises(ImproperlyConfigured, match=needle):
            check_production_env({**env, name: bad}, bad if name == "GRIDGOV_SECRET_KEY" else STRONG, production=True)
    check_production_env(env, STRONG, production=True)  # complete: no error
    check_production_env({}, "bench", production=False)  # debug off outside production: any non-default secret
    with pytest.raises(ImproperlyConfigured, match="示例值"):
        check_production_env({}, "build-only", production=False)


def test_it_hashes_passwords_with_argon2_by_default():
    import gridgov.settings as configured

    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=configured.PASSWORD_HASHERS):
        encoded = make_password("网格-密码-1")
        assert encoded.startswith("argon2$argon2id$") and identify_hasher(encoded).algorithm == "argon2"
        assert check_password("网格-密码-1", encoded) and not check_password("wrong", encoded)


@pytest.fixture
def staff(db):
    user = User.objects.create_superuser("root", "root@example.invalid", "pw-root", role=Role.ADMIN)
    return user


def post_login(client, username, password, ip, url="/accounts/login/"):
    return client.post(url, {"username": username, "password": password, "next": "/"}, REMOTE_ADDR=ip)


def test_it_locks_a_username_out_from_one_address_after_five_failures(staff, caplog):
    from axes.models import AccessAttempt, AccessFailureLog

    client = Client()
    for _ in range(4):
        assert post_login(client, "root", "wrong", "10.0.0.5").status_code == 200
    fifth = post_login(client, "root", "wrong", "10.0.0.5")
    assert fifth.status_code == 429 and "登录失败次数过多" in fifth.content.decode()
    locked = post_login(client, "root", "pw-root", "10.0.0.5")  # right password, but locked
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode() and "30 分钟" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    admin_login = post_login(Client(), "root", "pw-root", "10.0.0.5", url="/admin/login/?next=/admin/")
    assert admin_login.status_code == 429 and "登录失败次数过多" in admin_login.content.decode()
    # Another address is not locked out (the pair username + IP is).
    elsewhere = Client()
    assert post_login(elsewhere, "root", "pw-root", "10.0.0.6").status_code == 302
    assert elsewhere.session["_auth_user_id"] == str(staff.pk)
    assert AccessAttempt.objects.filter(username="root", ip_address="10.0.0.5", failures_since_start__gte=5).exists()
    assert AccessFailureLog.objects.filter(username="root", ip_address="10.0.0.5", locked_out=True).exists()
    assert any("login locked out" in r.getMessage() and "10.0.0.5" in r.getMessage() for r in caplog.records)


def test_it_logs_logins_and_logouts(staff):
    from axes.models import AccessLog

    client = Client()
    assert post_login(client, "root", "pw-root", "10.0.0.7").status_code == 302
    row = AccessLog.objects.get(username="root", ip_address="10.0.0.7")
    assert row.attempt_time is not None and row.logout_time is None
    client.post("/accounts/logout/", REMOTE_ADDR="10.0.0.7")
    row.refresh_from_db()
    assert row.logout_time is not None


def test_it_sends_the_security_headers_and_cookie_flags(staff):
    client = Client()
    page = client.get("/accounts/login/")
    policy = page["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:",
                      "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'"):
        assert directive in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert page["X-Frame-Options"] == "DENY" and page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin" and page["Cross-Origin-Opener-Policy"] == "same-origin"
    response = post_login(client, "root", "pw-root", "10.0.0.8")
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"


def test_it_leaves_an_admin_log_row_for_bulk_actions_and_imports(staff, categories):
    from gridgov.cases.categories import export_csv
    from gridgov.cases.models import Category
    from gridgov.dispatch.models import RoutingRule
    from tests.dispatch_helpers import build_world
    from tests.factories import build_small_county

    build_small_county()
    build_world()
    rules = list(RoutingRule.objects.filter(is_active=True).values_list("pk", flat=True))
    assert rules
    client = Client()
    client.force_login(staff)
    response = client.post("/admin/dispatch/routingrule/", {"action": "deactivate_selected",
                                                             "_selected_action": rules, "index": 0})
    assert response.status_code == 302
    assert not RoutingRule.objects.filter(pk__in=rules, is_active=True).exists()
    logged = LogEntry.objects.filter(user=staff, action_flag=CHANGE, content_type__model="routingrule")
    assert sorted(int(e.object_id) for e in logged) == sorted(rules)
    assert all("deactivate_selected" in e.change_message for e in logged)

    upload = io.BytesIO(export_csv().encode("utf-8"))
    upload.name = "分类.csv"
    response = client.post("/admin/cases/category/import-csv/", {"file": upload})
    assert response.status_code == 302
    row = LogEntry.objects.get(user=staff, action_flag=ADDITION, content_type__model="category")
    assert "分类.csv" in row.change_message and "unchanged" in row.change_message
    assert Category.objects.exists()


def test_it_logs_csp_violation_reports_and_refuses_oversized_ones(db, caplog):
    client = Client()
    report = {"csp-report": {"violated-directive": "style-src-elem", "blocked-uri": "inline",
                             "document-uri": "https://gridgov.example.gov.cn/mapwall/", "line-number": 12}}
    response = client.post("/csp-report/", data=json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    assert any("CSP violation" in r.getMessage() and "style-src-elem" in r.getMessage() for r in caplog.records)
    assert client.get("/csp-report/").status_code == 405
    big = client.post("/csp-report/", data="x" * 9000, content_type="application/csp-report")
    assert big.status_code == 413
    assert client.post("/csp-report/", data="not json", content_type="application/csp-report").status_code == 400
