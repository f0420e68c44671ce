"""Fixed-window counters in Django's cache (per API key for POST, per client IP for GET)."""
import time

from django.core.cache import cache

from gridgov.citizen.clientip import client_ip  # noqa: F401 (one rule for both public interfaces)


def allow(scope, ident, rate, now=None):
    """True while ident has made at most count calls in the current window of `seconds`."""
    count, seconds = rate
    window = int((now or time.time()) // seconds)
    key = f"open311:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=seconds + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds + 5)
        used = 1
    return used <= count
