"""Admin: the routing table is edited here (checked and versioned through rule_actions); dispatches, their
history, triage, suspensions and notifications are shown read-only (they change only through actions)."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import FieldError
from gridgov.security.adminlog import log_admin_import
from gridgov.workcal.limits import TimeLimit

from .csv_io import do_import_rules, export_csv, parse_csv
from .models import (Dispatch, DispatchEvent, Notification, RoutingRule, RoutingRuleVersion, Suspension, TriageItem,
                     Whistle)
from .rule_actions import RuleInput, check_rule, do_deactivate_rule, do_save_rule

FORM_FIELDS = ("category", "area", "lead", "assists", "notified", "legal_basis", "response_limit_amount",
               "response_limit_unit", "handling_limit_amount", "handling_limit_unit", "note", "is_active")


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = FORM_FIELDS

    def _limit(self, data, prefix):
        amount, unit = data.get(f"{prefix}_limit_amount"), data.get(f"{prefix}_limit_unit")
        if amount is None and not unit:
            return None
        try:
            return TimeLimit(amount, unit)
        except FieldError as exc:
            raise ValidationError({f"{prefix}_limit_amount": exc.message_zh})

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        inp = RuleInput(category=data["category"], area=data["area"], lead=data["lead"],
                        assists=list(data.get("assists") or []), notified=list(data.get("notified") or []),
                        legal_basis=data.get("legal_basis", ""), note=data.get("note", ""),
                        is_active=data.get("is_active", True), response_limit=self._limit(data, "response"),
                        handling_limit=self._limit(data, "handling"))
        try:
            self.rule_input = check_rule(inp, self.instance if self.instance.pk else None)
        except FieldError as exc:
            field = exc.field if exc.field in FORM_FIELDS else None
            raise ValidationError({field: exc.message_zh} if field else exc.message_zh)
        return data


class VersionInline(admin.TabularInline):
    model = RoutingRuleVersion
    fields = ("version", "change", "at", "actor", "snapshot")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-version",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ("category", "area_code", "area", "lead", "assist_names", "legal_basis_short", "response",
                    "handling", "is_active", "version", "updated_at")
    list_filter = ("is_active", "lead__kind", "category__parent")
    search_fields = ("category__code", "category__name", "area_code", "area__name", "lead__name", "lead__code",
                     "legal_basis")
    list_select_related = ("category", "area", "lead")
    autocomplete_fields = ("area",)
    raw_id_fields = ("category",)
    filter_horizontal = ("assists", "notified")
    readonly_fields = ("area_code", "version", "updated_by", "created_at", "updated_at")
    inlines = [VersionInline]
    actions = ["deactivate_selected", "export_selected"]
    change_list_template = "admin/dispatch/routingrule/change_list.html"

    @admin.display(description=_("协办单位"))
    def assist_names(self, obj):
        return "、".join(d.name for d in obj.assists.all()) or "—"

    @admin.display(description=_("法律依据"))
    def legal_basis_short(self, obj):
        return (obj.legal_basis[:30] + "…") if len(obj.legal_basis) > 30 else (obj.legal_basis or "—")

    @admin.display(description=_("签收时限"))
    def response(self, obj):
        limit = TimeLimit.from_fields(obj.response_limit_amount, obj.response_limit_unit)
        return str(limit) if limit else _("按分类")

    @admin.display(description=_("办结时限"))
    def handling(self, obj):
        limit = TimeLimit.from_fields(obj.handling_limit_amount, obj.handling_limit_unit)
        return str(limit) if limit else _("按分类")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("assists")

    def save_model(self, request, obj, form, change):
        pass  # written in save_related, together with its departments and its version row

    def save_related(self, request, form, formsets, change):
        do_save_rule(request.user, form.rule_input, rule=form.instance)
        for formset in formsets:  # the read-only version inline: saves nothing, but the admin expects it run
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None):
        return False  # dispatches keep the rule that produced them: deactivate instead

    @admin.action(description=_("停用所选规则"))
    def deactivate_selected(self, request, queryset):
        count = 0
        for rule in queryset.filter(is_active=True):
            do_deactivate_rule(request.user, rule)
            count += 1
        messages.success(request, _("已停用 %(n)s 条规则") % {"n": count})

    @admin.action(description=_("导出所选规则为 CSV"))
    def export_selected(self, request, queryset):
        return _csv_response(export_csv(queryset))

    def get_urls(self):
        return [path("import-csv/", self.admin_site.admin_view(self.import_view), name="dispatch_routingrule_import"),
                path("export-csv/", self.admin_site.admin_view(self.export_view), name="dispatch_routingrule_export"),
                ] + super().get_urls()

    def export_view(self, request):
        return _csv_response(export_csv())

    def import_view(self, request):
        if not self.has_change_permission(request):
            return redirect("admin:dispatch_routingrule_changelist")
        if request.method == "POST" and request.FILES.get("file"):
            try:
                summary = do_import_rules(parse_csv(request.FILES["file"].read()), actor=request.user)
            except FieldError as exc:
                messages.error(request, exc.message_zh)
            else:
                log_admin_import(request, RoutingRule, request.FILES["file"].name, summary)
                messages.success(request, _("导入完成：新增 %(created)s，更新 %(changed)s，未变 %(unchanged)s") % summary)
                return redirect("admin:dispatch_routingrule_changelist")
        return render(request, "admin/dispatch/routingrule/import.html",
                      {**self.admin_site.each_context(request), "opts": self.model._meta,
                       "title": _("导入派遣规则 CSV")})


def _csv_response(text):
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="routing.csv"'
    return response


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only actions write: viewable, never edited or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = DispatchEvent
    fields = ("at", "action", "from_state", "to_state", "actor", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("at", "id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Dispatch)
class DispatchAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "department", "role", "state", "dispatched_at", "accept_due", "feedback_due",
                    "bounce_count", "rework_count")
    list_filter = ("state", "role", "department__kind")
    search_fields = ("case__number", "department__name", "department__code")
    list_select_related = ("case", "department")
    date_hierarchy = "dispatched_at"
    inlines = [EventInline]


@admin.register(DispatchEvent)
class DispatchEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "case", "dispatch", "action", "from_state", "to_state", "actor")
    list_filter = ("action",)
    search_fields = ("case__number",)
    list_select_related = ("case", "actor")


@admin.register(Whistle)
class WhistleAdmin(ReadOnlyAdmin):
    list_display = ("case", "level", "source", "whistled_by", "whistled_at", "escalated_at")
    list_filter = ("level", "source")
    search_fields = ("case__number",)


@admin.register(TriageItem)
class TriageItemAdmin(ReadOnlyAdmin):
    list_display = ("case", "reason", "created_at", "resolved_at", "resolved_by")
    list_filter = ("reason", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("case__number",)


@admin.register(Suspension)
class SuspensionAdmin(ReadOnlyAdmin):
    list_display = ("dispatch", "kind", "status", "requested_by", "requested_at", "decided_by", "decided_at")
    list_filter = ("kind", "status")


@admin.register(RoutingRuleVersion)
class RoutingRuleVersionAdmin(ReadOnlyAdmin):
    list_display = ("rule", "version", "change", "at", "actor")
    list_filter = ("change",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("recipient", "kind", "case", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("recipient__username", "case__number")
