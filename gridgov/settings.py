"""gridgov settings. Everything deployment-specific comes from the environment."""
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


# GRIDGOV_ENV=production: the deployment posture (HTTPS only, strict secrets, see docs/reliability/deploy.md).
# GRIDGOV_DEBUG=0 alone turns debugging off (benches over plain HTTP) without the HTTPS-only settings.
PRODUCTION = os.environ.get("GRIDGOV_ENV", "").strip().lower() == "production"
DEBUG = env_bool("GRIDGOV_DEBUG", True) and not PRODUCTION
SECRET_KEY = os.environ.get("GRIDGOV_SECRET_KEY") or (
    "dev-only-insecure-key-set-GRIDGOV_SECRET_KEY-in-production" if DEBUG else None
)
# Key of the petitioners' ID-number and phone hashes (gridgov.petitions.identity). Its own secret: rotating
# SECRET_KEY must not unlink every petitioner's file. Without it (development only) one is derived.
GRIDGOV_PII_KEY = os.environ.get("GRIDGOV_PII_KEY") or (
    f"dev-pii-{SECRET_KEY}" if DEBUG and SECRET_KEY else None
)
ALLOWED_HOSTS = os.environ.get("GRIDGOV_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
if not DEBUG:  # a missing, shipped or (in production) weak secret stops the start with a clear message
    from gridgov.security.startup import check_production_env  # noqa: E402  (no Django import inside)
    check_production_env(os.environ, SECRET_KEY, production=PRODUCTION)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "procrastinate.contrib.django",
    "gridgov.accounts",
    "gridgov.grids",
    "geodata",
    "maps",
    "gridgov.basemap",
    "gridgov.cases",
    "gridgov.workcal",
    "gridgov.departments",
    "gridgov.field",
    "gridgov.dispatch",
    "gridgov.notifications",
    "gridgov.alerts",
    "gridgov.evaluation",
    "gridgov.console",
    "gridgov.classify",
    "gridgov.hotline",
    "gridgov.gisexport",
    "gridgov.open311",
    "gridgov.citizen",
    "gridgov.petitions",
    "gridgov.bulletins",
    "gridgov.backlog",
    "gridgov.risk",
    "gridgov.patrol",
    "axes",
    "csp",
    "gridgov.security",
    "gridgov.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gridgov.nulguard.RefuseNulCharactersMiddleware",  # NUL in path/query/form: a 400 naming it, never a 500
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridgov.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the login page's message (429)
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Database: DATABASE_URL (any PostGIS >= 3.1) replaces the project-local cluster started by
# scripts/pg.sh (unix socket under var/pg/run, port 54329, trust auth, listening on loopback only).
_LOCAL_DB = {
    "ENGINE": "django.contrib.gis.db.backends.postgis",
    "NAME": "gridgov",
    "USER": "gridgov",
    "HOST": str(BASE_DIR / "var" / "pg" / "run"),
    "PORT": os.environ.get("GRIDGOV_PGPORT") or (
        (BASE_DIR / "var/pg/port").read_text().strip() if (BASE_DIR / "var/pg/port").exists() else "54329"),
}
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
else:
    DATABASES = {"default": {**_LOCAL_DB, "CONN_MAX_AGE": 60}}
DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("GRIDGOV_TEST_DB", "test_gridgov")

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"  # gridgov.home sends each role to its start page

# Time: stored in UTC, shown in Asia/Shanghai.
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [d for d in [BASE_DIR / "var" / "assets"] if d.exists()]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("GRIDGOV_MEDIA_ROOT", BASE_DIR / "var" / "media"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Spatial reference policy (one place) -------------------------------------------------------
# Storage: WGS-84 lon/lat. CGCS2000 (EPSG:4490) input is accepted as identical to WGS-84 at the
# metre level. Areas and distances are computed on the geography type (metres on the spheroid);
# GRIDGOV_METRIC_SRID is the CGCS2000 3-degree Gauss-Krueger zone used where planar metres are
# needed (4549 = central meridian 120E, the zone of the demo county).
GRIDGOV_STORAGE_SRID = 4326
GRIDGOV_METRIC_SRID = int(os.environ.get("GRIDGOV_METRIC_SRID", "4549"))
GRIDGOV_COUNTY_CODE = os.environ.get("GRIDGOV_COUNTY_CODE", "320831")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "gridgov.auth.CachedTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gridgov.api_errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "gridgov API",
    "DESCRIPTION": "网格化治理 / grid-governance platform API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc served from the sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (33.03, 119.02),
    "DEFAULT_ZOOM": 10,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 18,
    # No internet on county networks: no base map unless one is configured.
    "TILES": [(t.split("|")[0], t.split("|")[1], {"attribution": ""})
              for t in os.environ.get("GRIDGOV_TILES", "").split(";") if "|" in t],
    "RESET_VIEW": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDGOV_LOG_LEVEL", "WARNING")},
}

# GDAL < 3.9 cannot block network access from CRS definitions. Grid files are imported by
# administrators from local disk, and the importer refuses remote CRS definitions itself.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- Working calendar (工作日/工作时) --------------------------------------------------------------
# Working periods of a working day, local to GRIDGOV_WORK_TZ. Env form: "08:30-12:00,13:30-17:30".
GRIDGOV_WORK_TZ = os.environ.get("GRIDGOV_WORK_TZ", "Asia/Shanghai")
GRIDGOV_WORK_HOURS = [tuple(p.strip().split("-", 1)) for p in
                      os.environ.get("GRIDGOV_WORK_HOURS", "08:30-12:00,13:30-17:30").split(",") if p.strip()]

# --- Notifications, warnings, evaluation (gridgov.notifications / alerts / evaluation) -------------
# Email: console in development; set GRIDGOV_EMAIL_BACKEND (and Django's EMAIL_HOST etc.) in production.
# Tests use Django's locmem backend. Channels: gridgov.notifications.channels; thresholds and weights:
# gridgov.alerts.conf and gridgov.evaluation.conf (all optional settings with defaults there).
EMAIL_BACKEND = os.environ.get("GRIDGOV_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("GRIDGOV_FROM_EMAIL", "gridgov@localhost")

# --- Deploy posture (issue 7.5; docs/reliability/deploy.md) ------------------------------------
from datetime import timedelta  # noqa: E402

from csp.constants import NONCE  # noqa: E402

# Passwords: argon2 first; older hashes are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Login lockout (django-axes): 5 failures for one username from one IP address lock that pair for
# 30 minutes, on the site login, the admin login and any other authenticate(request=...) caller.
AUTHENTICATION_BACKENDS = [
    "gridgov.security.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("GRIDGOV_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("GRIDGOV_LOGIN_LOCK_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failed login is a row (axes_accessfailurelog)
AXES_LOCKOUT_CALLABLE = "gridgov.security.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "gridgov.security.lockout.client_ip"
AXES_VERBOSE = False

# Content-Security-Policy (django-csp): no inline script or style anywhere. Nonces exist only for
# django-leaflet's admin map widget, whose templates print a small inline script carrying it.
_TILE_ORIGINS = sorted({"/".join(t[1].split("/")[:3]) for t in LEAFLET_CONFIG["TILES"]
                        if t[1].startswith(("http://", "https://"))})
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *_TILE_ORIGINS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "report-uri": ["/csp-report/"],  # gridgov.security.views: one log line per violation
    },
}
X_FRAME_OPTIONS = "DENY"
# `check --deploy` is about the deployment; drf-spectacular would add its schema-quality warnings (views
# without a serializer) to it. Those are listed by `manage.py spectacular --validate --file /dev/null`
# and the API is fuzzed by the hostile-input proof (bench/verify/), so they are kept out of the deploy check.
SPECTACULAR_SETTINGS["ENABLE_DJANGO_DEPLOY_CHECK"] = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# The CSRF cookie stays readable by script: the offline field app reads it at send time because
# its cached page may carry a stale token (gridgov/field/static/field/common.js).
CSRF_COOKIE_HTTPONLY = False
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("GRIDGOV_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
if PRODUCTION:
    # HTTPS only. Behind a TLS-terminating proxy (nginx), set GRIDGOV_PROXY_SSL_HEADER=1 and make the
    # proxy set X-Forwarded-Proto (and strip it from clients), or the redirect loops.
    SECURE_SSL_REDIRECT = env_bool("GRIDGOV_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container's own health check speaks plain HTTP
    if env_bool("GRIDGOV_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("GRIDGOV_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("GRIDGOV_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("GRIDGOV_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_AGE = int(os.environ.get("GRIDGOV_SESSION_SECONDS", str(12 * 3600)))
    # Email from the environment (Django's SMTP backend); errors to GRIDGOV_ADMINS (addresses, comma-separated).
    EMAIL_HOST = os.environ.get("GRIDGOV_EMAIL_HOST", "localhost")
    EMAIL_PORT = int(os.environ.get("GRIDGOV_EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("GRIDGOV_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("GRIDGOV_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("GRIDGOV_EMAIL_TLS", False)
    EMAIL_BACKEND = os.environ.get("GRIDGOV_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    SERVER_EMAIL = DEFAULT_FROM_EMAIL
    ADMINS = [(a.strip(), a.strip()) for a in os.environ.get("GRIDGOV_ADMINS", "").split(",") if a.strip()]
