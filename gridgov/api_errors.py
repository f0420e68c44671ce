"""One JSON error shape for the whole API:

    {"errors": [{"field": "lat", "code": "out_of_range", "message": "…中文…", "message_en": "…"}]}
"""
from django.utils import translation
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gridgov.errors import FieldError


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


def exception_handler(exc, context):
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
