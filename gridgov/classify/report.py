"""Accuracy of the classifier on a labelled CSV (header text,category_code; default data/heldout.csv,
the dev set). Any such file works: a UTF-8 BOM, extra columns, blank lines and rows without a text
are tolerated; labels the model has never seen count as misses (and are listed)."""
import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from gridgov.core.errors import FieldError

from .model import HELDOUT, predict_top, train


@dataclass
class Report:
    n: int
    top1: float
    top3: float
    per_category: dict = field(default_factory=dict)  # code -> (n, top1 accuracy)
    per_category_top3: dict = field(default_factory=dict)  # code -> top3 accuracy
    confusions: list = field(default_factory=list)  # [((true, predicted), count)]
    never_predicted: list = field(default_factory=list)  # model categories never ranked first
    unknown_labels: list = field(default_factory=list)  # labels in the file the model cannot predict
    skipped: int = 0  # rows without a text or a label


def read_labelled(path):
    """(texts, labels, skipped) from a CSV with the columns text and category_code."""
    path = Path(path)
    if not path.is_file():
        raise FieldError("heldout", "not_found", f"找不到文件：{path}", f"no such file: {path}")
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        columns = [(c or "").strip() for c in (reader.fieldnames or [])]
        if "text" not in columns or "category_code" not in columns:
            raise FieldError("heldout", "bad_header", "文件表头必须包含 text 和 category_code 两列",
                             "the file's header must have the columns text and category_code")
        reader.fieldnames = columns
        texts, labels, skipped = [], [], 0
        for row in reader:
            text, label = (row.get("text") or "").strip(), (row.get("category_code") or "").strip()
            if not text or not label:
                skipped += 1
                continue
            texts.append(text)
            labels.append(label)
    if not texts:
        raise FieldError("heldout", "empty", "文件中没有带类别的样本", "the file has no labelled rows")
    return texts, labels, skipped


def evaluate(model=None, path=HELDOUT):
    texts, labels, skipped = read_labelled(path)
    model = model or train()
    tops = predict_top(texts, 3, model=model)
    hit1 = [top[0][0] == y for top, y in zip(tops, labels)]
    hit3 = [y in [c for c, _ in top] for top, y in zip(tops, labels)]
    per = {}
    for y, h1, h3 in zip(labels, hit1, hit3):
        n, k1, k3 = per.get(y, (0, 0, 0))
        per[y] = (n + 1, k1 + h1, k3 + h3)
    predicted = {top[0][0] for top in tops}
    known = {str(c) for c in model.classes_}
    confusions = Counter((y, top[0][0]) for top, y in zip(tops, labels) if top[0][0] != y).most_common(10)
    return Report(n=len(labels), top1=sum(hit1) / len(labels), top3=sum(hit3) / len(labels),
                  per_category={c: (n, k1 / n) for c, (n, k1, _) in sorted(per.items())},
                  per_category_top3={c: k3 / n for c, (n, _, k3) in sorted(per.items())},
                  confusions=confusions, never_predicted=sorted(known - predicted),
                  unknown_labels=sorted(set(labels) - known), skipped=skipped)
