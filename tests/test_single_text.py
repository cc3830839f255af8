"""``nlp(text)`` takes a single-text path (#16); it must give what the batch path gives, field by field.

The path (``voc.pipeline._SinglePlan``) counts one text's n-grams with a binary search, sums the
products row by row and decides without the batch bookkeeping. Compared here with ``nlp.pipe`` (large
batches: the scipy product; one-text batches: the numpy one) on texts of both test splits and on
awkward inputs; floats to 1e-9 (they are bit-identical on the machines tried), everything else exactly.
"""

from __future__ import annotations

import copy
import pickle
import random
from typing import Any

import numpy as np
import pytest
from test_speed_parity import _diff, _normalised

import voc
from voc._input import coerce_text
from voc.features import CharNgramVectorizer, negation_augment
from voc.pipeline import _SinglePlan

AWKWARD = [
    "好", "不", "😀", "😀😀😀👍🏻🎉", "👨‍👩‍👧‍👦", "？？？！！！", "...", "a", "OK",
    "Hello 你好 こんにちは 안녕하세요 Привет مرحبا 123 ×÷∞",
    "這個服務太差了，客服電話一直打不通",  # traditional: t2s
    "ＡＢＣ１２３！全角的字　也有",  # full-width
    "  前后有空格  ", "第一行\n第二行：退款三天了还没到账\n第三行算了",  # newlines (cue scans per text)
    "电话13812345678打不通，邮箱 a.b@example.com 也没人回",  # PII masking
    "零宽\u200b字符\u200d在中间", "控制\x07字符", "含\x00空字符的文本", "\ufeff带BOM",
    "好" * 5000, "退款" * 1500 + "算了不投诉了",  # truncated (max_length, raw clip)
    "物流太慢了，差评！！！！！！！！" * 40, "abc" * 700 + "客服态度很差",
    "𠮷野家的𩸽很好吃",  # outside the BMP
    "没有不满意的地方，但是物流有点慢，不过客服态度不错",
    "[微笑][微笑]还行吧", "哈哈哈哈哈哈哈哈哈哈哈哈", "1234567890", "\t\t缩进\t",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    from voc.datasets import load_frame

    out: list[str] = []
    for corpus, step in (("voc_zh", 7), ("voc_real_zh", 9)):
        out += load_frame(corpus, split="test", validate=False)["text"].tolist()[::step]
    return out + AWKWARD


def _records(results: Any) -> list[dict[str, Any]]:
    return [_normalised(r.to_json()) for r in results]


def _check_same(nlp: voc.Analyzer, texts: list[str]) -> None:
    single = [_normalised(nlp(t).to_json()) for t in texts]
    batched = _records(nlp.pipe(texts, batch_size=256))
    one_row = _records(r for t in texts for r in nlp.pipe([t]))
    bad = [d for i in range(len(texts)) for d in (_diff(batched[i], single[i], f"[{i}] {texts[i][:20]!r}"),
                                                   _diff(one_row[i], single[i], f"[{i}] one-row"))
           if d]
    assert not bad, f"{len(bad)} differences; first: {bad[:3]}"


def test_shipped_models_take_the_single_text_path(nlp: voc.Analyzer) -> None:
    assert isinstance(nlp._single_plan(), _SinglePlan)


def test_single_text_equals_pipe_on_corpora_and_awkward_inputs(nlp: voc.Analyzer, texts: list[str]) -> None:
    assert len(texts) > 300
    _check_same(nlp, texts)


def test_single_text_equals_pipe_field_by_field(nlp: voc.Analyzer) -> None:
    """Every field, lazy attributes included: labels, scores, evidence, flat record, tokens."""
    for text in AWKWARD + ["电话一直打不通，算了", "客服电话一直打不通，算了不投诉了，以后不买了"]:
        a = nlp(text)
        b = next(nlp.pipe([text, "凑一个批次"]))
        assert a.to_dict() == b.to_dict()
        assert a.evidence == b.evidence
        assert (a.text, a.truncated, a.changes, a.error) == (b.text, b.truncated, b.changes, b.error)
        for task in nlp.tasks:
            va, vb = getattr(a, task), getattr(b, task)
            if isinstance(va, list):
                assert [(x.label, x.evidence) for x in va] == [(x.label, x.evidence) for x in vb]
                assert np.allclose([x.score for x in va], [x.score for x in vb], rtol=0, atol=1e-9)
            else:
                assert (va.label, va.evidence, list(va.scores)) == (vb.label, vb.evidence, list(vb.scores))
                assert np.allclose(list(va.scores.values()), list(vb.scores.values()), rtol=0, atol=1e-9)
        assert a.tokens == b.tokens
        assert pickle.loads(pickle.dumps(a)).to_json() == a.to_json()


def test_bytes_and_bad_inputs_behave_as_before(nlp: voc.Analyzer) -> None:
    assert nlp("退款三天了还没到账".encode("gb18030")).to_json() == nlp("退款三天了还没到账").to_json()
    for bad, exc in ((None, TypeError), (3.5, TypeError), ("", ValueError), ("   ", ValueError),
                     ("\u200b\u200b", ValueError), (" " * 5000 + "好", ValueError)):
        with pytest.raises(exc) as single:
            nlp(bad)
        with pytest.raises(exc) as batch:  # what nlp(text) did before the single-text path
            batch_result = nlp._analyze([coerce_text(bad)])[0]
            if batch_result.error:
                raise ValueError(batch_result.error.removeprefix("ValueError: "))
        assert str(single.value) == str(batch.value)


def test_settings_changed_after_a_call_are_used(nlp: voc.Analyzer, texts: list[str]) -> None:
    other = copy.copy(nlp)
    other.thresholds = copy.deepcopy(nlp.thresholds)
    other.blend = dict(nlp.blend)
    sample = texts[::10]
    other(sample[0])
    plan = other._single_plan()
    other.blend["non_complaint_reasons"] = 0.0
    other.thresholds["behaviors"] = 0.2
    other.temperature = {"sentiment": 1.5, "emotion": 0.8}
    other.model_evidence = ("aspects",)
    assert other._single_plan() is not plan
    _check_same(other, sample)
    other.thresholds["behaviors"] = {"negative_review": 0.1}
    _check_same(other, sample)
    other.thresholds["behaviors"]["direct_complaint"] = 0.05  # in place, nested
    _check_same(other, sample)
    assert nlp._single_plan() is not other._single_plan()
    assert "_single_cache" not in pickle.loads(pickle.dumps(other)).__dict__


class _Constant:
    """A component that is not a linear head: nlp(text) falls back to the batch path."""

    classes_ = ["negative", "neutral", "positive"]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return np.tile([0.2, 0.3, 0.5], (len(texts), 1))


def test_other_components_fall_back_to_the_batch_path(nlp: voc.Analyzer, texts: list[str]) -> None:
    other = copy.copy(nlp)
    other.components = dict(nlp.components)
    other.replace("sentiment", _Constant())
    assert other._single_plan() is None
    assert other("很好吃").sentiment.label == "positive"
    _check_same(other, texts[::20])


def test_count_row_and_weight_row_equal_the_batch_features() -> None:
    rng = random.Random(0)
    alphabet = "好吃不贵慢死了客服电话打通退款没到账¬ abcABC，。！\x00😀𠮷"
    corpus = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(400)]
    params: dict[str, Any]
    for params in ({}, {"ngram_range": (2, 3)}, {"ngram_range": (1, 1)}, {"sublinear_tf": False},
                   {"negation": True, "contrast": True}, {"lowercase": False}, {"idf64": True}):
        idf64 = params.pop("idf64", False)
        vec = CharNgramVectorizer(min_df=1, **params).fit(corpus[:300])
        if idf64:  # an idf of another type still gives float32 features, as in the batch
            vec.idf_ = vec.idf_.astype(np.float64) * (1 + 1e-9)
        probe = corpus[300:] + ["", "a", "ab", "好" * 3000, negation_augment("不太好")]
        X = vec.transform_rows(*vec.ngrams(probe))
        for i, text in enumerate(probe):
            cols, counts = vec.count_row(text)
            indices, data = vec.weight_row(cols, counts)
            lo, hi = X.indptr[i], X.indptr[i + 1]
            assert np.array_equal(indices, X.indices[lo:hi]), (params, text)
            assert indices.dtype == X.indices.dtype and data.dtype == X.data.dtype
            assert np.array_equal(data, X.data[lo:hi]), (params, text)


def test_softmax_sums_in_blocks_equal_each_heads_own_sum() -> None:
    from voc.pipeline import _softmax_sum_blocks

    rng = np.random.default_rng(1)
    for _ in range(50):
        lengths = rng.integers(2, 40, rng.integers(1, 9)).tolist()
        starts = np.cumsum([0, *lengths[:-1]]).tolist()
        zero = sum(lengths)
        blocks, sum_of_col = _softmax_sum_blocks(list(zip(starts, lengths, strict=True)), zero)
        e = np.append(rng.exponential(1.0, zero) * 10.0 ** rng.uniform(-3, 3), 0.0)
        sums = np.concatenate([np.add.reduce(e.take(b), axis=1) for b in blocks])
        for start, n in zip(starts, lengths, strict=True):
            expected = e[None, start:start + n].sum(axis=1)[0]  # LinearHead's row sum
            assert (sums[sum_of_col[start:start + n]] == expected).all()
