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


# ------------------------------------------------------------------ issue #15: masking, strict loading, n_process
PII_TEXT = "客服电话13812345678打不通，邮箱zhang.san@example.com也没人回"


def _set_config(path, **changes):
    import json

    cfg = json.loads((path / "config.json").read_text(encoding="utf-8"))
    cfg.update(changes)
    (path / "config.json").write_text(json.dumps(cfg), encoding="utf-8")


def test_model_config_cannot_turn_pii_masking_off(nlp, tmp_path):
    import warnings

    nlp.to_disk(tmp_path)
    _set_config(tmp_path, normalize={"mask_pii": False, "t2s": True})
    with pytest.warns(UserWarning, match="'mask_pii' in a model config is ignored"):
        loaded = voc.load(tmp_path)
    text = loaded(PII_TEXT).text
    assert "13812345678" not in text and "zhang.san" not in text and "<PHONE>" in text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert "13812345678" in voc.load(tmp_path, mask_pii=False)(PII_TEXT).text  # the caller decides
        assert "13812345678" in voc.load(tmp_path, normalize={"mask_pii": False})(PII_TEXT).text
    # to_disk never writes the caller's choice into the model
    (tmp_path / "off").mkdir()
    voc.load(mask_pii=False).to_disk(tmp_path / "off")
    import json

    assert "mask_pii" not in json.loads((tmp_path / "off" / "config.json").read_text())["normalize"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to ignore, nothing to warn about
        assert "<PHONE>" in voc.load(tmp_path / "off")(PII_TEXT).text


def test_symlinks_out_of_the_model_dir_are_refused(nlp, tmp_path):
    m, outside = tmp_path / "m", tmp_path / "outside"
    nlp.to_disk(m)
    outside.mkdir()
    (m / "sklearn.safetensors").rename(outside / "sklearn.safetensors")
    (m / "sklearn.safetensors").symlink_to(outside / "sklearn.safetensors")
    with pytest.raises(ValueError, match="outside the model directory"):
        voc.load(m)
    (m / "sklearn.safetensors").unlink()
    (m / "sub").symlink_to(outside, target_is_directory=True)  # a linked subfolder
    (m / "sklearn.json").rename(outside / "sklearn.json")
    comps = {t: {"backend": "sklearn", "file": "sub/sklearn"} for t in nlp.tasks}
    _set_config(m, components=comps)
    with pytest.raises(ValueError, match="outside the model directory"):
        voc.load(m)
    (m / "sub").unlink()
    (outside).rename(m / "sub")  # the same files really inside: fine
    assert voc.load(m).tasks == nlp.tasks
    (m / "taxonomy.json").rename(tmp_path / "taxonomy.json")
    (m / "taxonomy.json").symlink_to(tmp_path / "taxonomy.json")
    with pytest.raises(ValueError, match="outside the model directory"):
        voc.load(m)
    (m / "taxonomy.json").unlink()
    (tmp_path / "link").symlink_to(m, target_is_directory=True)  # the folder itself may be a link
    assert voc.load(tmp_path / "link").tasks == nlp.tasks


@pytest.mark.parametrize("config", [
    "[]", "3", '"voc"', "{not json", '{"format": "voc-analyzer-1"}',
    '{"format": "voc-analyzer-1", "components": []}',
    '{"format": "voc-analyzer-1", "components": {"intent": "sklearn"}}',
    '{"format": "voc-analyzer-1", "components": {"intent": {"file": "sklearn"}}}',
    '{"format": "voc-analyzer-1", "components": {"intent": {"backend": "sklearn"}}}',
    '{"format": "voc-analyzer-1", "components": {"intent": {"backend": "sklearn", "file": 3}}}',
    '{"format": "voc-analyzer-1", "components": {"nope": {"backend": "sklearn", "file": "sklearn"}}}',
    '{"format": "voc-analyzer-1", "components": {"intent": {"backend": "snownlp", "x": 1}}}',
])
def test_malformed_config_gives_value_error_naming_the_file(nlp, tmp_path, config):
    nlp.to_disk(tmp_path)
    (tmp_path / "config.json").write_text(config, encoding="utf-8")
    with pytest.raises(ValueError, match=str(tmp_path)):
        voc.load(tmp_path)


@pytest.mark.parametrize("field,value", [
    ("blend", "high"), ("blend", {"emotion": "x"}), ("thresholds", [0.5]), ("thresholds", {"aspects": {"x": "y"}}),
    ("max_length", "long"), ("max_length", 0), ("normalize", ["t2s"]), ("normalize", {"t2s": "yes"}),
    ("normalize", {"no_such_option": True}), ("use_lexicon", "no"), ("model_evidence", "behaviors"),
])
def test_wrong_config_types_give_value_error(nlp, tmp_path, field, value):
    nlp.to_disk(tmp_path)
    _set_config(tmp_path, **{field: value})
    with pytest.raises(ValueError, match=f"{tmp_path}.*{field}"):
        voc.load(tmp_path)


def test_malformed_model_files_give_value_error(nlp, tmp_path):
    import json

    nlp.to_disk(tmp_path)
    meta = json.loads((tmp_path / "sklearn.json").read_text(encoding="utf-8"))
    for bad in ([meta], {k: v for k, v in meta.items() if k != "heads"}, {**meta, "vectorizers": [{}]}):
        (tmp_path / "sklearn.json").write_text(json.dumps(bad), encoding="utf-8")
        with pytest.raises(ValueError, match="sklearn"):
            voc.load(tmp_path)
    (tmp_path / "sklearn.json").write_text(json.dumps(meta), encoding="utf-8")
    (tmp_path / "taxonomy.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="taxonomy"):
        voc.load(tmp_path)


def test_pipe_n_process_gives_identical_results(nlp):
    base = ["客服电话一直打不通，算了不投诉了", "物流超快，第二天就到了", "退款三天了还没到账", "还行吧",
            "质量太差了，再也不买了", "包装破损，联系客服没人理"]
    texts: list = [f"{base[i % len(base)]}（第{i}单）" for i in range(200)]
    texts[7], texts[50], texts[123], texts[199] = None, 42, "", float("nan")
    one = [r.to_json() for r in nlp.pipe(texts, batch_size=32)]
    parallel = list(nlp.pipe(iter(texts), batch_size=32, n_process=2))
    assert len(parallel) == len(texts) == 200
    assert [r.to_json() for r in parallel] == one
    assert [r.error is not None for r in parallel].count(True) == 4 and parallel[7].error
    assert parallel[0].tokens == nlp(texts[0]).tokens  # results still tokenize in this process
    short = [r.to_json() for r in nlp.pipe(texts[:10], batch_size=32, n_process=2)]  # one batch: in process
    assert short == one[:10]
    assert [r.to_json() for r in nlp.pipe(texts[:40], batch_size=8, n_process=-1)] == one[:40]


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
