"""Open311 settings, each overridable in settings.py or the environment."""
from gridgov.conf import rate as _rate, setting as _setting


def post_rate():
    """POST requests per API key per window."""
    return _rate(_setting("GRIDGOV_OPEN311_POST_RATE", "60/60"))


def get_rate():
    """GET calls per client IP per window."""
    return _rate(_setting("GRIDGOV_OPEN311_GET_RATE", "600/60"))


def default_days():
    """GET requests without dates: the last N days (spec: 90)."""
    return _setting("GRIDGOV_OPEN311_DEFAULT_DAYS", 90, int)


def max_results():
    return _setting("GRIDGOV_OPEN311_MAX_RESULTS", 1000, int)


def contact():
    return _setting("GRIDGOV_OPEN311_CONTACT", "县社会治理综合指挥中心")


def key_service():
    return _setting("GRIDGOV_OPEN311_KEY_SERVICE", "向县社会治理综合指挥中心申请 api_key（系统管理员在后台签发）")
