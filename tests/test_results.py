"""Lazily filled, slotted result objects (#16) keep the dataclass-like public API."""

from __future__ import annotations

import copy
import pickle

import pytest

import voc
from voc.results import MULTI_TASKS, SINGLE_TASKS, Label, Prediction, Result

TEXTS = ["客服电话一直打不通，算了不投诉了", "物流太慢了，差评", "很好吃，下次还来", "退款三天了还没到账，再不处理就投诉"]


@pytest.fixture(scope="module")
def nlp() -> voc.Analyzer:
    return voc.load()


def test_lazy_result_equals_its_materialized_copy(nlp: voc.Analyzer) -> None:
    lazy = list(nlp.pipe(TEXTS))
    filled = [copy.copy(r).materialize() for r in nlp.pipe(TEXTS)]
    assert lazy == filled
    for r in filled:
        assert r._src is None
        assert isinstance(r.sentiment, Prediction)
        assert all(isinstance(x, Label) for t in MULTI_TASKS for x in getattr(r, t))


def test_pickle_fills_values_and_drops_the_batch(nlp: voc.Analyzer) -> None:
    r = nlp(TEXTS[0])
    r._tokenize = None  # as n_process workers send them back
    data = pickle.dumps(r)
    assert b"_Batch" not in data and b"Analyzer" not in data  # no batch travels with a result
    back = pickle.loads(data)
    assert back == r
    assert back.to_json() == r.to_json()


def test_repr_lists_every_field_like_a_dataclass(nlp: voc.Analyzer) -> None:
    r = nlp(TEXTS[1])
    text = repr(r)
    assert text.startswith("Result(text=")
    for name in (*SINGLE_TASKS, *MULTI_TASKS, "error", "truncated", "changes", "extra"):
        assert f"{name}=" in text
    assert "_tokenize" not in text


def test_plain_construction_and_assignment() -> None:
    r = Result(text="x", error="ValueError: bad")
    assert r.sentiment.label == "" and r.aspects == [] and r.extra == {}
    r.sentiment = Prediction(label="negative", score=-0.5, scores={"negative": 0.7})
    assert r.to_dict()["sentiment"] == "negative"
    assert Result("a") == Result("a") and Result("a") != Result("b")
    with pytest.raises(TypeError):
        hash(Result("a"))
    with pytest.raises(AttributeError):
        r.unknown_field = 1  # slotted: no stray attributes


def test_values_objects_are_frozen() -> None:
    p = Prediction(label="a", score=1.0)
    with pytest.raises(AttributeError):
        p.label = "b"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(p)) == p


def test_batch_cue_scan_matches_one_text_at_a_time() -> None:
    """``Lexicon.match_many`` (texts joined, one scan) finds what ``match_task`` finds per text."""
    import random

    from voc.lexicon import Cue, Lexicon

    lex = Lexicon.default()
    odd = Lexicon([Cue("t", "a", r"^好", 1.0), Cue("t", "b", r"[^x]了", 1.0), Cue("u", "c", r"(?<!不)好.{0,2}吃", 1.0),
                   Cue("u", "d", r"差\b|\w+评$", 1.0)])
    assert set(lex._joined) == set(lex.tasks)  # the shipped table is scanned a batch at a time
    assert "t" not in odd._joined and "u" not in odd._joined  # ^ / [^x] / $ need one text at a time
    rng = random.Random(1)
    alphabet = "".join({c for cue in lex.cues for c in cue.pattern if ord(c) > 0x2000}) + "好吃不了差评x \n"
    for lexicon in (lex, odd):
        for _ in range(50):
            texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(rng.randint(0, 9))]
            for task in lexicon.tasks:
                assert lexicon.match_many(task, texts) == [lexicon.match_task(task, t) for t in texts], texts


def test_analyze_frame_chunks_give_the_same_frame(nlp: voc.Analyzer) -> None:
    import pandas as pd

    df = pd.DataFrame({"text": [*TEXTS, None, "", "还行吧", *TEXTS]}, index=range(100, 111))
    whole = voc.analyze_frame(df, nlp=nlp, chunksize=None)
    for size in (1, 3, 20_000):
        pd.testing.assert_frame_equal(voc.analyze_frame(df, nlp=nlp, chunksize=size), whole)
    assert len(voc.analyze_frame(df.iloc[:0], nlp=nlp)) == 0
    with pytest.raises(ValueError, match="chunksize"):
        voc.analyze_frame(df, nlp=nlp, chunksize=0)


def test_prediction_scores_are_built_on_access_and_equal_eager_ones(nlp: voc.Analyzer) -> None:
    r = nlp(TEXTS[2])
    lazy = r.emotion
    eager = Prediction(lazy.label, lazy.score, dict(lazy.scores), lazy.evidence)
    assert lazy == eager and repr(lazy) == repr(eager)
    assert sum(lazy.scores.values()) == pytest.approx(1.0)
    assert copy.deepcopy(lazy) == lazy and pickle.loads(pickle.dumps(lazy)) == lazy
    with pytest.raises(TypeError):
        hash(lazy)  # like a frozen dataclass holding a dict


def test_materialize_leaves_no_reference_to_the_batch(nlp: voc.Analyzer) -> None:
    import gc

    from voc.pipeline import _Batch

    r = next(iter(nlp.pipe(["客服电话一直打不通，算了不投诉了，自己搞定"]))).materialize()
    assert r.non_complaint_reasons and all(lab._src is None for lab in r.non_complaint_reasons)
    gc.collect()
    assert not [o for o in gc.get_referrers(r) if isinstance(o, _Batch)]
    assert r._src is None
