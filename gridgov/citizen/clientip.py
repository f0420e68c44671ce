"""The client's IP address for rate limits.

REMOTE_ADDR, unless it is a reverse proxy listed in GRIDGOV_TRUSTED_PROXIES (settings or environment,
comma-separated): then the right-most address in X-Forwarded-For that is not a trusted proxy. A client
cannot dodge the limits by sending its own X-Forwarded-For to a server without a proxy in front.
"""
import os

from django.conf import settings


def trusted_proxies():
    value = getattr(settings, "GRIDGOV_TRUSTED_PROXIES", None)
    if value is None:
        value = os.environ.get("GRIDGOV_TRUSTED_PROXIES", "")
    if isinstance(value, str):
        value = value.split(",")
    return {v.strip() for v in value if v.strip()}


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = trusted_proxies()
    if remote not in proxies:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in proxies:
            return hop
    return remote
