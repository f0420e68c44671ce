from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import FieldError

from . import actions
from .models import Department, Membership


def _as_validation_error(err):
    field = err.field if err.field in ("name", "code", "kind", "parent", "contact_phone", "user") else None
    return ValidationError({field: err.message_zh} if field else err.message_zh)


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = "__all__"

    def clean(self):
        data = super().clean()
        try:
            if "name" in data:
                data["name"] = actions.check_name(data["name"])
            if "code" in data:
                data["code"] = actions.check_code(data["code"], self.instance)
            if "kind" in data:
                actions.check_kind(data["kind"])
            if "contact_phone" in data:
                data["contact_phone"] = actions.check_phone(data["contact_phone"])
            actions.check_parent(data.get("parent"), self.instance)
        except FieldError as e:
            raise _as_validation_error(e)
        return data


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "is_lead")

    def clean(self):
        data = super().clean()
        user = data.get("user")
        dept = data.get("department") or self._department()
        if user is not None and dept is not None:
            try:
                actions.check_member(dept, user)
            except FieldError as e:
                raise _as_validation_error(e)
        return data

    def _department(self):
        try:
            return self.instance.department  # set by the inline formset
        except Department.DoesNotExist:
            return None


class MembershipAdminForm(MembershipForm):
    class Meta:
        model = Membership
        fields = ("department", "user", "is_lead")


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    autocomplete_fields = ("user",)
    verbose_name_plural = _("部门人员（用户角色须为部门人员）")


class ChildInline(admin.TabularInline):
    model = Department
    fk_name = "parent"
    fields = ("code", "name", "kind", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("下级单位")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    form = DepartmentForm
    list_display = ("name", "code", "kind", "hierarchy", "jurisdiction_summary", "member_count", "contact_phone",
                    "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code", "jurisdiction__code", "jurisdiction__name")
    autocomplete_fields = ("parent", "jurisdiction")  # grid units can number thousands: search, not a list
    fields = ("name", "code", "kind", "parent", "jurisdiction", "contact_phone", "is_active")
    inlines = [MembershipInline, ChildInline]
    list_per_page = 50

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("parent__parent")
                .prefetch_related("jurisdiction").annotate(n_members=Count("memberships", distinct=True)))

    @admin.display(description=_("隶属"))
    def hierarchy(self, obj):
        chain = [obj.parent, obj.parent.parent if obj.parent else None]
        names = [d.name for d in chain if d is not None]
        return " › ".join(reversed(names)) or "—"

    @admin.display(description=_("管辖范围"))
    def jurisdiction_summary(self, obj):
        units = sorted(obj.jurisdiction.all(), key=lambda u: u.code)
        text = "、".join(u.name for u in units[:3])
        return (text + f" 等 {len(units)} 个") if len(units) > 3 else (text or "—")

    @admin.display(description=_("人数"), ordering="n_members")
    def member_count(self, obj):
        return obj.n_members


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("department", "user", "is_lead", "created_at")
    list_filter = ("is_lead", "department__kind")
    search_fields = ("department__name", "department__code", "user__username", "user__display_name")
    autocomplete_fields = ("department", "user")
    form = MembershipAdminForm
