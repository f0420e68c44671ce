"""Category suggestion from Chinese text: jieba words (1–2-grams) + character 1–3-grams, TF-IDF, a linear SVM
with calibrated (sigmoid, cross-validated) probabilities.

Trained from data/examples.csv (kept in the repository; see make_examples.py for what it is).
The fitted model is cached in var/classifier-<hash of the examples>.pkl on first use, so a change
to the examples retrains it; training takes a few seconds. Nothing is downloaded: jieba's
dictionary ships in its wheel.
"""
import csv
import hashlib
import pickle
import threading
from pathlib import Path

from django.conf import settings

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = DATA / "examples.csv"
HELDOUT = DATA / "heldout.csv"
_lock = threading.Lock()
_model = None


def words(text):
    import jieba

    return [w for w in jieba.lcut(text) if w.strip()]


def read_examples(path=EXAMPLES):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["category_code"] for r in rows]


def build_pipeline():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion([
        ("words", TfidfVectorizer(tokenizer=words, token_pattern=None, lowercase=False, ngram_range=(1, 2),
                                  sublinear_tf=True, min_df=1)),
        ("chars", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)),
    ])
    svm = CalibratedClassifierCV(LinearSVC(C=1.0, random_state=0), method="sigmoid", cv=3)
    return make_pipeline(features, svm)


def train(texts=None, labels=None, build=None):
    if texts is None:
        texts, labels = read_examples()
    pipeline = (build or build_pipeline)()
    pipeline.fit(texts, labels)
    return pipeline


def _cache_path():
    digest = hashlib.sha256(EXAMPLES.read_bytes() + Path(__file__).read_bytes()).hexdigest()[:16]
    return Path(settings.BASE_DIR) / "var" / f"classifier-{digest}.pkl"


def get_model():
    """The fitted pipeline: from the var/ cache, or trained now (and cached)."""
    global _model
    with _lock:
        if _model is None:
            path = _cache_path()
            if path.exists():
                with open(path, "rb") as f:
                    _model = pickle.load(f)
            else:
                _model = train()
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                with open(tmp, "wb") as f:
                    pickle.dump(_model, f)
                tmp.replace(path)
        return _model


def predict_top(texts, k=3, model=None):
    """[[(code, probability), ...k], ...] for each text, most likely first."""
    model = model or get_model()
    probs = model.predict_proba(list(texts))
    classes = model.classes_
    out = []
    for row in probs:
        order = row.argsort()[::-1][:k]
        out.append([(str(classes[i]), float(row[i])) for i in order])
    return out
