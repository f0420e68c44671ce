"""One JSON error shape for the whole API:

    {"errors": [{"field": "lat", "code": "out_of_range", "message": "…中文…", "message_en": "…"}]}
"""
from django.utils import translation
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gridgov.core.errors import FieldError


def _flatten(detail, field=None):
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if field is None else f"{field}.{key}"
            yield from _flatten(value, None if key == "non_field_errors" else name)
    elif isinstance(detail, list):
        for item in detail:
            yield from _flatten(item, field)
    else:
        message = str(detail)
        with translation.override("en"):
            # DRF's messages are lazily translated; the English text is its source message.
            message_en = str(getattr(detail, "_en", None) or message)
        yield {"field": field, "code": getattr(detail, "code", "invalid"), "message": message,
               "message_en": message_en}


def _find_nul(value, name=None):
    """The name of the first parameter whose key or text holds a NUL character, or None."""
    if isinstance(value, dict) or hasattr(value, "lists"):
        items = value.lists() if hasattr(value, "lists") else value.items()
        for key, item in items:
            field = str(key) if name is None else f"{name}.{key}"
            if "\x00" in str(key):
                return field
            found = _find_nul(item, field)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for item in value:
            found = _find_nul(item, name)
            if found:
                return found
    elif isinstance(value, str) and "\x00" in value:
        return name or "?"
    return None


def _nul_character_error(exc, context):
    """PostgreSQL cannot store NUL (0x00) in text: a 400 naming the parameter instead of a 500. The
    failed statement rolled its transaction (every do_* action is atomic) back: nothing is written."""
    from django.db import DataError

    if not isinstance(exc, DataError) or "0x00" not in str(exc):
        return None
    request = context.get("request")
    field = _find_nul(dict(context.get("kwargs") or {}))
    for source in ("query_params", "data"):
        if field is None and request is not None:
            try:
                field = _find_nul(getattr(request, source))
            except Exception:  # the body could not be parsed: the path and query were checked already
                pass
    return FieldError(field, "nul_character", f"{field or '请求'} 含有不允许的空字符（\\x00）",
                      f"{field or 'the request'} contains a NUL character (\\x00), which cannot be stored")


def exception_handler(exc, context):
    exc = _nul_character_error(exc, context) or exc
    if isinstance(exc, FieldError):
        return Response({"errors": [exc.as_dict()]}, status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": list(_flatten(exc.detail))}
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        zh = str(detail)
        with translation.override("en"):
            en = str(exc.__class__.default_detail)
        response.data = {"errors": [{"field": None, "code": getattr(detail, "code", exc.default_code),
                                     "message": zh, "message_en": en}]}
    if response.status_code == status.HTTP_409_CONFLICT:
        response.data.setdefault("errors", [])
    return response
