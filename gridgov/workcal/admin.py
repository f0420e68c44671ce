from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .actions import do_delete_calendar_day, do_set_calendar_day
from .calendar import Source, WorkCalendar, calendar_coverage, library_covers
from .models import CalendarDay

WEEKDAYS = "一二三四五六日"


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "is_workday", "note", "library_says", "updated_at")
    list_filter = ("is_workday",)
    search_fields = ("note",)
    date_hierarchy = "date"
    ordering = ("-date",)

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return "周" + WEEKDAYS[obj.date.weekday()]

    @admin.display(description=_("未调整时"))
    def library_says(self, obj):
        plain = WorkCalendar()  # no overrides: what the library / the weekend rule would say
        if library_covers(obj.date.year):
            return _("工作日（日历库）") if plain.is_workday(obj.date) else _("休息日（日历库）")
        return _("工作日（周一至周五规则）") if plain.is_workday(obj.date) else _("休息日（周末规则）")

    def get_readonly_fields(self, request, obj=None):
        return ("date",) if obj else ()  # a different date is a different row: delete and add

    def save_model(self, request, obj, form, change):
        saved = do_set_calendar_day(obj.date, obj.is_workday, obj.note)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        do_delete_calendar_day(obj.date)

    def delete_queryset(self, request, queryset):
        for day in list(queryset.values_list("date", flat=True)):
            do_delete_calendar_day(day)

    def changelist_view(self, request, extra_context=None):
        this_year = timezone.localdate().year
        for year in (this_year, this_year + 1):
            cov = calendar_coverage(year)
            if cov.source == Source.FALLBACK:
                messages.warning(request, cov.message_zh)
            elif cov.source == Source.ADMIN:
                messages.info(request, cov.message_zh)
        return super().changelist_view(request, extra_context)
