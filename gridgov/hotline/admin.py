"""Admin: upload a 12345 ticket file, watch its progress, download the error report."""
from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from geodata.datums import DATUM_LABELS
from gridgov.core.errors import FieldError
from gridgov.security.adminlog import log_admin_import

from .actions import do_create_batch, do_run_batch
from .models import BatchStatus, HotlineBatch, HotlineTicket


class UploadForm(forms.Form):
    file = forms.FileField(label=_("工单文件（CSV 或 XLSX）"))
    datum = forms.ChoiceField(label=_("坐标系（文件无“坐标系”列时）"), choices=list(DATUM_LABELS.items()))
    dry_run = forms.BooleanField(label=_("试运行：只检查，不写入"), required=False)


def _run_in_background(user, batch_pk):
    """The import runs in the procrastinate worker once the batch row is committed; the page polls it."""
    from .tasks import run_batch

    transaction.on_commit(lambda: run_batch.defer(batch_id=batch_pk, user_id=user.pk))


@admin.register(HotlineBatch)
class HotlineBatchAdmin(admin.ModelAdmin):
    list_display = ("original_name", "status", "progress", "created_count", "skipped_count", "error_count",
                    "unconfirmed_count", "uploaded_by", "created_at")
    list_filter = ("status", "dry_run")
    readonly_fields = [f.name for f in HotlineBatch._meta.fields] + ["progress", "report_link"]
    change_form_template = "admin/hotline/hotlinebatch/change_form.html"

    @admin.display(description=_("进度"))
    def progress(self, obj):
        return f"{obj.processed_rows}/{obj.total_rows} ({obj.percent}%)"

    @admin.display(description=_("错误报告"))
    def report_link(self, obj):
        if not obj.error_report:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:hotline_batch_errors", args=[obj.pk]),
                           _("下载错误行（CSV）"))

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:hotline_batch_upload")

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="hotline_batch_upload"),
            path("<int:pk>/status/", self.admin_site.admin_view(self.status_view), name="hotline_batch_status"),
            path("<int:pk>/errors/", self.admin_site.admin_view(self.errors_view), name="hotline_batch_errors"),
        ] + super().get_urls()

    def upload_view(self, request):
        if not self.has_view_permission(request):
            raise Http404
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            f = form.cleaned_data["file"]
            try:
                batch = do_create_batch(request.user, f.name, f.read(), form.cleaned_data["datum"],
                                        form.cleaned_data["dry_run"])
            except FieldError as exc:
                messages.error(request, exc.message_zh)
            else:
                log_admin_import(request, HotlineBatch, f.name, {"dry_run": form.cleaned_data["dry_run"]}, obj=batch)
                _run_in_background(request.user, batch.pk)
                messages.success(request, _("已开始导入，页面会自动刷新进度"))
                return redirect("admin:hotline_hotlinebatch_change", batch.pk)
        context = {**self.admin_site.each_context(request), "form": form, "title": _("导入 12345 热线工单"),
                   "opts": self.model._meta}
        return render(request, "admin/hotline/upload.html", context)

    def status_view(self, request, pk):
        b = get_object_or_404(HotlineBatch, pk=pk)
        return JsonResponse({"status": b.status, "status_display": b.get_status_display(), "total": b.total_rows,
                             "processed": b.processed_rows, "percent": b.percent, "created": b.created_count,
                             "skipped": b.skipped_count, "errors": b.error_count,
                             "unconfirmed": b.unconfirmed_count, "message": b.message})

    def errors_view(self, request, pk):
        b = get_object_or_404(HotlineBatch, pk=pk)
        if not b.error_report:
            raise Http404
        return FileResponse(b.error_report.open("rb"), as_attachment=True, filename=f"hotline-{b.pk}-errors.csv",
                            content_type="text/csv; charset=utf-8")


@admin.register(HotlineTicket)
class HotlineTicketAdmin(admin.ModelAdmin):
    list_display = ("ticket_no", "case", "batch", "located_by")
    search_fields = ("ticket_no", "case__number")
    raw_id_fields = ("case", "batch")

    def has_change_permission(self, request, obj=None):
        return False
