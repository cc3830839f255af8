"""The analyzer API: results, batches, bad input, persistence, safety."""

from __future__ import annotations

import math
import subprocess
import sys

import pandas as pd
import pytest

import voc
from voc.results import MULTI_TASKS, SINGLE_TASKS

FLAT = ["sentiment", "sentiment_score", "emotion", "intent", "non_complaint_reasons", "complaint_stage",
        "behaviors", "aspects", "journey_stage", "temperament", "error"]


def test_single_text_result(nlp):
    r = nlp("客服电话一直打不通，算了不投诉了")
    assert r.sentiment.label == "negative"
    assert -1.0 <= r.sentiment.score <= 0
    for task in SINGLE_TASKS:
        pred = getattr(r, task)
        assert pred.label in nlp.taxonomy.codes(task)
        assert set(pred.scores) == set(nlp.taxonomy.codes(task)) or task == "sentiment"
        assert math.isclose(sum(pred.scores.values()), 1.0, abs_tol=1e-3)
    codes = [x.label for x in r.non_complaint_reasons]
    assert "channel_blocked" in codes
    ev = next(x for x in r.non_complaint_reasons if x.label == "channel_blocked").evidence
    assert ev and r.text[ev[0].start : ev[0].end] == ev[0].text
    assert r.tokens and all(isinstance(t, str) for t in r.tokens)
    d = r.to_dict()
    assert list(d)[: len(FLAT)] == FLAT  # the original columns first, unchanged; score columns follow
    assert isinstance(d["non_complaint_reasons"], list) and d["error"] is None


def test_positive_and_neutral(nlp):
    assert nlp("物流超快，包装很好，五星好评👍").sentiment.label == "positive"
    assert nlp("请问这个套餐怎么办理？").intent.label in ("inquiry", "help_request")


@pytest.mark.parametrize("bad", [None, float("nan"), 3, 2.5, b"\xff\xfe\xfa", "", "   ", object()])
def test_single_text_bad_input_raises(nlp, bad):
    with pytest.raises((TypeError, ValueError)):
        nlp(bad)


def test_pipe_keeps_every_row_in_order(nlp):
    texts = ["太慢了", None, "好评", float("nan"), 42, "退款".encode("gb18030"), "", "\x00\x01", "ok" * 10,
             "很满意\ud800", "物流很慢客服不理" * 125_000]
    out = list(nlp.pipe(texts, batch_size=3))
    assert len(out) == len(texts)
    assert out[0].error is None and out[2].error is None
    for i in (1, 3, 4, 6):
        assert out[i].error and out[i].sentiment.label == "" and out[i].to_dict()["sentiment"] is None
    assert out[5].error is None and out[5].text == "退款"
    assert out[7].error  # only control characters: empty after normalization
    assert out[9].error is None
    assert out[10].truncated and len(out[10].text) == nlp.max_length


def test_predict_one_task(nlp):
    preds = nlp.predict("intent", ["我要退货", None])
    assert preds[0]["label"] in nlp.taxonomy.codes("intent") and 0 <= preds[0]["score"] <= 1
    assert preds[1]["label"] is None
    multi = nlp.predict("aspects", ["快递三天都没到"])
    assert isinstance(multi[0], list)
    with pytest.raises(KeyError):
        nlp.predict("nope", ["x"])


def test_pii_is_masked_in_results(nlp):
    r = nlp("我手机13812345678，身份证110101199003074514，退款怎么还没到")
    blob = str(r.to_json())
    assert "13812345678" not in blob and "110101199003074514" not in blob
    assert "<PHONE>" in r.text


def test_analyze_frame_appends_columns():
    df = pd.DataFrame({"id": [1, 2, 3], "text": ["物流太慢了，差评", None, "很好吃"]}, index=[10, 11, 12])
    out = voc.analyze_frame(df)
    assert len(out) == 3 and list(out.index) == [10, 11, 12]
    for col in FLAT:
        assert col in out.columns
    assert out.loc[11, "error"] and pd.isna(out.loc[10, "error"])
    with pytest.raises(KeyError):
        voc.analyze_frame(df, text_col="content")
    with pytest.raises(TypeError):
        voc.analyze_frame(["a"])


def test_analyze_frame_keeps_gold_columns():
    df = pd.DataFrame({"text": ["太差了"], "sentiment": ["negative"]})
    with pytest.warns(UserWarning):
        out = voc.analyze_frame(df)
    assert "sentiment_pred" in out.columns and out["sentiment"].tolist() == ["negative"]


def test_datasets_map():
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"text": ["发货太慢", "好评"]})
    out = ds.map(voc.analyze_batch, batched=True)
    assert out["sentiment"][1] == "positive" and len(out) == 2


def test_to_disk_from_disk_roundtrip(nlp, tmp_path):
    nlp.to_disk(tmp_path / "m")
    again = voc.load(tmp_path / "m")
    texts = ["客服一直不回消息，无语子", "退款到账了，谢谢"]
    assert [r.to_dict() for r in nlp.pipe(texts)] == [r.to_dict() for r in again.pipe(texts)]


def test_malicious_pickle_is_refused(tmp_path, nlp):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    nlp.to_disk(tmp_path)
    (tmp_path / "sklearn.safetensors").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(ValueError, match="not a voc sklearn model"):
        voc.load(tmp_path)
    (tmp_path / "config.json").write_text('{"format": "voc-analyzer-1", "components": '
                                          '{"intent": {"backend": "pickle", "file": "m.pkl"}}}')
    with pytest.raises(ValueError, match="unknown backend"):
        voc.load(tmp_path)


def test_model_dir_paths_cannot_escape(tmp_path, nlp):
    import json

    nlp.to_disk(tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    cfg["components"]["intent"]["file"] = "../../etc/passwd"
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="escapes"):
        voc.load(tmp_path)


def test_import_is_light():
    code = "import sys, voc; bad = [m for m in ('torch', 'transformers', 'datasets', 'snownlp', 'sklearn') " \
           "if m in sys.modules]; print(bad)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_multi_tasks_are_lists(nlp):
    r = nlp("快递丢了，客服踢皮球，姐妹们避雷，已经给了差评")
    for task in MULTI_TASKS:
        assert isinstance(getattr(r, task), list)
    assert "negative_review" in [b.label for b in r.behaviors]


def test_analyze_frame_masks_pii_in_the_copied_text():
    df = pd.DataFrame({"text": ["我手机13812345678，退款还没到", "好评"]})
    out = voc.analyze_frame(df)
    assert "13812345678" not in out.to_csv() and "<PHONE>" in out.loc[0, "text"]
    assert df.loc[0, "text"].endswith("退款还没到") and "13812345678" in df.loc[0, "text"]  # input untouched
    raw = voc.analyze_frame(df, mask_input=False)
    assert "13812345678" in raw.loc[0, "text"]


@pytest.mark.parametrize("text", ['真是"好"服务呢，等了三天没人理[微笑]', "谢谢你们让我等了一个星期[微笑]",
                                  "[怒][怒]", "😡😡"])
def test_informal_negative_signals(nlp, text):
    """Sarcasm markers ([微笑] after a complaint, quoted praise) and angry emoticons read as negative."""
    assert nlp(text).sentiment.label == "negative"


def test_emoji_only_praise(nlp):
    r = nlp("👍👍👍")
    assert r.sentiment.label == "positive" and r.sentiment.score > 0


def test_flat_record_has_a_score_for_every_task(nlp):
    """Result.to_dict: <task>_score per single-label task, {label: score} per multi-label task."""
    from voc.results import RECORD_COLUMNS

    r = nlp("客服电话一直打不通，算了不投诉了，物流也太慢了")
    d = r.to_dict()
    assert list(d) == list(RECORD_COLUMNS)
    for task in SINGLE_TASKS:
        pred = getattr(r, task)
        assert d[f"{task}_score"] == pred.score and isinstance(d[f"{task}_score"], float)
        if task != "sentiment":
            assert 0.0 < d[f"{task}_score"] <= 1.0 and d[f"{task}_score"] == pred.scores[pred.label]
    for task in MULTI_TASKS:
        assert d[f"{task}_scores"] == {lab.label: lab.score for lab in getattr(r, task)}
        assert list(d[f"{task}_scores"]) == d[task]  # exactly the predicted labels, same order
    assert d["non_complaint_reasons_scores"] and d["aspects_scores"]
    bad = next(iter(nlp.pipe([None]))).to_dict()
    assert bad["error"] and all(bad[c] is None for c in RECORD_COLUMNS if c.endswith(("_score", "_scores")))


def test_analyze_frame_and_batch_score_columns(nlp):
    """analyze_frame adds the score columns after the original ones; analyze_batch stays Arrow-friendly."""
    import json

    import pyarrow as pa

    from voc.frame import OUTPUT_COLUMNS
    from voc.results import FLAT_COLUMNS, SCORE_COLUMNS

    texts = ["物流太慢了，差评", None, "客服电话打不通，算了"]
    out = voc.analyze_frame(pd.DataFrame({"text": texts}), nlp=nlp)
    assert list(out.columns) == ["text", *FLAT_COLUMNS, "evidence", *SCORE_COLUMNS]
    assert list(OUTPUT_COLUMNS[: len(FLAT_COLUMNS) + 1]) == [*FLAT_COLUMNS, "evidence"]
    assert out["emotion_score"].dtype == "float64" and out["emotion_score"].isna().tolist() == [False, True, False]
    assert out.loc[2, "non_complaint_reasons_scores"].keys() == set(out.loc[2, "non_complaint_reasons"])
    assert out.loc[1, "aspects_scores"] is None

    batch = voc.analyze_batch({"text": texts, "id": [0, 1, 2]}, nlp=nlp)
    assert json.loads(batch["aspects_scores"][0]) == out.loc[0, "aspects_scores"]
    assert batch["aspects_scores"][1] == "null"
    table = pa.Table.from_pydict(batch)  # one Arrow type per column
    for col in SCORE_COLUMNS:
        assert table.schema.field(col).type == (pa.string() if col.endswith("_scores") else pa.float64())
