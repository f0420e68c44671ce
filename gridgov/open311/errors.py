from gridgov.core.errors import FieldError


class Open311Error(FieldError):
    """A FieldError answered in the spec's error format; status is the HTTP status (and the error code)."""

    def __init__(self, status, field, code, message_zh, message_en, **extra):
        super().__init__(field, code, message_zh, message_en, **extra)
        self.status = status

    @classmethod
    def from_field_error(cls, exc, status=400):
        return cls(status, exc.field, exc.code, exc.message_zh, exc.message_en, **exc.extra)

    @property
    def description(self):
        prefix = f"{self.field}: " if self.field else ""
        return f"{prefix}{self.message_zh} / {self.message_en}"
