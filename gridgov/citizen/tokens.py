"""Signed values: the grid token in the QR code, and the form stamp (grid, client UUID, time shown).

The grid token names a grid and cannot be forged for another; the stamp proves when the form was
served (minimum fill time) and makes a double submission idempotent (same client UUID).
"""
import hashlib
import hmac
import time
import uuid

from django.conf import settings
from django.core import signing

GRID_SALT = "gridgov.citizen.grid"
STAMP_SALT = "gridgov.citizen.form"


def grid_token(code):
    return signing.Signer(salt=GRID_SALT).sign(code)


def grid_code_from_token(token):
    """The grid code, or None for a token that was not signed here."""
    try:
        return signing.Signer(salt=GRID_SALT).unsign(token)
    except signing.BadSignature:
        return None


def new_stamp(code, now=None):
    return signing.dumps({"g": code, "u": str(uuid.uuid4()), "t": now or time.time()}, salt=STAMP_SALT)


def read_stamp(stamp, max_age):
    """(grid code, client uuid, time served) or None if forged or expired."""
    try:
        data = signing.loads(stamp or "", salt=STAMP_SALT, max_age=max_age)
        return data["g"], uuid.UUID(data["u"]), float(data["t"])
    except (signing.BadSignature, KeyError, ValueError, TypeError):
        return None


def keyed_hash(value):
    if not value:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
