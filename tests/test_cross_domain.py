"""Sentiment across domains: contrast-clause features, routine questions, contrast sentences.

The accuracy checks run the shipped model on the held-out ``voc_real_zh`` test split (never trained
on); bounds sit below the figures measured when this file was written (see each test).
The leave-one-domain-out table itself is a script (benchmarks/eval_cross_domain.py), not a test.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.metrics import f1_score

from voc.datasets import load_frame
from voc.features import CONTRAST_WORDS, CharNgramVectorizer, contrast_augment
from voc.models.sklearn import SklearnTextClassifier, load_group, save_group
from voc.pipeline import Analyzer

TEXTS = ["房间有点小，但服务很好", "东西不错，就是物流太慢了", "虽然价格贵，但是质量好", "太差了", "很好用",
         "不过如此", "还行吧不过有点贵", "服务很好", "物流太慢"]
LABELS = ["positive", "negative", "positive", "negative", "positive", "negative", "negative", "positive",
          "negative"]


@pytest.mark.parametrize("text,tail", [("房间有点小，但服务很好", "服务很好"),
                                       ("东西不错，就是物流太慢了！", "物流太慢了"),
                                       ("虽然价格贵，但是质量好。", "质量好"),
                                       ("还不错，不过屏幕一般，可惜电池不行", "电池不行")])
def test_contrast_augment_repeats_the_last_contrast_clause(text, tail):
    out = contrast_augment(text)
    assert out.startswith(text)
    assert out[len(text):].strip() == tail


@pytest.mark.parametrize("text", ["很好用", "太差了", "但", "不过！", ""])
def test_contrast_augment_leaves_other_texts(text):
    assert contrast_augment(text) == text


def test_contrast_words_are_ordered_longest_first_for_shared_prefixes():
    # "但是" must win over "但" so that the clause does not start with 是
    assert contrast_augment("一般但是好看").endswith(" 好看")
    assert all(w for w in CONTRAST_WORDS)


def test_contrast_vectorizer_differs_and_round_trips(tmp_path):
    plain = CharNgramVectorizer(min_df=1).fit(TEXTS)
    con = CharNgramVectorizer(min_df=1, contrast=True).fit(TEXTS)
    assert plain.ngram_key != con.ngram_key
    off = copy.copy(con)
    off.contrast = False
    x = ["东西不错，就是物流太慢了"]
    assert (off.transform(x) != con.transform(x)).nnz > 0  # the clause after 就是 weighs more
    assert (off.transform(["很好用"]) != con.transform(["很好用"])).nnz == 0
    clf = SklearnTextClassifier(vectorizer=con).fit(TEXTS, LABELS)
    save_group(tmp_path / "m", {"sentiment": clf})
    back = load_group(tmp_path / "m")["sentiment"]
    assert back.vectorizer_.contrast is True
    np.testing.assert_allclose(back.predict_proba(TEXTS), clf.predict_proba(TEXTS), rtol=1e-5)


def test_analyzer_keeps_contrast_and_plain_features_apart():
    con = SklearnTextClassifier(vectorizer=CharNgramVectorizer(min_df=1, contrast=True).fit(TEXTS)).fit(TEXTS, LABELS)
    emo = ["delight", "anger"] * 4 + ["delight"]
    plain = SklearnTextClassifier(vectorizer=CharNgramVectorizer(min_df=1).fit(TEXTS)).fit(TEXTS, emo)
    nlp = Analyzer({"sentiment": con, "emotion": plain}, use_lexicon=False)
    probs, _ = nlp._probabilities(TEXTS)
    np.testing.assert_allclose(probs["sentiment"], con.predict_proba(TEXTS), rtol=1e-5)
    np.testing.assert_allclose(probs["emotion"], plain.predict_proba(TEXTS), rtol=1e-5)


@pytest.fixture(scope="module")
def real_test():
    return load_frame("voc_real_zh", split="test")


def test_routine_questions_come_out_neutral(nlp, real_test):
    """Measured on the shipped model: 1.7 % of 174 routine test questions negative, 97.7 % neutral."""
    rt = real_test[(real_test["intent"] == "inquiry") & (real_test["complaint_stage"] == "none")]
    assert len(rt) >= 100
    labels = [r.sentiment.label for r in nlp.pipe(list(rt["text"]))]
    assert np.mean([x == "negative" for x in labels]) <= 0.05
    assert np.mean([x == "neutral" for x in labels]) >= 0.9


def test_contrast_sentences_on_held_out_real_text(nlp, real_test):
    """Polar test texts with a contrast word (但/不过/可是): binary macro-F1 0.871 when measured."""
    sub = real_test[real_test["text"].str.contains("但|不过|可是") & (real_test["sentiment"] != "neutral")]
    assert len(sub) >= 100 and sub["sentiment"].nunique() == 2
    pred = []
    for r in nlp.pipe(list(sub["text"])):
        s = r.sentiment.scores
        pred.append("positive" if s["positive"] > s["negative"] else "negative")
    assert f1_score(list(sub["sentiment"]), pred, average="macro") >= 0.82
