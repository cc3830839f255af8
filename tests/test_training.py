"""Retraining API, estimator contract, evaluation report, thread safety."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
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


# ---------------------------------------------------------------- which rows train / evaluate (issue #15)

def _toy(with_split: bool) -> pd.DataFrame:
    rows = [("质量很好，非常满意", "praise"), ("太好用了，推荐", "praise"), ("物流很快，好评", "praise"),
            ("客服态度差，要投诉", "complaint"), ("东西坏了，退款", "complaint"), ("发错货了，差评", "complaint"),
            ("请问几点发货", "inquiry"), ("这个有没有蓝色的", "inquiry"), ("怎么申请发票", "inquiry"),
            ("建议增加夜间配送", "suggestion"), ("希望出个大号的", "suggestion"), ("能不能加个会员价", "suggestion")]
    df = pd.DataFrame(rows, columns=["text", "intent"])
    if with_split:  # the last label only in the test rows: it shows whether test rows were trained on
        df["split"] = ["train"] * 9 + ["test"] * 3
    return df


@pytest.mark.parametrize("with_split", [True, False])
def test_file_and_dataframe_train_on_the_same_rows(tmp_path, with_split):
    df = _toy(with_split)
    path = tmp_path / "labels.csv"
    df.to_csv(path, index=False)
    from_frame = voc.train("intent", df, min_df=1)
    from_file = voc.train("intent", str(path), min_df=1)
    expected = {"praise", "complaint", "inquiry"} | (set() if with_split else {"suggestion"})
    assert set(from_frame.classes_) == set(from_file.classes_) == expected
    probe = ["快递很快", "要退款"]
    np.testing.assert_allclose(from_frame.predict_proba(probe), from_file.predict_proba(probe), rtol=1e-6)


@pytest.mark.parametrize("as_file", [True, False])
def test_evaluate_scores_test_rows_else_all_rows(tmp_path, as_file, recwarn):
    split, plain = _toy(True), _toy(False)
    if as_file:
        split.to_csv(tmp_path / "split.csv", index=False)
        plain.to_csv(tmp_path / "plain.csv", index=False)
        split_data, plain_data = str(tmp_path / "split.csv"), str(tmp_path / "plain.csv")
    else:
        split_data, plain_data = split, plain
    clf = voc.train("intent", split_data, min_df=1)
    assert voc.evaluate(clf, split_data, task="intent")["intent"]["n"] == 3
    assert not [w for w in recwarn if "not held out" in str(w.message)]
    with pytest.warns(UserWarning, match="9 of 12 evaluation rows were training texts of 'intent'"):
        report = voc.evaluate(clf, plain_data, task="intent")
    assert report["intent"]["n"] == 12


def test_evaluate_warns_for_an_analyzer_scored_on_its_training_rows():
    df = _toy(False)
    clf = voc.train("intent", df, min_df=1)
    mine = voc.load()
    mine.replace("intent", clf)
    with pytest.warns(UserWarning, match="not held out"):
        voc.evaluate(mine, df, task="intent")


def test_no_training_rows_names_the_split():
    df = _toy(True).assign(split="test")
    with pytest.raises(ValueError, match=r"no row has split == 'train'.*split=None"):
        voc.train("intent", df, min_df=1)
    assert len(voc.train("intent", df, split=None, min_df=1).classes_) == 4
