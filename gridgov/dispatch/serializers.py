"""Output shapes of the dispatch API (times in Asia/Shanghai with their offset) and request documentation."""
from rest_framework import serializers

from gridgov.cases import access as case_access
from gridgov.workcal.limits import TimeLimit

from . import contracts, transitions
from .models import Dispatch, DispatchEvent, Role, State, Suspension, TriageItem, Whistle


def _limit(amount, unit):
    limit = TimeLimit.from_fields(amount, unit)
    return {"amount": limit.amount, "unit": limit.unit.value, "label": str(limit)} if limit else None


class DepartmentRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


class CaseRefSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    urgency = serializers.CharField()
    priority = serializers.IntegerField()
    category = serializers.SerializerMethodField()
    grid_code = serializers.CharField()
    grid_name = serializers.CharField()
    address = serializers.CharField()
    description = serializers.CharField()
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()

    def get_category(self, obj) -> dict | None:
        c = obj.category
        return {"code": c.code, "name": c.name, "warning_colour": c.warning_colour} if c else None

    def to_representation(self, obj):
        data = super().to_representation(obj)
        request = self.context.get("request")
        if not case_access.sees_personal_data(getattr(request, "user", None), obj):
            # phones typed into the text, masked for viewers who do not need them (monitor, grid workers)
            data["address"] = case_access.mask_phones_in_text(data["address"])
            data["description"] = case_access.mask_phones_in_text(data["description"])
        return data

    def get_lon(self, obj) -> float:
        return round(obj.point.x, 7)

    def get_lat(self, obj) -> float:
        return round(obj.point.y, 7)


def _name(user):
    return (user.display_name or user.get_username()) if user else None


class DispatchSerializer(serializers.ModelSerializer):
    case = CaseRefSerializer(read_only=True)
    department = DepartmentRefSerializer(read_only=True)
    role = serializers.CharField(help_text="lead | assist | notified")
    role_label = serializers.CharField(source="get_role_display")
    state = serializers.CharField(help_text=" | ".join(State.values))
    state_label = serializers.CharField(source="get_state_display")
    next_due = serializers.DateTimeField(read_only=True, allow_null=True)
    response_limit = serializers.SerializerMethodField()
    handling_limit = serializers.SerializerMethodField()
    accepted_by = serializers.SerializerMethodField()
    verified_by = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Dispatch
        fields = ["id", "case", "department", "role", "role_label", "state", "state_label", "rule", "rule_version",
                  "legal_basis", "dispatched_at", "accept_due", "feedback_due", "next_due", "response_limit",
                  "handling_limit", "accepted_at", "accepted_by", "started_at", "fed_back_at", "feedback_text",
                  "verified_at", "verified_by", "verify_note", "rework_count", "returned_at", "return_reason",
                  "bounce_count", "rerouted_from", "suspended_from", "closed_at", "version", "allowed_actions"]

    def get_response_limit(self, obj) -> dict | None:
        return _limit(obj.response_limit_amount, obj.response_limit_unit)

    def get_handling_limit(self, obj) -> dict | None:
        return _limit(obj.handling_limit_amount, obj.handling_limit_unit)

    def get_accepted_by(self, obj) -> str | None:
        return _name(obj.accepted_by)

    def get_verified_by(self, obj) -> str | None:
        return _name(obj.verified_by)

    def to_representation(self, obj):
        data = super().to_representation(obj)
        request = self.context.get("request")
        if not case_access.sees_personal_data(getattr(request, "user", None), obj.case):
            # departments' free text may quote the citizen's phone: masked for viewers without need (monitor)
            for name in ("feedback_text", "verify_note", "return_reason"):
                data[name] = case_access.mask_phones_in_text(data[name])
        return data

    def get_allowed_actions(self, obj) -> list[str]:
        return transitions.allowed_actions(obj)


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()

    class Meta:
        model = DispatchEvent
        fields = ["id", "at", "action", "dispatch", "department", "from_state", "to_state", "actor", "note", "data"]

    def get_actor(self, obj) -> str | None:
        return _name(obj.actor)

    def get_department(self, obj) -> str | None:
        return obj.dispatch.department.name if obj.dispatch_id else None


def events_data(events, user, case):
    """Dispatch events; notes with phones typed in masked for viewers who do not see the citizen's contact."""
    data = EventSerializer(events, many=True).data
    if not case_access.sees_personal_data(user, case):
        for entry in data:
            entry["note"] = case_access.mask_phones_in_text(entry["note"])
    return data


class WhistleSerializer(serializers.ModelSerializer):
    level_label = serializers.CharField(source="get_level_display")
    whistled_by = serializers.SerializerMethodField()

    class Meta:
        model = Whistle
        fields = ["level", "level_label", "source", "whistled_by", "whistled_at", "note", "escalated_at", "version"]

    def get_whistled_by(self, obj) -> str | None:
        return _name(obj.whistled_by)


class SuspensionSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="defer (缓办) | hang (挂账)")
    status = serializers.CharField(help_text="pending | approved | rejected | ended")
    requested_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()
    case = serializers.CharField(source="dispatch.case.number")
    department = serializers.CharField(source="dispatch.department.name")

    class Meta:
        model = Suspension
        fields = ["id", "dispatch", "case", "department", "kind", "reason", "status", "requested_by", "requested_at",
                  "decided_by", "decided_at", "decision_note", "resumed_at"]

    def get_requested_by(self, obj) -> str | None:
        return _name(obj.requested_by)

    def get_decided_by(self, obj) -> str | None:
        return _name(obj.decided_by)


class DispatchDetailSerializer(DispatchSerializer):
    events = serializers.SerializerMethodField()
    suspension = serializers.SerializerMethodField()

    class Meta(DispatchSerializer.Meta):
        fields = DispatchSerializer.Meta.fields + ["events", "suspension"]

    def get_events(self, obj) -> list[dict]:
        request = self.context.get("request")
        return events_data(self.context.get("events", []), getattr(request, "user", None), obj.case)

    def get_suspension(self, obj) -> dict | None:
        live = self.context.get("suspension")
        return SuspensionSerializer(live).data if live else None


class TriageSerializer(serializers.ModelSerializer):
    case = CaseRefSerializer(read_only=True)
    reason_label = serializers.CharField(source="get_reason_display")
    returned_by_department = serializers.SerializerMethodField()

    class Meta:
        model = TriageItem
        fields = ["id", "case", "reason", "reason_label", "dispatch", "returned_by_department", "note", "created_at"]

    def get_returned_by_department(self, obj) -> str | None:
        return obj.dispatch.department.name if obj.dispatch_id else None


# --- request bodies: documented from the declarations the actions and api.py read (contracts.py) ---------

VersionRequest = contracts.ACCEPT.serializer
StartRequest = contracts.START.serializer
CloseRequest = contracts.CLOSE.serializer
ResumeRequest = contracts.RESUME.serializer
WhistleRequest = contracts.WHISTLE.serializer
EscalateRequest = contracts.ESCALATE.serializer
FeedbackRequest = contracts.FEEDBACK.serializer
VerifyRequest = contracts.VERIFY.serializer
ReturnRequest = contracts.RETURN.serializer
SuspendRequest = contracts.SUSPEND.serializer
DecideRequest = contracts.DECIDE.serializer
RerouteRequest = contracts.REROUTE.serializer


ROLE_CHOICES = Role.values
