"""suggest(text) → the top 3 categories with confidence, for the command centre and intake."""
from django.conf import settings

from gridgov.core.errors import FieldError

from .model import predict_top

MAX_TEXT = 4000


def low_confidence_threshold():
    """Below this top-1 confidence a pre-filled category is flagged for confirmation."""
    return float(getattr(settings, "GRIDGOV_CLASSIFY_CONFIRM_BELOW", 0.6))


# Candidates asked of the model per text, so that k remain after dropping deactivated categories.
SPARE = 6


def _active_names(codes):
    """{code: name} of the codes that are active subcategories (小类) under an active group; None when
    the catalogue is not loaded at all (the model only knows the shipped active subcategories)."""
    from gridgov.cases.models import Category

    if not Category.objects.exists():
        return None
    return dict(Category.objects.filter(code__in=codes, is_active=True, parent__isnull=False,
                                        parent__is_active=True).values_list("code", "name"))


def suggest_many(texts, k=3):
    """[[(code, name, confidence)] * k] per text: only active subcategories, best first."""
    texts = [(t or "").strip()[:MAX_TEXT] for t in texts]
    tops = predict_top(texts, k + SPARE) if texts else []
    names = _active_names({c for top in tops for c, _ in top})
    out = []
    for top in tops:
        kept = [(code, names[code] if names is not None else code, round(p, 3))
                for code, p in top if names is None or code in names]
        out.append(kept[:k])
    return out


def suggest(text, k=3):
    """[(code, name, confidence)], best first; confidence is a calibrated probability (0–1)."""
    if not (text or "").strip():
        raise FieldError("text", "required", "请输入问题描述", "text is required")
    return suggest_many([text], k)[0]
