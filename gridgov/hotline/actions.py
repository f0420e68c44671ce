"""Writes for hotline batches. An import commits chunk by chunk (so its progress can be polled and
a huge file does not hold one transaction open); each chunk is all-or-nothing, and re-running the
same file after an interruption skips the tickets already imported.
"""
from pathlib import Path

from django.core.files.base import ContentFile

from gridgov.cases.access import require_edit
from gridgov.core.errors import FieldError
from geodata.datums import DATUMS, UnknownDatum, normalise_datum

from .importer import Importer
from .models import BatchStatus, HotlineBatch


def do_create_batch(actor, name, data, datum="wgs84", dry_run=False, keep_file=True):
    require_edit(actor)
    try:
        datum = normalise_datum(datum)
    except UnknownDatum:
        raise FieldError("datum", "unknown_datum", f"不支持的坐标系：{datum!r}，可选 {', '.join(DATUMS)}",
                         f"unknown datum {datum!r}; one of {', '.join(DATUMS)}")
    if Path(name).suffix.lower() not in (".csv", ".txt", ".xlsx", ".xlsm"):
        raise FieldError("file", "bad_format", "请上传 CSV 或 XLSX 文件", "upload a CSV or XLSX file")
    batch = HotlineBatch(original_name=Path(name).name[:255], datum=datum, dry_run=dry_run, uploaded_by=actor)
    if keep_file:
        batch.source.save(Path(name).name, ContentFile(data), save=False)
    batch.save()
    return batch


def do_run_batch(actor, batch, data=None, progress=None, classify=True):
    """Import the batch's file; returns the batch with its counters. Bad rows go to the error report."""
    require_edit(actor)
    if data is None:
        with batch.source.open("rb") as f:
            data = f.read()
    try:
        return Importer(batch, actor, progress=progress, classify=classify).run(batch.original_name, data)
    except FieldError as exc:
        batch.status, batch.message = BatchStatus.FAILED, f"{exc.message_zh} / {exc.message_en}"
        batch.save(update_fields=["status", "message"])
        raise


def do_import_hotline(actor, name, data, datum="wgs84", dry_run=False, progress=None, keep_file=True):
    batch = do_create_batch(actor, name, data, datum, dry_run, keep_file)
    return do_run_batch(actor, batch, data, progress)
