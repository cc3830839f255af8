"""The labelling workflow: suggest, Label Studio / doccano round trips, agreement (API and CLI)."""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from click.testing import CliRunner

from voc.cli import main
from voc.labelling import (
    agreement,
    cohen_kappa,
    doccano_label_names,
    fleiss_kappa,
    from_doccano,
    from_label_studio,
    label_studio_config,
    suggest,
    to_doccano,
    to_label_studio,
)
from voc.taxonomy import TASKS, load_taxonomy


def test_cohen_kappa_matches_sklearn():
    from sklearn.metrics import cohen_kappa_score

    rng = random.Random(3)
    for _ in range(20):
        a = [rng.choice("abc") for _ in range(60)]
        b = [x if rng.random() < 0.6 else rng.choice("abc") for x in a]
        assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa(["x"] * 5, ["x"] * 5) == 1.0
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])
    with pytest.raises(ValueError):
        cohen_kappa([], [])


def test_fleiss_kappa_textbook_example():
    # Fleiss (1971) as worked in the literature: 10 items, 14 raters, 5 categories -> 0.210
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    ratings = [[c for c, k in enumerate(row) for _ in range(k)] for row in table]
    assert fleiss_kappa(ratings) == pytest.approx(0.210, abs=0.001)
    with pytest.raises(ValueError):
        fleiss_kappa([[1], [2]])


def test_agreement_single_and_multi_label():
    a = pd.DataFrame({"id": [1, 2, 3, 4], "sentiment": ["negative", "negative", "positive", "positive"],
                      "aspects": [["logistics"], ["logistics", "other"], ["other"], ["other"]]})
    b = pd.DataFrame({"id": [4, 3, 2, 1], "sentiment": ["negative", "positive", "negative", "negative"],
                      "aspects": [["other"], ["other"], ["logistics"], ["logistics"]]})
    res = agreement([a, b]).set_index("task")
    assert res.loc["sentiment", "kappa"] == pytest.approx(cohen_kappa(
        ["negative", "negative", "positive", "positive"], ["negative", "negative", "positive", "negative"]))
    assert res.loc["aspects", "per_label"]["logistics"] == pytest.approx(1.0)
    assert res.loc["aspects", "observed"] == pytest.approx(0.75)
    three = agreement([a, b, b]).set_index("task")
    assert set(three["method"]) == {"fleiss"}
    with pytest.raises(ValueError):
        agreement([a])
    with pytest.raises(ValueError):
        agreement([a, b.assign(id=[9, 8, 7, 6])])


@pytest.fixture(scope="module")
def pool():
    texts = ["电话一直打不通，算了", "很好吃，下次还来", "怎么开通花呗", "客服电话打不通，最后自己在app里弄好了",
             "菜凉了", "好评", "懒得退了，将就用吧", "物流太慢了，再也不买了", "骑手也不容易，就不投诉了",
             "怕被报复，不敢给差评", "要实名才能投诉，算了", "反馈了也没用", None, float("nan"), 42, ""]
    texts += [f"这家店送餐又慢了半个小时，第{c}次" for c in "一二三四五六七八九十百千万亿甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳"]
    return texts


def test_suggest_picks_diverse_usable_texts(nlp, pool):
    out = suggest(pool, n=12, task="non_complaint_reasons", nlp=nlp, seed=1)
    assert len(out) == 12
    assert out["pool_index"].is_unique
    assert all(isinstance(pool[i], str) and pool[i] for i in out["pool_index"])
    assert set(out["why"].str.split(":").str[0]) <= {"cue", "random", "uncertain"}
    assert (out["why"].str.startswith("cue:")).sum() >= 2
    for _, row in out[out["why"].str.startswith("cue:")].iterrows():
        label = row["why"].split(":", 1)[1]
        assert any(m.label == label for m in nlp.lexicon.match_task("non_complaint_reasons", row["text"]))
    # diversity: the 30 templated texts cannot fill the batch
    assert sum("送餐又慢了" in t for t in out["text"]) <= 3
    again = suggest(pool, n=12, task="non_complaint_reasons", nlp=nlp, seed=1)
    assert again["pool_index"].tolist() == out["pool_index"].tolist()


def test_suggest_guesses_with_per_label_and_single_thresholds(nlp, pool):
    """Multi-label guesses follow the analyzer's thresholds, one number or one per label."""
    import copy

    for thr in (0.5, {"let_it_go": 0.9, "channel_blocked": 0.05}):
        local = copy.copy(nlp)
        local.thresholds = {**nlp.thresholds, "non_complaint_reasons": thr}
        out = suggest(pool, n=8, task="non_complaint_reasons", nlp=local, seed=2, cue_share=0.0)
        classes, P = local.predict_proba("non_complaint_reasons", list(out["text"]))
        limit = [thr.get(c, 0.5) if isinstance(thr, dict) else thr for c in classes]
        want = [[c for c, p, t in zip(classes, row, limit, strict=True) if p >= t] for row in P]
        assert [list(g) for g in out["guess"]] == want


def test_suggest_excludes_and_validates(nlp, pool):
    out = suggest(pool, n=5, task="intent", nlp=nlp, exclude=["电话一直打不通，算了"], cue_share=0.0)
    assert "电话一直打不通，算了" not in set(out["text"])
    assert out["margin"].is_monotonic_increasing or "random" in set(out["why"])
    with pytest.raises(ValueError):
        suggest(pool, n=0, task="intent", nlp=nlp)
    with pytest.raises(ValueError):
        suggest(pool, n=3, task="nope", nlp=nlp)
    with pytest.raises(ValueError):
        suggest(pool, n=3, task="intent", nlp=nlp, cue_share=0.8, random_share=0.5)
    assert len(suggest([None, ""], n=3, task="intent", nlp=nlp)) == 0


def _gold_frame(n: int = 25, seed: int = 0) -> pd.DataFrame:
    tax = load_taxonomy()
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = {"id": f"t{i}", "text": f"文本{i}号，送餐慢"}
        for task in TASKS:
            codes = tax.codes(task)
            row[task] = sorted(rng.sample(codes, rng.randint(0, 2))) if tax.is_multi(task) else rng.choice(codes)
        if not row["aspects"]:
            row["aspects"] = ["other"]
        rows.append(row)
    return pd.DataFrame(rows)


def _annotate(ls_tasks):
    """What a Label Studio export looks like after an annotator accepted every prediction."""
    out = []
    for k, t in enumerate(ls_tasks):
        out.append({"id": 1000 + k, "data": t["data"],
                    "annotations": [{"id": k, "completed_by": 1, "was_cancelled": False,
                                     "result": t.get("predictions", [{}])[0].get("result", [])}]})
    return out


def test_label_studio_round_trip_and_config():
    gold = _gold_frame()
    back = from_label_studio(json.dumps(_annotate(to_label_studio(gold))))
    assert back["id"].tolist() == gold["id"].tolist()
    for task in TASKS:
        assert back[task].tolist() == gold[task].tolist(), task
    root = ET.fromstring(label_studio_config())
    blocks = {c.get("name"): c for c in root.iter("Choices")}
    tax = load_taxonomy()
    assert set(blocks) == set(TASKS)
    for task, block in blocks.items():
        assert [c.get("value") for c in block] == tax.codes(task)
        assert block.get("choice") == ("multiple" if tax.is_multi(task) else "single-radio")
    bad = _annotate(to_label_studio(gold.head(1)))
    bad[0]["annotations"][0]["result"] = [{"from_name": "intent", "value": {"choices": ["nonsense"]}}]
    with pytest.raises(ValueError):
        from_label_studio(bad)
    with pytest.raises(ValueError):
        from_label_studio({"not": "a list"})


def test_doccano_round_trip():
    gold = _gold_frame(seed=2)
    records = to_doccano(gold)
    assert all(lab in set(doccano_label_names()) for r in records for lab in r["label"])
    back = from_doccano("\n".join(json.dumps(r, ensure_ascii=False) for r in records))
    for task in TASKS:
        assert back[task].tolist() == gold[task].tolist(), task
    with pytest.raises(ValueError):
        from_doccano([{"text": "x", "label": ["positive"]}])
    with pytest.raises(ValueError):
        from_doccano([{"text": "x", "label": ["intent:nonsense"]}])


def test_cli_label_workflow_end_to_end(tmp_path, pool):
    runner = CliRunner()
    texts = [t for t in pool if isinstance(t, str) and t] + ["我的手机13812345678打不通客服"]
    pd.DataFrame({"id": [f"p{i}" for i in range(len(texts))], "text": texts}).to_csv(tmp_path / "pool.csv", index=False)
    r = runner.invoke(main, ["label", "suggest", str(tmp_path / "pool.csv"), "-n", "40", "--task",
                             "non_complaint_reasons", "-o", str(tmp_path / "todo.csv")])
    assert r.exit_code == 0, r.output
    todo = pd.read_csv(tmp_path / "todo.csv")
    assert len(todo) == 40  # the diverse picks run out: the rest is filled by uncertainty
    assert not todo["text"].str.contains("13812345678").any()
    assert {"suggest_why", "suggest_guess"} <= set(todo.columns)

    # two annotators label the same texts (Label Studio and doccano), then agreement
    gold = _gold_frame(len(todo), seed=4).assign(id=todo["id"].tolist(), text=todo["text"].tolist())
    gold.to_json(tmp_path / "pre.jsonl", orient="records", lines=True, force_ascii=False)
    r = runner.invoke(main, ["label", "export", str(tmp_path / "pre.jsonl"), "--format", "label-studio",
                             "-o", str(tmp_path / "ls.json"), "--config", str(tmp_path / "ls.xml")])
    assert r.exit_code == 0, r.output
    ET.parse(tmp_path / "ls.xml")
    exported = json.loads((tmp_path / "ls.json").read_text(encoding="utf-8"))
    (tmp_path / "ls_export.json").write_text(json.dumps(_annotate(exported), ensure_ascii=False), encoding="utf-8")
    r = runner.invoke(main, ["label", "import", str(tmp_path / "ls_export.json"), "--format", "label-studio",
                             "-o", str(tmp_path / "a.jsonl")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["label", "export", str(tmp_path / "pre.jsonl"), "--format", "doccano",
                             "-o", str(tmp_path / "dc.jsonl")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["label", "import", str(tmp_path / "dc.jsonl"), "--format", "doccano",
                             "-o", str(tmp_path / "b.jsonl")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["label", "agreement", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl"),
                             "--confusion", "sentiment", "-o", str(tmp_path / "kappa.csv")])
    assert r.exit_code == 0, r.output
    kappa = pd.read_csv(tmp_path / "kappa.csv").set_index("task")["kappa"]
    assert set(kappa.index) == set(TASKS)
    assert (kappa == 1.0).all()  # both tools carried the same labels

    # refuses to overwrite an input; clear errors for bad input
    r = runner.invoke(main, ["label", "import", str(tmp_path / "dc.jsonl"), "--format", "doccano",
                             "-o", str(tmp_path / "dc.jsonl")])
    assert r.exit_code == 2 and "refusing" in r.output
    (tmp_path / "junk.json").write_text("{not json", encoding="utf-8")
    r = runner.invoke(main, ["label", "import", str(tmp_path / "junk.json"), "--format", "label-studio",
                             "-o", str(tmp_path / "x.csv")])
    assert r.exit_code == 2 and "not a label-studio export" in r.output
    r = runner.invoke(main, ["label", "suggest", str(tmp_path / "pool.csv"), "--task", "nope", "-o",
                             str(tmp_path / "y.csv")])
    assert r.exit_code == 2 and "unknown task" in r.output


def test_per_label_thresholds_apply_and_persist(tmp_path):
    """A multi-label threshold may be a {label: threshold} map; it survives to_disk / from_disk."""
    import voc

    nlp = voc.load()
    text = "电话一直打不通，算了"
    nlp.thresholds["non_complaint_reasons"] = {"let_it_go": 0.999}
    assert "let_it_go" not in [lab.label for lab in nlp(text).non_complaint_reasons]
    nlp.thresholds["non_complaint_reasons"] = {"let_it_go": 0.05, "channel_blocked": 0.05}
    labels = [lab.label for lab in nlp(text).non_complaint_reasons]
    assert {"let_it_go", "channel_blocked"} <= set(labels)
    nlp.to_disk(tmp_path / "m")
    again = voc.load(tmp_path / "m")
    assert again.thresholds["non_complaint_reasons"] == {"let_it_go": 0.05, "channel_blocked": 0.05}
    assert [lab.label for lab in again(text).non_complaint_reasons] == labels
    classes, P = again.predict_proba("non_complaint_reasons", [text, None])
    assert P.shape == (2, len(classes)) and (P[1] != P[1]).all()


def test_suggest_progress_bar_scores_in_chunks_with_the_same_picks(nlp, capsys):
    import importlib

    from voc.labelling import suggest

    sug = importlib.import_module("voc.labelling.suggest")  # the module (the package exports the function)
    pool = [f"客服电话打不通，第{i}次了，算了" if i % 3 else f"物流太慢了{i}" for i in range(60)]
    plain = suggest(pool, n=12, task="non_complaint_reasons", nlp=nlp, progress=False)
    classes, P = sug._scores(nlp, "non_complaint_reasons", pool, True, chunk=7)  # 9 chunks
    classes0, P0 = nlp.predict_proba("non_complaint_reasons", pool)
    assert classes == classes0 and P.shape == P0.shape and abs(P - P0).max() < 1e-12
    barred = suggest(pool, n=12, task="non_complaint_reasons", nlp=nlp, progress=True)
    assert barred.equals(plain)
    assert "voc suggest" in capsys.readouterr().err
