"""Refuse to start with a default or weak secret, or without the production environment.

Called from settings.py before Django is configured, so it imports nothing that needs settings.
"""
from django.core.exceptions import ImproperlyConfigured

# Secrets that ship in this repository (settings, .env.example, Dockerfile, docker-compose.yml).
KNOWN_DEFAULTS = {
    "dev-only-insecure-key-set-GRIDGOV_SECRET_KEY-in-production",
    "replace-with-a-long-random-string",
    "build-only",
    "change-me",
    "replace-me",
}
MIN_SECRET_LENGTH = 50  # Django's own check (security.W009) asks for 50 characters, 5 distinct


def _refuse(zh, en):
    raise ImproperlyConfigured(f"{zh} / {en}")


def check_production_env(environ, secret_key, *, production):
    """Debug is off: no shipped secret, ever. GRIDGOV_ENV=production: a strong secret and the
    deployment's own hosts and database as well."""
    if not secret_key:
        _refuse("未设置 GRIDGOV_SECRET_KEY：关闭调试模式（GRIDGOV_DEBUG=0 或 GRIDGOV_ENV=production）时必须提供随机密钥",
                "GRIDGOV_SECRET_KEY must be set when debugging is off (GRIDGOV_DEBUG=0 or GRIDGOV_ENV=production)")
    if secret_key in KNOWN_DEFAULTS:
        _refuse("GRIDGOV_SECRET_KEY 仍是仓库中的示例值，请生成新的随机密钥",
                "GRIDGOV_SECRET_KEY is a default from this repository; generate a new random one "
                "(python -c 'import secrets; print(secrets.token_urlsafe(64))')")
    if not production:
        return
    if len(secret_key) < MIN_SECRET_LENGTH or len(set(secret_key)) < 5 or secret_key.startswith("django-insecure"):
        _refuse(f"GRIDGOV_SECRET_KEY 太弱：生产环境需要至少 {MIN_SECRET_LENGTH} 个字符的随机密钥",
                f"GRIDGOV_SECRET_KEY is too weak: production needs a random key of at least "
                f"{MIN_SECRET_LENGTH} characters")
    if not environ.get("GRIDGOV_ALLOWED_HOSTS", "").strip():
        _refuse("生产环境必须设置 GRIDGOV_ALLOWED_HOSTS（本系统的域名，逗号分隔）",
                "GRIDGOV_ALLOWED_HOSTS must be set in production (this site's host names, comma-separated)")
    if not environ.get("DATABASE_URL", "").strip():
        _refuse("生产环境必须设置 DATABASE_URL（PostGIS 数据库地址）",
                "DATABASE_URL must be set in production (the PostGIS database)")
