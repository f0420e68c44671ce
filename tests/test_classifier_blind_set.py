"""Shape checks for the blind held-out set of the category classifier.

The set (gridgov/classify/data/heldout_blind.csv) was written by a second
author who never saw the training examples; see docs/classifier_blind.md.
These tests only check that the file is well formed and covers every active
subcategory. They deliberately do not run the model: the lead evaluates it
once, so that nobody tunes against this set.
"""

import collections
import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLIND = ROOT / "gridgov" / "classify" / "data" / "heldout_blind.csv"
CATEGORIES = ROOT / "gridgov" / "cases" / "data" / "categories.csv"
MIN_PER_SUBCATEGORY = 8


def _read_blind():
    with BLIND.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, strict=True)
        header = next(reader)
        rows = list(reader)
    return header, rows


def _categories():
    with CATEGORIES.open(encoding="utf-8", newline="") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


def _active_subcategories():
    return {
        code
        for code, row in _categories().items()
        if row["parent_code"] and row["is_active"] == "1"
    }


def test_it_parses_with_the_expected_header_and_two_columns():
    header, rows = _read_blind()
    assert header == ["text", "category_code"]
    assert rows, "the blind set is empty"
    bad = [i for i, row in enumerate(rows, start=2) if len(row) != 2]
    assert bad == [], f"rows without exactly two fields at lines {bad[:10]}"


def test_it_has_non_blank_texts_of_realistic_length():
    _, rows = _read_blind()
    bad = [
        (i, text)
        for i, (text, _code) in enumerate(rows, start=2)
        if text != text.strip() or not 20 <= len(text) <= 200
    ]
    assert bad == []


def test_it_uses_only_existing_subcategory_codes():
    _, rows = _read_blind()
    categories = _categories()
    unknown = sorted({code for _, code in rows if code not in categories})
    assert unknown == []
    not_sub = sorted({code for _, code in rows if not categories[code]["parent_code"]})
    assert not_sub == [], "top-level categories are not valid labels"
    inactive = sorted({code for _, code in rows if categories[code]["is_active"] != "1"})
    assert inactive == []


@pytest.mark.parametrize("code", sorted(_active_subcategories()))
def test_it_covers_each_active_subcategory_at_least_eight_times(code):
    _, rows = _read_blind()
    count = sum(1 for _, c in rows if c == code)
    assert count >= MIN_PER_SUBCATEGORY, f"{code}: {count} rows"


def test_it_has_no_duplicate_texts():
    _, rows = _read_blind()
    counts = collections.Counter(text for text, _ in rows)
    assert [t for t, n in counts.items() if n > 1] == []
