"""Held-out accuracy of the classifier (data/heldout.csv: different wording from the training set)."""
from collections import Counter
from dataclasses import dataclass, field

from .model import HELDOUT, predict_top, read_examples, train


@dataclass
class Report:
    n: int
    top1: float
    top3: float
    per_category: dict = field(default_factory=dict)  # code -> (n, top1 accuracy)
    confusions: list = field(default_factory=list)  # [((true, predicted), count)]


def evaluate(model=None, path=HELDOUT):
    texts, labels = read_examples(path)
    model = model or train()
    tops = predict_top(texts, 3, model=model)
    hit1 = [top[0][0] == y for top, y in zip(tops, labels)]
    hit3 = [y in [c for c, _ in top] for top, y in zip(tops, labels)]
    per = {}
    for y, h in zip(labels, hit1):
        n, k = per.get(y, (0, 0))
        per[y] = (n + 1, k + h)
    confusions = Counter((y, top[0][0]) for top, y in zip(tops, labels) if top[0][0] != y).most_common(10)
    return Report(n=len(labels), top1=sum(hit1) / len(labels), top3=sum(hit3) / len(labels),
                  per_category={c: (n, k / n) for c, (n, k) in sorted(per.items())}, confusions=confusions)
