"""The category classifier: every active subcategory trained, the dev-set gate, top-3 shape, only
active subcategories suggested, the report on any labelled CSV, the API endpoint. No network."""
import socket
from collections import Counter

import pytest

from gridgov.classify import model as classify_model
from gridgov.classify.make_examples import DEV_PHRASES, active_codes, generate
from gridgov.classify.model import HELDOUT, predict_top, read_examples, train
from gridgov.classify.report import evaluate

# docs/classifier.md: 79.6 % top-1 / 99.0 % top-3 measured on the dev set data/heldout.csv
# (contaminated, 25 of the 63 subcategories, now scored among all 63); the gates sit a little under
# what was measured so a change that makes the model worse fails.
TOP1_GATE = 0.77
TOP3_GATE = 0.96


@pytest.fixture(scope="module")
def model():
    real = socket.socket.connect

    def no_network(self, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"network access during training: {address}")
        return real(self, address)

    socket.socket.connect = no_network
    try:
        fitted = train()
    finally:
        socket.socket.connect = real
    # The same examples and code as the var/ cache: let get_model() (suggest, the report) use it.
    classify_model._model = classify_model._model or fitted
    return fitted


def test_it_reaches_the_reported_accuracy_on_the_dev_set(model):
    report = evaluate(model)
    assert report.n >= 400
    assert report.top1 >= TOP1_GATE, report
    assert report.top3 >= TOP3_GATE, report


# The blind set (data/heldout_blind.csv, docs/classifier_blind.md): 725 tickets for all 63 subcategories
# by a second author who never saw the training data, scored once by the lead after the model was frozen
# (2026-11-23): 95.0 % top-1 / 99.2 % top-3. Gates a little under that; never tune against this file.
BLIND = HELDOUT.parent / "heldout_blind.csv"
BLIND_TOP1_GATE = 0.92
BLIND_TOP3_GATE = 0.98


def test_it_reaches_85_percent_top1_on_the_blind_set_of_every_subcategory(model):
    report = evaluate(model, BLIND)
    assert report.n >= 700 and not report.unknown_labels and not report.never_predicted
    assert report.top1 >= max(BLIND_TOP1_GATE, 0.85), report
    assert report.top3 >= BLIND_TOP3_GATE, report


def test_no_blind_ticket_is_in_the_training_examples():
    train_texts, _ = read_examples()
    blind_texts, _ = read_examples(BLIND)
    assert len(blind_texts) >= 700 and not set(train_texts) & set(blind_texts)


def test_it_keeps_dev_wording_out_of_training():
    train_texts, _ = read_examples()
    dev_texts, _ = read_examples(HELDOUT)
    assert not set(train_texts) & set(dev_texts)
    leaked = [p for p in DEV_PHRASES if any(p in t for t in train_texts)]
    assert not leaked


def test_it_has_examples_for_every_active_subcategory():
    _, labels = read_examples()
    counts = Counter(labels)
    assert set(counts) == set(active_codes())
    assert len(counts) >= 60
    assert min(counts.values()) >= 40, counts.most_common()[-5:]


def test_it_regenerates_the_examples_file_exactly():
    texts, labels = read_examples()
    assert sorted(zip(texts, labels)) == sorted((text, code) for text, code, _ in generate())


def test_it_suggests_three_categories_with_probabilities(model):
    [top] = predict_top(["幸福路上的井盖被人偷走了，晚上路过的人很容易掉下去，麻烦赶紧处理"], 3, model=model)
    assert len(top) == 3
    assert top[0][0] == "C0101"
    confidences = [p for _, p in top]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 <= p <= 1 for p in confidences) and sum(confidences) <= 1.0001


@pytest.mark.django_db
def test_it_suggests_only_active_subcategories(model, categories):
    from gridgov.cases.models import Category
    from gridgov.classify.suggest import suggest

    text = "桥洞底下下雨积水一米多深，车子开进去熄火了，出租车司机是爬出来的"
    first = suggest(text)
    assert len(first) == 3
    active = set(Category.objects.filter(is_active=True, parent__isnull=False).values_list("code", flat=True))
    assert {code for code, _, _ in first} <= active
    Category.objects.filter(code=first[0][0]).update(is_active=False)
    second = suggest(text)
    assert len(second) == 3
    assert first[0][0] not in {code for code, _, _ in second}
    assert [c for c, _, _ in second[:2]] == [c for c, _, _ in first[1:3]]


def test_it_reports_on_any_labelled_csv(model, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("\ufeffid,category_code,text\n"
                    "1,E0506,对面楼四楼窗户冒出很大的黑烟，看到火光了\n"
                    "2,E0503,楼道里一股煤气味，不知道谁家漏气\n"
                    ",,\n"
                    "3,X9999,这是一个模型不认识的类别\n"
                    "4,E0101,\n", encoding="utf-8")
    report = evaluate(model, path)
    assert report.n == 3 and report.skipped == 2
    assert report.unknown_labels == ["X9999"]
    assert report.per_category["X9999"] == (1, 0.0)
    assert len(report.never_predicted) >= 55


def test_it_refuses_a_csv_without_the_columns(tmp_path):
    from gridgov.core.errors import FieldError

    path = tmp_path / "bad.csv"
    path.write_text("内容,类别\n井盖没了,C0101\n", encoding="utf-8")
    with pytest.raises(FieldError) as exc:
        evaluate(object(), path)
    assert exc.value.code == "bad_header"


def test_it_prints_the_report_for_a_given_file(model, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "small.csv"
    path.write_text("text,category_code\n路灯坏了好多天，晚上一片漆黑,C0103\n", encoding="utf-8")
    out = StringIO()
    call_command("classifier_report", "--heldout", str(path), stdout=out)
    text = out.getvalue()
    assert "examples: 1 (1 categories); top-1" in text
    assert "never predicted first (62)" in text


@pytest.mark.django_db
def test_it_answers_the_classify_endpoint_with_names(api, categories):
    r = api.get("/api/v1/classify/", {"text": "楼下烧烤摊每天晚上烤串到凌晨，油烟全飘进我家"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert len(body["suggestions"]) == 3
    assert body["suggestions"][0]["code"] == "E0405"
    assert body["suggestions"][0]["name"] == "露天烧烤"
    assert isinstance(body["needs_confirmation"], bool)


@pytest.mark.django_db
def test_it_refuses_an_empty_text(api):
    r = api.get("/api/v1/classify/", {"text": "  "})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "text"
