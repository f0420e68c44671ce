"""Request contracts: each endpoint's request body declared once, read by its parser and by the OpenAPI schema.

    CASE_CREATE = Contract("CaseCreateRequest", Text("description", "问题描述", max_length=2000), ...)

A parser takes its limits from the declared fields (CASE_CREATE["description"].max_length,
CASE_CREATE["photos"].max_count()); `contract.serializer` is the drf-spectacular documentation
serializer built from the same fields, field by field, when the schema is generated — so a limit read from
settings (the photo count) is documented as it is enforced. tests/test_request_contracts.py compares the
generated schema with the parsers' limits.
"""
from dataclasses import KW_ONLY, dataclass

from rest_framework import serializers


@dataclass(frozen=True)
class Field:
    name: str
    zh: str = ""
    _: KW_ONLY
    required: bool = False
    help: str = ""

    def _common(self):
        kw = {"required": self.required}
        if self.help:
            kw["help_text"] = self.help
        return kw

    def schema_field(self):
        raise NotImplementedError


@dataclass(frozen=True)
class Text(Field):
    max_length: int | None = None
    min_length: int | None = None
    pattern: object = None  # a compiled regex the value must match (when not blank)
    blank: bool = True  # False: when given, it may not be blank (e.g. a PATCH's category)

    def schema_field(self):
        kw = {**self._common(), "allow_blank": self.blank and not self.required}
        if self.max_length is not None:
            kw["max_length"] = self.max_length
        if self.min_length and self.required:  # an optional text is checked for length only when required
            kw["min_length"] = self.min_length
        if self.pattern is not None:
            return serializers.RegexField(self.pattern, **kw)
        return serializers.CharField(**kw)


@dataclass(frozen=True)
class Choice(Field):
    choices: tuple = ()  # (value, label) pairs or values
    default: str | None = None

    @property
    def values(self):
        return [c[0] if isinstance(c, (tuple, list)) else c for c in self.choices]

    def schema_field(self):
        kw = self._common()
        if self.default is not None:
            kw = {**kw, "default": self.default, "required": False}
        return serializers.ChoiceField(list(self.choices), **kw)


@dataclass(frozen=True)
class Number(Field):
    minimum: float | None = None
    maximum: float | None = None

    def schema_field(self):
        return serializers.FloatField(min_value=self.minimum, max_value=self.maximum, **self._common())


@dataclass(frozen=True)
class Integer(Field):
    def schema_field(self):
        return serializers.IntegerField(**self._common())


@dataclass(frozen=True)
class Boolean(Field):
    default: bool | None = None

    def schema_field(self):
        kw = self._common()
        if self.default is not None:
            kw = {**kw, "default": self.default, "required": False}
        return serializers.BooleanField(**kw)


@dataclass(frozen=True)
class Moment(Field):
    def schema_field(self):
        return serializers.DateTimeField(**self._common())


@dataclass(frozen=True)
class Uuid(Field):
    def schema_field(self):
        return serializers.UUIDField(**self._common())


@dataclass(frozen=True)
class Files(Field):
    """Uploaded files (multipart); at most max_count() of them (a callable: the limit may be a setting)."""
    limit: object = None  # callable → int, or None (no limit)
    image: bool = True

    def max_count(self):
        return self.limit() if self.limit is not None else None

    def schema_field(self):
        child = serializers.ImageField() if self.image else serializers.FileField()
        kw = self._common()
        if self.limit is not None:
            kw["max_length"] = self.max_count()
        return serializers.ListField(child=child, **kw)


@dataclass(frozen=True)
class Codes(Field):
    """A list of codes (JSON list, repeated form field, or one "a;b" string)."""

    def schema_field(self):
        return serializers.ListField(child=serializers.CharField(), **self._common())


class Contract:
    def __init__(self, name, *fields):
        self.name = name
        self.fields = list(fields)
        self._by_name = {f.name: f for f in self.fields}
        contract = self

        class _Documented(serializers.Serializer):
            def get_fields(self):  # per schema generation: limits read from settings are current
                return {f.name: f.schema_field() for f in contract.fields}

        _Documented.__name__ = _Documented.__qualname__ = name  # the schema component's name
        _Documented.__doc__ = f"Request body of {name} (gridgov.contracts: the parser's declaration)."
        self.serializer = _Documented

    def __getitem__(self, name):
        return self._by_name[name]

    def extend(self, name, *fields):
        return Contract(name, *self.fields, *fields)
