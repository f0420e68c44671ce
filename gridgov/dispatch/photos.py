"""After-photos of a feedback (反馈): checked by gridgov.cases.photos before anything is written, stored
as the case's CasePhoto rows of kind "after" (so the case's history and photo views show them)."""
from gridgov.cases.actions import save_case_photo
from gridgov.cases.models import PhotoKind
from gridgov.cases.photos import compare_with_report, process_upload
from gridgov.conf import setting
from gridgov.core.errors import FieldError

from .contracts import FEEDBACK


def feedback_photo_required():
    """GRIDGOV_FEEDBACK_PHOTO_REQUIRED (settings or environment, default on): a feedback needs an after-photo."""
    value = setting("GRIDGOV_FEEDBACK_PHOTO_REQUIRED", True)
    return str(value).lower() in ("1", "true", "yes", "on")


def prepare(uploads, case, now):
    """Decode and check every upload (FieldError naming the photo); returns the processed photos."""
    uploads = list(uploads or [])
    limit = FEEDBACK["photos"].max_count()  # the documented maxItems
    if len(uploads) > limit:
        raise FieldError("photos", "too_many", f"处置后照片最多 {limit} 张（收到 {len(uploads)} 张）",
                         f"at most {limit} after-photos (got {len(uploads)})")
    if not uploads and feedback_photo_required():
        raise FieldError("photos", "required", "反馈须上传至少一张处置后照片", "feedback needs at least one after-photo")
    processed = [process_upload(f, "photos", i) for i, f in enumerate(uploads)]
    for p in processed:
        compare_with_report(p, case.point.x, case.point.y, now)
    return processed


def store(case, processed, written):
    """CasePhoto rows (kind after) for processed photos; file names appended to `written` for cleanup."""
    return [save_case_photo(case, PhotoKind.AFTER, p, written) for p in processed]


def remove_files(written):
    for f in written:
        try:
            f.storage.delete(f.name)
        except OSError:
            pass
