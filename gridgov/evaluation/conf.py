"""Evaluation settings (all optional; defaults below). See docs/evaluation.md.

GRIDGOV_EVALUATION_WEIGHTS       weights of the composite score (0–100); a metric with no data in a
                                 period is left out and the other weights are rescaled.
GRIDGOV_EVALUATION_ROLES         dispatch roles evaluated (default lead 主办 and assist 协办).
GRIDGOV_EVALUATION_SATISFIED     rating levels counted as satisfied (default 满意 and 基本满意).
GRIDGOV_EVALUATION_MIN_SAMPLE    a unit with fewer dispatches (dispatched + due in the period) is listed
                                 but not ranked (default 1).
"""
from django.conf import settings

from gridgov.core.errors import FieldError

DEFAULT_WEIGHTS = {
    "timely_acceptance_rate": 0.25,  # 及时受理率
    "on_time_closure_rate": 0.30,  # 按期办结率
    "closure_rate": 0.15,  # 结案率
    "satisfaction_rate": 0.20,  # 满意率
    "rework_rate": 0.05,  # 返工率 (lower is better: 1 − rate is scored)
    "bounce_rate": 0.05,  # 退回率 (lower is better)
}
LOWER_IS_BETTER = {"rework_rate", "bounce_rate"}


def weights():
    value = dict(getattr(settings, "GRIDGOV_EVALUATION_WEIGHTS", DEFAULT_WEIGHTS))
    unknown = set(value) - set(DEFAULT_WEIGHTS)
    if unknown:
        name = sorted(unknown)[0]
        raise FieldError("GRIDGOV_EVALUATION_WEIGHTS", "unknown_metric", f"评分权重中的指标 {name!r} 不存在",
                         f"GRIDGOV_EVALUATION_WEIGHTS names an unknown metric {name!r}")
    if any(float(w) < 0 for w in value.values()) or not any(float(w) > 0 for w in value.values()):
        raise FieldError("GRIDGOV_EVALUATION_WEIGHTS", "invalid_weights", "评分权重不能为负，且至少一项大于 0",
                         "weights must be non-negative with at least one above 0")
    return {k: float(v) for k, v in value.items()}


def roles():
    return list(getattr(settings, "GRIDGOV_EVALUATION_ROLES", ["lead", "assist"]))


def satisfied_levels():
    return list(getattr(settings, "GRIDGOV_EVALUATION_SATISFIED", ["satisfied", "basic"]))


def min_sample():
    return int(getattr(settings, "GRIDGOV_EVALUATION_MIN_SAMPLE", 1))
