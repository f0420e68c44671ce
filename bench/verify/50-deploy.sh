#!/usr/bin/env bash
# verify: deploy posture (issue 7, item 5). docs/reliability/deploy.md explains each step.
#   1. `manage.py check --deploy --fail-level WARNING` with the production environment: no issue at all
#   2. production settings refuse to start with the secret shipped in .env.example, with a short one,
#      without GRIDGOV_ALLOWED_HOSTS and without DATABASE_URL (exit non-zero, the variable named)
#   3. gunicorn with the production environment on a local port: plain HTTP is redirected to HTTPS,
#      /healthz answers over HTTP; through a "proxy" (X-Forwarded-Proto: https) the login page carries
#      HSTS, the CSP without unsafe-inline, X-Frame-Options DENY, nosniff, Referrer-Policy, and Secure +
#      HttpOnly + SameSite cookies
#   4. the tests: tests/test_deploy_posture.py (argon2, lockout, headers, admin audit) and
#      tests/test_csp_browser.py (every main page in Chromium as its role, zero CSP violations / errors)
# Uses its own test database (VERIFY_DEPLOY_TEST_DB). Usage: bash bench/verify/50-deploy.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=gridgov.settings
[ -z "${DATABASE_URL:-}" ] && bash scripts/pg.sh start >/dev/null
PGPORT=$(cat var/pg/port 2>/dev/null || echo 54329)
LOCAL_DB="postgis://gridgov@/gridgov?host=$ROOT/var/pg/run&port=$PGPORT"
SECRET=$($PY -c 'import secrets; print(secrets.token_urlsafe(64))')
HOST=gridgov.example.gov.cn
prod() {  # run a command with the production environment and nothing else of ours
  env -u GRIDGOV_DEBUG GRIDGOV_ENV=production GRIDGOV_SECRET_KEY="$SECRET" GRIDGOV_ALLOWED_HOSTS="$HOST,127.0.0.1" \
      GRIDGOV_CSRF_TRUSTED_ORIGINS="https://$HOST" GRIDGOV_PROXY_SSL_HEADER=1 DATABASE_URL="${DATABASE_URL:-$LOCAL_DB}" "$@"
}
fail() { echo "FAIL: $*"; exit 1; }

echo "-- 1. check --deploy (production environment)"
prod $PY manage.py check --deploy --fail-level WARNING 2>&1 | tee var/verify/deploy-check.txt
grep -q "System check identified no issues" var/verify/deploy-check.txt || fail "check --deploy reported issues"

echo "-- 2. production refuses to start without real settings"
refused() {  # $1: what must be named in the error; rest: env overrides
  local needle=$1; shift
  if out=$(prod env "$@" $PY manage.py check 2>&1); then fail "started with $*"; fi
  echo "$out" | grep -q "$needle" || fail "no clear message for $*: $out"
  echo "refused ($*): $(echo "$out" | grep -o "ImproperlyConfigured: .*" | head -1 | cut -c1-160)"
}
refused "示例值" GRIDGOV_SECRET_KEY=replace-with-a-long-random-string
refused "太弱" GRIDGOV_SECRET_KEY=short-secret
refused "GRIDGOV_SECRET_KEY" -u GRIDGOV_SECRET_KEY
refused "GRIDGOV_ALLOWED_HOSTS" -u GRIDGOV_ALLOWED_HOSTS
refused "DATABASE_URL" DATABASE_URL=

echo "-- 3. gunicorn with the production environment"
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prod .venv/bin/gunicorn gridgov.wsgi:application --bind 127.0.0.1:$PORT --workers 1 --log-level warning &
GPID=$!
trap 'kill $GPID 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.5; done
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $HOST" "http://127.0.0.1:$PORT/accounts/login/")
echo "plain HTTP /accounts/login/: $code"; [[ $code == "301 https://$HOST/accounts/login/" ]] || fail "no redirect to HTTPS"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")
echo "plain HTTP /healthz: $code"; [ "$code" = 200 ] || fail "health check redirected"
curl -s -D var/verify/deploy-headers.txt -o /dev/null -H "Host: $HOST" -H "X-Forwarded-Proto: https" \
     "http://127.0.0.1:$PORT/accounts/login/"
cat var/verify/deploy-headers.txt
H=var/verify/deploy-headers.txt
grep -qi "^HTTP/1.1 200" $H || fail "login page not 200 over the proxy"
grep -qi "^strict-transport-security: max-age=31536000; includeSubDomains; preload" $H || fail "HSTS"
for d in "default-src 'self'" "script-src 'self'" "style-src 'self'" "frame-ancestors 'none'" "object-src 'none'"; do
  grep -i "^content-security-policy:" $H | grep -qi "$d" || fail "CSP lacks $d"
done
grep -i "^content-security-policy:" $H | grep -qi "unsafe-inline" && fail "CSP allows unsafe-inline"
grep -qi "^x-frame-options: DENY" $H || fail "X-Frame-Options"
grep -qi "^x-content-type-options: nosniff" $H || fail "nosniff"
grep -qi "^referrer-policy: same-origin" $H || fail "Referrer-Policy"
grep -i "^set-cookie: csrftoken" $H | grep -i "secure" | grep -qi "samesite=lax" || fail "CSRF cookie flags"
# The session cookie appears at login: its flags are asserted in tests/test_deploy_posture.py and here via settings.
prod $PY -c "import django; django.setup(); from django.conf import settings as s; \
assert s.SESSION_COOKIE_SECURE and s.SESSION_COOKIE_HTTPONLY and s.SESSION_COOKIE_SAMESITE == 'Lax' and s.CSRF_COOKIE_SECURE; \
assert s.PASSWORD_HASHERS[0].endswith('Argon2PasswordHasher'); print('session cookie: Secure HttpOnly SameSite=Lax; hasher: argon2')"
kill $GPID; trap - EXIT

echo "-- 4. tests: deploy posture and the CSP in Chromium"
GRIDGOV_TEST_DB=${VERIFY_DEPLOY_TEST_DB:-gridgov_verify_deploy} $PY -m pytest -p no:cacheprovider -q \
    tests/test_deploy_posture.py tests/test_csp_browser.py
echo "deploy posture: every check passed"
