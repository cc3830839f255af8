"""Retraining API, estimator contract, evaluation report, thread safety."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.base import clone

import voc
from voc.datasets import load_frame
from voc.models.sklearn import SklearnTextClassifier


def test_estimator_contract():
    clf = SklearnTextClassifier(C=2.0, min_df=1)
    params = clf.get_params()
    assert params["C"] == 2.0 and not hasattr(clf, "classes_")
    twin = clone(clf)
    assert twin.get_params() == params
    with pytest.raises(TypeError):
        clf.fit("一句话", ["a"])
    with pytest.raises(ValueError):
        clf.fit(["a", "b"], ["x", "x"])


def test_train_from_corpus_and_evaluate_on_test_split():
    clf = voc.train("intent", "voc_zh")
    assert set(clf.classes_) == set(voc.load_taxonomy().codes("intent"))
    report = voc.evaluate(clf, "voc_zh", task="intent", split="test")["intent"]
    assert report["macro_f1"] > 0.5
    assert set(report["per_label"]) >= {"complaint", "inquiry"}
    assert len(report["confusion"]["matrix"]) == len(report["confusion"]["labels"])


def test_train_multilabel_from_dataframe():
    df = load_frame("voc_zh", split="train")
    clf = voc.train("non_complaint_reasons", df)
    assert clf.multi_label_
    proba = clf.predict_proba(["电话一直打不通，懒得再打了"])
    assert proba.shape == (1, len(clf.classes_)) and ((proba >= 0) & (proba <= 1)).all()


def test_train_rejects_bad_data():
    with pytest.raises(ValueError, match="no label column"):
        voc.train("intent", (["a"], ["b"]), label_col="nope")
    with pytest.raises(ValueError, match="unknown backend"):
        voc.train("intent", "voc_zh", backend="magic")
    with pytest.raises(TypeError):
        voc.train("intent", 42)


def test_analyzer_is_thread_safe(nlp):
    texts = list(load_frame("voc_zh", split="test")["text"])[:400] * 5
    sequential = [r.to_dict() for r in nlp.pipe(texts)]

    def run(chunk):
        return [r.to_dict() for r in nlp.pipe(chunk, batch_size=37)]

    chunks = [texts[i::8] for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(run, chunks))
    for k, out in enumerate(parallel):
        assert out == sequential[k::8]


def test_sentiment_scores_are_polarities(nlp):
    scores = np.array([r.sentiment.score for r in nlp.pipe(["非常好", "非常差", "请问几点关门"])])
    assert (scores >= -1).all() and (scores <= 1).all()
    assert scores[0] > 0 > scores[1]


def test_snownlp_backend_swaps_in_and_persists(tmp_path):
    from voc.models.snownlp import SnowNLPSentiment

    nlp = voc.load()
    nlp.replace("sentiment", SnowNLPSentiment(neutral_band=[0.4, 0.6]))
    r = nlp("质量很好，非常满意")
    assert r.sentiment.label == "positive" and set(r.sentiment.scores) == {"negative", "neutral", "positive"}
    assert nlp("太差了").sentiment.label == "negative"
    nlp.to_disk(tmp_path)
    again = voc.load(tmp_path)
    assert isinstance(again.components["sentiment"], SnowNLPSentiment)
    assert again.components["sentiment"].neutral_band == [0.4, 0.6]
    with pytest.raises(TypeError):
        nlp.replace("intent", object())
