"""The petitioner's identity: ID numbers checked (GB 11643-1999), people linked by keyed hashes, shown masked.

The clear ID number and phone are never stored (个人信息保护法: the least that does the job): a person is
found again by HMAC-SHA256 of the normalised value under settings.GRIDGOV_PII_KEY — a keyed hash, so the
table cannot be reversed by hashing every possible ID number without the key — and shown masked.
"""
import hashlib
import hmac
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from gridgov.core.errors import FieldError

ID_RE = re.compile(r"^\d{17}[\dX]$")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
PHONE_DIGITS = re.compile(r"\D+")


def check_digit(first17):
    """GB 11643 check character of the first 17 digits (ISO 7064 MOD 11-2)."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def normalise_id(value, field="id_number"):
    """The 18-character resident ID number in upper case; FieldError saying what is wrong."""
    text = str(value or "").strip().replace(" ", "").upper()
    if not ID_RE.match(text):
        raise FieldError(field, "invalid_format", "身份证号应为 18 位：17 位数字加 1 位校验码（数字或 X）",
                         "an ID number has 18 characters: 17 digits and a check character (digit or X)")
    expected = check_digit(text[:17])
    if text[17] != expected:
        raise FieldError(field, "bad_check_digit", "身份证号校验码不符，请核对号码",
                         "the ID number's check character does not match; check the number", expected_length=18)
    month, day = int(text[10:12]), int(text[12:14])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise FieldError(field, "invalid_birth_date", "身份证号中的出生日期无效", "the birth date in the ID number is invalid")
    return text


def normalise_phone(value, field="phone"):
    digits = PHONE_DIGITS.sub("", str(value or ""))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not 7 <= len(digits) <= 12:
        raise FieldError(field, "invalid_phone", "电话号码应为 7–12 位数字", "a phone number has 7-12 digits")
    return digits


def keyed_hash(kind, value):
    if not getattr(settings, "GRIDGOV_PII_KEY", None):
        raise ImproperlyConfigured("GRIDGOV_PII_KEY is not set: the petitioner hashes need their own secret key")
    key = settings.GRIDGOV_PII_KEY.encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def mask_id(number):
    return f"{number[:6]}********{number[-4:]}"


def mask_phone(digits):
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else "*" * len(digits)
