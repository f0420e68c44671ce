"""Grouped cross-validation of the classifier on its own training data.

    .venv/bin/python -m gridgov.classify.crossval [--folds 5]

Rows generated from one hand-written phrasing (or one hand-written ticket) form a group, and a
group is never on both sides of a split (GroupKFold): each fold is scored on problem phrasings the
model has not seen, only their framings/addresses/names are shared. That is still optimistic for
real hotline traffic (same author, same framings), and says nothing about the blind set.
"""
import argparse
import time

from .make_examples import generate
from .model import predict_top, train


def crossval(folds=5, rows=None, build=None):
    """Grouped K-fold top-1/top-3 over the hand-written phrasings and tickets; the lexicon
    sentences are in every training fold and never scored."""
    from sklearn.model_selection import GroupKFold

    rows = rows or generate()
    scored = [r for r in rows if r[2] != "lexicon"]
    lexicon = [r for r in rows if r[2] == "lexicon"]
    texts = [r[0] for r in scored + lexicon]
    labels = [r[1] for r in scored + lexicon]
    groups = [r[2] for r in scored]
    always = list(range(len(scored), len(texts)))
    hit1 = hit3 = 0
    per = {}
    seconds = []
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(groups, groups=groups):
        train_idx = list(train_idx) + always
        t0 = time.perf_counter()
        model = train([texts[i] for i in train_idx], [labels[i] for i in train_idx], build=build)
        seconds.append(time.perf_counter() - t0)
        tops = predict_top([texts[i] for i in test_idx], 3, model=model)
        for i, top in zip(test_idx, tops):
            codes = [c for c, _ in top]
            n, k = per.get(labels[i], (0, 0))
            per[labels[i]] = (n + 1, k + (codes[0] == labels[i]))
            hit1 += codes[0] == labels[i]
            hit3 += labels[i] in codes
    n = len(scored)
    return {"n": n, "top1": hit1 / n, "top3": hit3 / n, "seconds_per_fold": sum(seconds) / len(seconds),
            "per_category": {c: (m, k / m) for c, (m, k) in sorted(per.items())}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    r = crossval(args.folds)
    print(f"grouped {args.folds}-fold CV: {r['n']} rows; top-1 {r['top1']:.1%}; top-3 {r['top3']:.1%}; "
          f"training {r['seconds_per_fold']:.1f} s per fold")
    worst = sorted(r["per_category"].items(), key=lambda kv: kv[1][1])[:10]
    for code, (m, acc) in worst:
        print(f"  {code}: {acc:.0%} of {m}")


if __name__ == "__main__":
    import django

    django.setup()
    main()
