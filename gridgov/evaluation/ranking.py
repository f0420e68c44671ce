"""Rankings (晾晒): a composite score from the rates and a rank, best first.

score = 100 × Σ wᵢ·xᵢ / Σ wᵢ over the metrics that have data for the unit (xᵢ the rate, or 1 − rate for
rework and bounce, where lower is better); weights GRIDGOV_EVALUATION_WEIGHTS. A unit with fewer than
GRIDGOV_EVALUATION_MIN_SAMPLE dispatches (made + due in the period) gets no score and no rank ("样本不足").
Equal scores share a rank (1, 2, 2, 4).
"""
from . import conf
from .metrics import evaluate


def score(unit, weights=None):
    weights = weights if weights is not None else conf.weights()
    total = weighted = 0.0
    for metric, w in weights.items():
        value = unit.rates.get(metric)
        if value is None or w <= 0:
            continue
        x = 1 - value if metric in conf.LOWER_IS_BETTER else value
        total += w
        weighted += w * x
    return round(100 * weighted / total, 2) if total > 0 else None


def rank(units, weights=None, min_sample=None):
    """Score and rank units in place; returns them sorted: ranked best first, then unranked by key."""
    min_sample = conf.min_sample() if min_sample is None else min_sample
    weights = conf.weights() if weights is None else weights
    for u in units:
        u.score = score(u, weights) if (u.dispatched + u.due) >= max(min_sample, 1) else None
        u.rank = None
    ranked = sorted([u for u in units if u.score is not None], key=lambda u: (-u.score, u.key))
    previous, position = None, 0
    for i, u in enumerate(ranked, start=1):
        if u.score != previous:
            position, previous = i, u.score
        u.rank = position
    return ranked + sorted([u for u in units if u.score is None], key=lambda u: u.key)


def ranking(period_start, period_end, by="department", now=None):
    """evaluate() + rank(): the rows of the 晾晒 table."""
    return rank(evaluate(period_start, period_end, by=by, now=now))
