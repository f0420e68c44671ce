"""Output shapes of the case API, with citizens' personal data masked by role (access.sees_personal_data).

Input is parsed by gridgov.cases.inputs (bilingual field errors); CaseCreateRequestSerializer only
documents it in the OpenAPI schema.
"""
from django.urls import reverse
from rest_framework import serializers

from . import access
from .inputs import CASE_CREATE, CASE_UPDATE
from .models import Case, CasePhoto, Category
from .photos import FLAG_LABELS

PERSONAL_FIELDS = ("contact_name", "contact_phone")
FREE_TEXT_FIELDS = ("description", "address", "resolution_note")  # phones typed in them are masked too


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


def mask_value(name, value):
    if name == "contact_name":
        return access.mask_name(value)
    if name == "contact_phone":
        return access.mask_phone(value)
    if name in FREE_TEXT_FIELDS:
        return access.mask_phones_in_text(value)
    return value


class CategoryRefSerializer(serializers.ModelSerializer):
    group = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["code", "name", "group"]

    def get_group(self, obj) -> dict | None:
        return {"code": obj.parent.code, "name": obj.parent.name} if obj.parent_id else None


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.code", default=None, read_only=True)
    parent_name = serializers.CharField(source="parent.name", default=None, read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    default_urgency_label = serializers.CharField(source="get_default_urgency_display", read_only=True)
    warning_colour_label = serializers.CharField(source="get_warning_colour_display", read_only=True)
    # Plain strings (values listed) so the OpenAPI schema has one enum per choice set.
    default_urgency = serializers.CharField(read_only=True, help_text="normal | urgent | emergency")
    response_limit_unit = serializers.CharField(read_only=True, help_text="minutes | hours | work_hours | work_days")
    handling_limit_unit = serializers.CharField(read_only=True, help_text="minutes | hours | work_hours | work_days")

    class Meta:
        model = Category
        fields = ["code", "name", "level", "parent", "parent_name", "kind", "kind_label", "default_urgency",
                  "default_urgency_label", "response_limit", "response_limit_unit", "handling_limit",
                  "handling_limit_unit", "warning_colour", "warning_colour_label", "duplicate_radius_m",
                  "duplicate_window_hours", "keywords", "is_active"]


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    original_url = serializers.SerializerMethodField()
    exif_point = serializers.SerializerMethodField()

    class Meta:
        model = CasePhoto
        fields = ["id", "kind", "url", "thumbnail_url", "original_url", "width", "height", "exif_point",
                  "exif_taken_at", "distance_m", "time_offset_s"]

    def get_url(self, obj) -> str:
        return obj.image.url

    def get_thumbnail_url(self, obj) -> str:
        return obj.thumbnail.url

    def get_original_url(self, obj) -> str | None:
        user = _user(self.context)
        if user is None or not access.can_see_original_photo(user, obj.case):
            return None
        return reverse("case-photo-original", args=[obj.case.number, obj.pk])

    def get_exif_point(self, obj) -> list | None:
        return [round(obj.exif_point.x, 7), round(obj.exif_point.y, 7)] if obj.exif_point else None


class CaseSerializer(serializers.ModelSerializer):
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()
    category = CategoryRefSerializer(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    urgency_label = serializers.CharField(source="get_urgency_display", read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    reporter = serializers.SerializerMethodField()
    follow_up_of = serializers.SlugRelatedField(slug_field="number", read_only=True)
    flags = serializers.SerializerMethodField()
    photos = PhotoSerializer(many=True, read_only=True)
    personal_data_masked = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["number", "client_uuid", "lon", "lat", "input_datum", "input_lon", "input_lat", "gps_accuracy_m",
                  "address", "grid_code", "grid_name", "ancestors", "category", "description", "urgency",
                  "urgency_label", "priority", "channel", "channel_label", "reporter", "contact_name",
                  "contact_phone", "personal_data_masked", "status", "status_label", "resolved_on_spot",
                  "resolution_note", "closed_at", "follow_up_of", "repeat_count", "flags", "occurred_at",
                  "reported_at", "received_at", "photos"]

    def get_lon(self, obj) -> float:
        return round(obj.point.x, 7)

    def get_lat(self, obj) -> float:
        return round(obj.point.y, 7)

    def get_reporter(self, obj) -> dict:
        return {"username": obj.reporter.username, "name": str(obj.reporter)}

    def get_flags(self, obj) -> list:
        out = []
        for flag in obj.flags or []:
            zh, en = FLAG_LABELS.get(flag.get("code"), (flag.get("code"), flag.get("code")))
            out.append({**flag, "message": zh, "message_en": en})
        return out

    def get_personal_data_masked(self, obj) -> bool:
        return not access.sees_personal_data(_user(self.context), obj)

    def to_representation(self, obj):
        # Hand-written for speed (the declared fields above document it in the OpenAPI schema; a
        # test checks both list the same keys): building a ModelSerializer's fields on every
        # request cost more than the whole insert.
        user = _user(self.context)
        masked = not access.sees_personal_data(user, obj)
        category = obj.category
        data = {
            "number": obj.number, "client_uuid": str(obj.client_uuid),
            "lon": round(obj.point.x, 7), "lat": round(obj.point.y, 7), "input_datum": obj.input_datum,
            "input_lon": obj.input_lon, "input_lat": obj.input_lat, "gps_accuracy_m": obj.gps_accuracy_m,
            "address": access.mask_phones_in_text(obj.address) if masked else obj.address,
            "grid_code": obj.grid_code, "grid_name": obj.grid_name,
            "ancestors": obj.ancestors,
            "category": None if category is None else {
                "code": category.code, "name": category.name,
                "group": {"code": category.parent.code, "name": category.parent.name} if category.parent_id else None},
            "description": access.mask_phones_in_text(obj.description) if masked else obj.description,
            "urgency": obj.urgency, "urgency_label": str(obj.get_urgency_display()),
            "priority": obj.priority, "channel": obj.channel, "channel_label": str(obj.get_channel_display()),
            "reporter": self.get_reporter(obj),
            "contact_name": mask_value("contact_name", obj.contact_name) if masked else obj.contact_name,
            "contact_phone": mask_value("contact_phone", obj.contact_phone) if masked else obj.contact_phone,
            "personal_data_masked": masked, "status": obj.status, "status_label": str(obj.get_status_display()),
            "resolved_on_spot": obj.resolved_on_spot,
            "resolution_note": access.mask_phones_in_text(obj.resolution_note) if masked else obj.resolution_note,
            "closed_at": _dt(obj.closed_at),
            "follow_up_of": obj.follow_up_of.number if obj.follow_up_of_id else None,
            "repeat_count": obj.repeat_count, "flags": self.get_flags(obj),
            "occurred_at": _dt(obj.occurred_at), "reported_at": _dt(obj.reported_at),
            "received_at": _dt(obj.received_at),
            "photos": [photo_data(p, obj, user) for p in obj.photos.all()] if access.can_see_photos(user) else [],
        }
        return data


_DATETIME = serializers.DateTimeField()


def _dt(value):
    return None if value is None else _DATETIME.to_representation(value)


def photo_data(photo, case, user):
    """PhotoSerializer's shape, without building serializer fields per photo."""
    return {"id": photo.pk, "kind": photo.kind, "url": photo.image.url, "thumbnail_url": photo.thumbnail.url,
            "original_url": (reverse("case-photo-original", args=[case.number, photo.pk])
                             if user is not None and access.can_see_original_photo(user, case) else None),
            "width": photo.width, "height": photo.height,
            "exif_point": [round(photo.exif_point.x, 7), round(photo.exif_point.y, 7)] if photo.exif_point else None,
            "exif_taken_at": _dt(photo.exif_taken_at), "distance_m": photo.distance_m,
            "time_offset_s": photo.time_offset_s}


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    actor = serializers.CharField(source="actor_label")
    action = serializers.CharField()
    before = serializers.JSONField()
    after = serializers.JSONField()


HIDDEN_IN_HISTORY = {"id", "client_uuid"}
# A photo's stored file name is its (unguessable) address under MEDIA_URL: not for viewers without photos.
PHOTO_KEYS_IN_HISTORY = {"image", "thumbnail", "original", "exif_point", "sha256"}


def history_data(events, masked, photos=True):
    out = []
    hidden = HIDDEN_IN_HISTORY if photos else HIDDEN_IN_HISTORY | PHOTO_KEYS_IN_HISTORY
    for e in events:
        entry = HistoryEntrySerializer(e).data
        for side in ("before", "after"):
            values = entry[side]
            if isinstance(values, dict):
                values = {k: v for k, v in values.items() if k not in hidden}
                if masked:
                    values = {k: mask_value(k, v) if isinstance(v, str) else v for k, v in values.items()}
                entry[side] = values
        out.append(entry)
    return out


class CaseDetailSerializer(CaseSerializer):
    follow_ups = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = CaseSerializer.Meta.fields + ["follow_ups", "history"]

    def to_representation(self, obj):
        data = super().to_representation(obj)
        data["follow_ups"] = self.get_follow_ups(obj)
        data["history"] = self.get_history(obj)
        return data

    def get_follow_ups(self, obj) -> list:
        return [{"number": n, "received_at": _dt(t)}
                for n, t in obj.follow_ups.order_by("received_at").values_list("number", "received_at")]

    def get_history(self, obj) -> list:
        from .selectors import case_history

        user = _user(self.context)
        return history_data(case_history(obj), not access.sees_personal_data(user, obj), access.can_see_photos(user))


class CandidateSerializer(serializers.Serializer):
    """A possible duplicate: no personal data, whoever asks."""

    number = serializers.CharField(source="case.number")
    distance_m = serializers.FloatField()
    category = CategoryRefSerializer(source="case.category")
    description = serializers.SerializerMethodField()
    status = serializers.CharField(source="case.status")
    grid_name = serializers.CharField(source="case.grid_name")
    received_at = serializers.DateTimeField(source="case.received_at")
    repeat_count = serializers.IntegerField(source="case.repeat_count")
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    def get_lon(self, obj) -> float:
        return round(obj.case.point.x, 7)

    def get_lat(self, obj) -> float:
        return round(obj.case.point.y, 7)

    def get_description(self, obj) -> str:
        # Another grid's case: no free text. In scope: phones typed into it masked (no personal data here).
        return access.mask_phones_in_text(obj.case.description) if obj.in_scope else ""

    def get_thumbnail_url(self, obj) -> str | None:
        if not obj.in_scope:
            return None
        photo = next(iter(obj.case.photos.all()), None)
        return photo.thumbnail.url if photo else None


# Request bodies: documented from the declarations the parsers read (gridgov.cases.inputs, gridgov.contracts).
# The create request is JSON or multipart/form-data (photos only in multipart).
CaseCreateRequestSerializer = CASE_CREATE.serializer
CaseUpdateRequestSerializer = CASE_UPDATE.serializer
