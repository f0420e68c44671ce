"""suggest(text) → the top 3 categories with confidence, for the command centre and intake."""
from django.conf import settings

from gridgov.errors import FieldError

from .model import predict_top

MAX_TEXT = 4000


def low_confidence_threshold():
    """Below this top-1 confidence a pre-filled category is flagged for confirmation."""
    return float(getattr(settings, "GRIDGOV_CLASSIFY_CONFIRM_BELOW", 0.6))


def _names(codes):
    from gridgov.cases.models import Category

    return dict(Category.objects.filter(code__in=codes).values_list("code", "name"))


def suggest_many(texts, k=3):
    texts = [(t or "").strip()[:MAX_TEXT] for t in texts]
    tops = predict_top(texts, k) if texts else []
    names = _names({c for top in tops for c, _ in top})
    return [[(code, names.get(code, code), round(p, 3)) for code, p in top] for top in tops]


def suggest(text, k=3):
    """[(code, name, confidence)], best first; confidence is a calibrated probability (0–1)."""
    if not (text or "").strip():
        raise FieldError("text", "required", "请输入问题描述", "text is required")
    return suggest_many([text], k)[0]
