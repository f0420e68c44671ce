"""Token authentication with a short per-process memory of recent tokens.

Every API request from a phone or a client system carries a token; looking it up costs a query and an
ORM round trip (about a third of a locate request). A token seen in the last TOKEN_CACHE_SECONDS is
trusted without the lookup. Deleting a token (or the user) forgets it at once in this process; other
worker processes stop accepting it within TOKEN_CACHE_SECONDS. Deactivating a user also takes effect
within that time.
"""
import time
from collections import OrderedDict
from threading import Lock

from django.db.models.signals import post_delete, post_save
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from gridgov.conf import setting

_MAX_ENTRIES = 10_000
_cache = OrderedDict()  # key -> (expires_at, user, token)
_lock = Lock()


def _ttl():
    return float(setting("GRIDGOV_TOKEN_CACHE_SECONDS", 5, float))


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        now = time.monotonic()
        with _lock:
            hit = _cache.get(key)
            if hit and hit[0] > now:
                _cache.move_to_end(key)
                return hit[1], hit[2]
        user, token = super().authenticate_credentials(key)  # raises for unknown keys / inactive users
        ttl = _ttl()
        if ttl > 0:
            with _lock:
                _cache[key] = (now + ttl, user, token)
                while len(_cache) > _MAX_ENTRIES:
                    _cache.popitem(last=False)
        return user, token


def forget(key=None):
    with _lock:
        if key is None:
            _cache.clear()
        else:
            _cache.pop(key, None)


def _forget_token(sender, instance, **kwargs):
    forget(instance.key)


def _forget_user(sender, instance, **kwargs):
    with _lock:
        for key in [k for k, (_, user, _) in _cache.items() if user.pk == instance.pk]:
            _cache.pop(key, None)


def connect_signals(user_model):
    post_delete.connect(_forget_token, sender=Token, dispatch_uid="gridgov-auth-forget-token")
    post_save.connect(_forget_user, sender=user_model, dispatch_uid="gridgov-auth-forget-user-save")
    post_delete.connect(_forget_user, sender=user_model, dispatch_uid="gridgov-auth-forget-user-delete")
