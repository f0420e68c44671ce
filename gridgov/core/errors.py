"""Errors that name the field and the reason, in Chinese and English.

Raised by services (locate, importers, actions) and turned into JSON by gridgov.api_errors.
"""


class FieldError(ValueError):
    status = 400

    def __init__(self, field, code, message_zh, message_en, **extra):
        super().__init__(f"{field}: {message_en}")
        self.field = field
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.extra = extra

    def as_dict(self):
        return {"field": self.field, "code": self.code, "message": self.message_zh,
                "message_en": self.message_en, **self.extra}


class Forbidden(FieldError):
    status = 403


class NotFound(FieldError):
    status = 404


class Conflict(FieldError):
    status = 409
