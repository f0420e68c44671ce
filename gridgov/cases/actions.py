"""Every write to cases, their photos and categories.

Each do_* runs in one transaction and names its actor for the audit trail (database triggers read
the transaction-local settings set by audit_context). A case and its photos are stored all or
nothing; files written for a transaction that does not commit are removed.
"""
import secrets
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from gridgov.core.audit import audit_context
from gridgov.core.errors import Conflict, FieldError
from gridgov.grids.locate import PointOutsideGrids, locate

from . import conf
from .access import require_edit, require_report
from .inputs import CASE_CREATE, CaseInput
from .models import (OPEN_STATUSES, URGENCY_RANK, Case, CasePhoto, Category, CategoryLevel, PhotoKind,
                     Status, Urgency)
from .photos import compare_with_report, process_upload
from .selectors import category_by_code


def priority_for(urgency, repeat_count):
    return URGENCY_RANK[Urgency(urgency)] + repeat_count


@dataclass
class Created:
    case: Case
    created: bool  # False: an earlier request with the same client_uuid made it (idempotent retry)


def _existing_for_retry(actor, client_uuid):
    """The case an earlier request with this UUID made (deferred: id, number, reporter), or None."""
    with connection.cursor() as cur:  # every report asks this: one plain indexed lookup
        cur.execute("SELECT id, number, reporter_id FROM cases_case WHERE client_uuid = %s", [client_uuid])
        row = cur.fetchone()
    if row is None:
        return None
    if row[2] != actor.pk:
        raise Conflict("client_uuid", "uuid_in_use", "该 client_uuid 已被其他用户的案卷使用，请重新生成",
                       "this client_uuid belongs to another user's case; generate a new one")
    return Case(id=row[0], number=row[1], reporter_id=row[2])


def _category_for_report(code):
    category = category_by_code(code)
    if category is None:
        raise FieldError("category", "unknown_category", f"分类 {code} 不存在", f"category {code} does not exist")
    if not category.is_active:
        raise FieldError("category", "inactive_category", f"分类 {category.name}（{code}）已停用",
                         f"category {code} is no longer in use")
    if category.level != CategoryLevel.ITEM:
        raise FieldError("category", "not_a_subcategory", f"{category.name}（{code}）是大类，请选择其下的小类",
                         f"{code} is a group; choose one of its subcategories")
    return category


def _root_case_for_follow_up(number):
    root = Case.objects.filter(number=number.upper()).first()
    if root is None:
        raise FieldError("follow_up_of", "not_found", f"原案卷 {number} 不存在", f"case {number} does not exist")
    while root.follow_up_of_id:  # follow-ups of follow-ups count on the first report
        root = root.follow_up_of
    if root.status not in OPEN_STATUSES:
        raise FieldError("follow_up_of", "case_closed", f"原案卷 {root.number} 已{root.get_status_display()}，请作为新问题上报",
                         f"case {root.number} is {root.status}; report this as a new case")
    return root


def _check_photos(inp, channel):
    limit = CASE_CREATE["photos"].max_count()  # the documented maxItems (gridgov.contracts)
    if len(inp.photos) > limit:
        raise FieldError("photos", "too_many", f"现场照片最多 {limit} 张（收到 {len(inp.photos)} 张）",
                         f"at most {limit} photos (got {len(inp.photos)})")
    after_limit = CASE_CREATE["after_photos"].max_count()
    if len(inp.after_photos) > after_limit:
        raise FieldError("after_photos", "too_many", f"处置后照片最多 {after_limit} 张", f"at most {after_limit} after-photos")
    if not inp.photos and channel in conf.photo_required_channels():
        raise FieldError("photos", "required", "请至少拍摄一张现场照片", "at least one photo is required")
    if inp.resolved_on_spot:
        if not inp.resolution_note:
            raise FieldError("resolution_note", "required", "就地解决须填写处置说明",
                             "a note is required when the case is handled on the spot")
        if not inp.after_photos:
            raise FieldError("after_photos", "required", "就地解决须上传处置后照片",
                             "an after-photo is required when the case is handled on the spot")
    elif inp.after_photos:
        raise FieldError("after_photos", "not_resolved", "只有就地解决的案卷才能上传处置后照片",
                         "after-photos are only for cases handled on the spot")


def _located(inp):
    try:
        return locate(inp.lon, inp.lat, inp.datum)
    except PointOutsideGrids as exc:  # for a report that is a bad input (400), not a missing resource
        raise FieldError(exc.field, exc.code, exc.message_zh, exc.message_en, **exc.extra)


def save_case_photo(case, kind, processed, written):
    """Store one processed photo (display, thumbnail, private original) and its CasePhoto row.

    Every file written is appended to `written`, so the caller can remove them if its transaction fails.
    """
    p = processed
    photo = CasePhoto(
        case=case, kind=kind, original_name=p.original_name, original_format=p.original_format,
        original_size=len(p.original), sha256=p.sha256, width=p.width, height=p.height,
        exif_point=f"SRID=4326;POINT({p.exif_lonlat[0]} {p.exif_lonlat[1]})" if p.exif_lonlat else None,
        exif_taken_at=p.exif_taken_at, distance_m=p.distance_m, time_offset_s=p.time_offset_s)
    stamp = timezone.now().strftime("%Y/%m")
    token = secrets.token_urlsafe(16)
    photo.image.save(f"{stamp}/{token}.jpg", ContentFile(p.display), save=False)
    written.append(photo.image)
    photo.thumbnail.save(f"{stamp}/{token}.jpg", ContentFile(p.thumbnail), save=False)
    written.append(photo.thumbnail)
    photo.original.save(f"{stamp}/{token}.{p.original_format}", ContentFile(p.original), save=False)
    written.append(photo.original)
    photo.save()
    return photo


def _remove_files(written):
    for f in written:
        try:
            f.storage.delete(f.name)
        except OSError:
            pass


def do_create_case(actor, inp: CaseInput):
    """Create a case from a validated CaseInput; returns Created(case, created).

    Idempotent on inp.client_uuid: a retry (even a concurrent one) returns the case the first
    request made. Committed before it returns.
    """
    require_report(actor)
    existing = _existing_for_retry(actor, inp.client_uuid)
    if existing is not None:
        return Created(existing, False)

    if inp.follow_up_of and inp.resolved_on_spot:
        # A follow-up is merged into an open case that stays open; "handled on the spot" closes a
        # case. Both at once would mean closing someone else's case from a repeat report.
        raise FieldError("resolved_on_spot", "follow_up_cannot_close",
                         "重复上报（同一问题）不能同时标记为就地解决：请作为新案卷就地解决，或只确认为同一问题",
                         "a follow-up of an open case cannot also be handled on the spot: report it as a new "
                         "case handled on the spot, or only confirm it as the same problem")
    located = _located(inp)
    category = _category_for_report(inp.category)
    root = _root_case_for_follow_up(inp.follow_up_of) if inp.follow_up_of else None
    _check_photos(inp, inp.channel)
    # Decode and re-encode every photo before anything is written: a bad one refuses the report.
    reference_time = inp.occurred_at or inp.reported_at
    report = [process_upload(f, "photos", i) for i, f in enumerate(inp.photos)]
    after = [process_upload(f, "after_photos", i) for i, f in enumerate(inp.after_photos)]
    flags = []
    for p in report:
        flags += compare_with_report(p, located.lon, located.lat, reference_time)
    for p in after:  # after-photos are taken at the report, when handled on the spot
        flags += compare_with_report(p, located.lon, located.lat, inp.reported_at)

    now = timezone.now()
    urgency = inp.urgency or category.default_urgency
    case = Case(
        client_uuid=inp.client_uuid, point=f"SRID=4326;POINT({located.lon} {located.lat})",
        input_datum=inp.datum.lower(), input_lon=float(inp.lon), input_lat=float(inp.lat),
        gps_accuracy_m=inp.gps_accuracy_m, address=inp.address,
        grid_id=located.grid_id, grid_code=located.unit.code, grid_name=located.unit.name,
        ancestors=[{"code": a.code, "name": a.name, "level": a.level} for a in located.ancestors],
        category=category, description=inp.description, urgency=urgency, priority=priority_for(urgency, 0),
        channel=inp.channel, reporter=actor, contact_name=inp.contact_name, contact_phone=inp.contact_phone,
        occurred_at=inp.occurred_at, reported_at=inp.reported_at, received_at=now, flags=flags,
    )
    if inp.resolved_on_spot:
        case.status, case.resolved_on_spot, case.closed_at = Status.CLOSED, True, now
        case.resolution_note = inp.resolution_note
    if root is not None:
        case.status, case.follow_up_of = Status.MERGED, root

    written, stored = [], []
    try:
        with transaction.atomic(), audit_context(actor, "do_create_case"):
            case.save(force_insert=True)
            for kind, items in ((PhotoKind.REPORT, report), (PhotoKind.AFTER, after)):
                for p in items:
                    stored.append(save_case_photo(case, kind, p, written))
            if root is not None:
                # Repeats raise the first report's priority; F() so concurrent follow-ups all count.
                Case.objects.filter(pk=root.pk).update(repeat_count=F("repeat_count") + 1,
                                                       priority=F("priority") + 1)
    except IntegrityError as exc:
        _remove_files(written)
        if _constraint(exc) == "case_client_uuid_unique":
            # A concurrent retry with the same UUID committed first: answer with its case.
            existing = _existing_for_retry(actor, inp.client_uuid)
            if existing is not None:
                return Created(existing, False)
        raise
    except BaseException:
        _remove_files(written)
        raise
    # The caller answers with the case and its photos: hand them over as Django's prefetch would,
    # saving a query per report.
    photos_qs = case.photos.all()
    photos_qs._result_cache, photos_qs._prefetch_done = stored, True
    case._prefetched_objects_cache = {"photos": photos_qs}
    return Created(case, True)


def _constraint(exc):
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    return getattr(diag, "constraint_name", None)


# Status is not here: it changes only through the lifecycle actions (gridgov.dispatch, issue 4),
# which check the transition.
EDITABLE = ("category", "description", "urgency", "address", "location", "contact_name", "contact_phone")


@transaction.atomic
def do_update_case(actor, case, changes, note=""):
    """Edit a case (command centre / admin): the audit trigger records before and after.

    changes: {"category": code, "description": str, "urgency": str, "address": str,
    "location": (lon, lat, datum), "contact_name": str, "contact_phone": str}. Moving the point
    locates it again and stores the new grid (an explicit correction, recorded as such).
    """
    require_edit(actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        name = sorted(unknown)[0]
        raise FieldError(name, "not_editable", f"字段 {name} 不可修改", f"{name} cannot be edited")
    case = Case.objects.select_for_update().get(pk=case.pk)
    with audit_context(actor, "do_update_case" + (f": {note}" if note else "")):
        if "category" in changes:
            case.category = _category_for_report(changes["category"])
        for name in ("description", "address", "contact_name", "contact_phone"):
            if name in changes:
                setattr(case, name, changes[name])
        if "urgency" in changes:
            case.urgency = Urgency(changes["urgency"])
            case.priority = priority_for(case.urgency, case.repeat_count)
        if "location" in changes:
            lon, lat, datum = changes["location"]
            located = _located(CaseInput(client_uuid=case.client_uuid, lon=lon, lat=lat, datum=datum))
            case.point = f"SRID=4326;POINT({located.lon} {located.lat})"
            case.input_datum, case.input_lon, case.input_lat = datum, float(lon), float(lat)
            case.grid_id, case.grid_code, case.grid_name = located.grid_id, located.unit.code, located.unit.name
            case.ancestors = [{"code": a.code, "name": a.name, "level": a.level} for a in located.ancestors]
        case.save()
    return case


@transaction.atomic
def do_save_category(actor, category):
    """Admin edits of a category (the admin form has validated it). Categories are not audited."""
    category.save()
    return category


@transaction.atomic
def do_import_categories(rows, actor=None):
    """Create or update categories from parsed rows (categories.parse_csv); all or nothing.

    Categories missing from the file are kept (cases refer to them); deactivate them in admin.
    Returns {"created": n, "changed": n, "unchanged": n}.
    """
    existing = {c.code: c for c in Category.objects.all()}
    summary = {"created": 0, "changed": 0, "unchanged": 0}
    for row in sorted(rows, key=lambda r: (r.level, r.code)):  # groups before their items
        values = row.model_values()
        values["parent"] = existing[row.parent_code] if row.parent_code else None
        current = existing.get(row.code)
        if current is None:
            existing[row.code] = Category.objects.create(code=row.code, **values)
            summary["created"] += 1
            continue
        changed = [k for k, v in values.items() if getattr(current, k) != v]
        if changed:
            for k in changed:
                setattr(current, k, values[k])
            current.save(update_fields=changed)
            summary["changed"] += 1
        else:
            summary["unchanged"] += 1
    return summary


# Many cases at once (hotline import, synthetic load, seeds): one set-based path, the same rules as above.
from .bulk import BulkCase, do_bulk_create_cases  # noqa: E402

__all__ = ["do_create_case", "do_bulk_create_cases", "BulkCase", "do_update_case", "do_import_categories", "do_save_category", "Created", "Conflict",
           "audit_context"]
