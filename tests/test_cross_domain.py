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
from voc.features import CONTRAST_WORDS, CharNgramVectorizer, contrast_augment, negation_augment
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


@pytest.mark.parametrize("text,token", [("房间不太好", "¬太好"), ("没有不满意的地方", "¬不满意"),
                                        ("别买，很差", "¬买"), ("未收到货", "¬收到货")])
def test_negation_augment_marks_the_scope(text, token):
    out = negation_augment(text)
    assert out.startswith(text)
    assert token in out[len(text):].split()


@pytest.mark.parametrize("text", ["很好用", "还不错", "不过如此", "无论如何", "", "不"])
def test_negation_augment_leaves_texts_without_a_negated_scope(text):
    assert negation_augment(text) == text


def _negation_reference(text: str, scope: int = 3) -> str:
    """The original character loop of negation_augment (the regex scan must give the same tokens)."""
    from voc.features import _SCOPE_STOP, NEG_MARK, NEGATORS, NOT_NEGATING

    tokens, i, n = [], 0, len(text)
    while i < n:
        if text.startswith(NOT_NEGATING, i):
            i += next(len(w) for w in NOT_NEGATING if text.startswith(w, i))
            continue
        neg = next((w for w in NEGATORS if text.startswith(w, i)), None)
        if neg is None:
            i += 1
            continue
        j = k = i + len(neg)
        while k < n and k - j < scope and text[k] not in _SCOPE_STOP:
            k += 1
        if k > j:
            tokens.append(NEG_MARK + text[j:k])
        i = max(k, i + 1)
    return f"{text} {' '.join(tokens)}" if tokens else text


def test_negation_augment_regex_matches_the_character_loop():
    import random

    rng = random.Random(7)
    alphabet = list("不没有别未无错过仅但管论断少久同得人的家处来之一好太满意，。！? ~¬\n\tab")
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(20_000)]
    texts += list(load_frame("voc_real_zh", split="test")["text"])
    for scope in (1, 3, 5):
        assert [negation_augment(t, scope) for t in texts] == [_negation_reference(t, scope) for t in texts]


def test_negation_separates_negated_praise_and_round_trips(tmp_path):
    texts = ["不太好", "很好", "不满意", "满意", "好", "不好"]
    plain = CharNgramVectorizer(min_df=1).fit(texts)
    neg = CharNgramVectorizer(min_df=1, negation=True).fit(texts)
    assert plain.ngram_key != neg.ngram_key
    assert CharNgramVectorizer().negation is False  # shipped models keep their features

    def sim(vec, a, b):
        X = vec.transform([a, b]).toarray()
        return float(X[0] @ X[1])

    assert sim(neg, "不太好", "很好") < sim(plain, "不太好", "很好")
    clf = SklearnTextClassifier(vectorizer=neg).fit(TEXTS, LABELS)
    save_group(tmp_path / "m", {"sentiment": clf})
    back = load_group(tmp_path / "m")["sentiment"]
    assert back.vectorizer_.negation is True
    np.testing.assert_allclose(back.predict_proba(TEXTS), clf.predict_proba(TEXTS), rtol=1e-5)


def test_temperature_softens_sentiment_and_round_trips(tmp_path):
    clf = SklearnTextClassifier(vectorizer=CharNgramVectorizer(min_df=1).fit(TEXTS)).fit(TEXTS, LABELS)
    base = Analyzer({"sentiment": clf}, use_lexicon=False)
    warm = Analyzer({"sentiment": clf}, use_lexicon=False, temperature={"sentiment": 3.0})
    _, p0 = base.predict_proba("sentiment", TEXTS)
    _, p1 = warm.predict_proba("sentiment", TEXTS)
    np.testing.assert_allclose(p1.sum(axis=1), 1.0)
    assert (p0.argmax(axis=1) == p1.argmax(axis=1)).all()  # same decisions, less confident
    assert (np.abs(p1 - 0.5).max(axis=1) <= np.abs(p0 - 0.5).max(axis=1) + 1e-12).all()
    warm.to_disk(tmp_path / "a")
    back = Analyzer.from_disk(tmp_path / "a")
    assert back.temperature == {"sentiment": 3.0}
    np.testing.assert_allclose(back.predict_proba("sentiment", TEXTS)[1], p1, rtol=1e-6)
    base.to_disk(tmp_path / "b")
    assert "temperature" not in (tmp_path / "b" / "config.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "2", True])
def test_temperature_rejects_non_positive_numbers(bad):
    with pytest.raises(ValueError, match="temperature"):
        Analyzer({}, use_lexicon=False, temperature={"sentiment": bad})


def test_fit_temperature_recovers_the_temperature_that_made_the_probabilities():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from train_default import fit_temperature

    from voc.pipeline import scale_temperature

    rng = np.random.default_rng(0)
    true = rng.dirichlet([1.0, 1.0, 1.0], size=4000)  # calibrated probabilities
    gold = [["a", "b", "c"][rng.choice(3, p=row)] for row in true]
    sharp = scale_temperature(true, 0.5)  # an over-confident model
    assert abs(fit_temperature(sharp, ["a", "b", "c"], gold) - 2.0) <= 0.25
    with pytest.raises(ValueError):
        fit_temperature(sharp, ["a", "b", "c"], ["x"] * len(gold))


@pytest.fixture(scope="module")
def xdom():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "eval_cross_domain.py"
    spec = importlib.util.spec_from_file_location("eval_cross_domain", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_eval_recipes_parse_and_reject_unknown_parts(xdom):
    build, kw, vec_kw, C = xdom.parse_recipe("old+contrast+negation+q+c4")
    assert build is xdom.mix_old and kw == {"neutral_questions": True}
    assert vec_kw == {"contrast": True, "negation": True} and C == 4.0
    for bad in ("nope", "old+nope", "new+q"):
        with pytest.raises(ValueError):
            xdom.parse_recipe(bad)


def test_eval_ece_and_wins_losses(xdom):
    import pandas as pd

    gold = np.array(["negative", "positive"] * 50)
    sure = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]] * 50)
    assert xdom.ece(sure, gold) == pytest.approx(0.0)
    assert xdom.ece(sure[:, ::-1], gold) == pytest.approx(1.0)  # always wrong, fully confident
    table = pd.DataFrame([
        {"domain": "a", "model": "old", "binary_f1": 0.8, "f1_3": 0.5, "neutral_f1": None},
        {"domain": "a", "model": "new", "binary_f1": 0.9, "f1_3": 0.4, "neutral_f1": 0.3},
        {"domain": "b", "model": "old", "binary_f1": 0.7, "f1_3": None, "neutral_f1": None},
        {"domain": "b", "model": "new", "binary_f1": 0.702, "f1_3": None, "neutral_f1": None},
    ])
    assert xdom.wins_losses(table, "old", "new") == (1, 1, 1)
