"""The command line: analyze / train / evaluate / demo, and one-line errors."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from voc.cli import main


def test_analyze_csv_to_csv_and_jsonl(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"text": ["物流太慢了", "", "好评，推荐"]}).to_csv(src, index=False)
    for ext in ("csv", "jsonl", "parquet", "xlsx"):
        out = tmp_path / f"out.{ext}"
        res = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out)])
        assert res.exit_code == 0, res.output
        assert out.exists()
    back = pd.read_csv(tmp_path / "out.csv")
    assert len(back) == 3 and "non_complaint_reasons" in back.columns
    assert back["error"].notna().sum() == 1


def test_analyze_bad_inputs_exit_nonzero(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["analyze", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code != 0 and "no such file" in res.output
    src = tmp_path / "in.csv"
    pd.DataFrame({"content": ["x"]}).to_csv(src, index=False)
    res = runner.invoke(main, ["analyze", str(src), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code != 0 and "no column 'text'" in res.output
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    res = runner.invoke(main, ["analyze", str(bad), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code != 0 and "could not read" in res.output
    res = runner.invoke(main, ["analyze", str(tmp_path / "x.doc"), "-o", str(tmp_path / "o.csv")])
    assert res.exit_code != 0 and "unsupported" in res.output


def test_train_and_evaluate_custom_labels(tmp_path):
    """A new label set (here an 'invoice' intent) trains without code changes."""
    rows = [(f"请问{x}怎么开发票", "invoice") for x in ("订单", "会员", "话费", "机票", "酒店", "外卖")]
    rows += [(f"{x}坏了我要退货", "refund_return") for x in ("耳机", "鞋子", "杯子", "衣服", "电视", "台灯")]
    rows += [(f"{x}太慢了，快点处理", "urge") for x in ("退款", "发货", "审核", "维修", "配送", "客服")]
    data = tmp_path / "labels.csv"
    pd.DataFrame(rows, columns=["text", "intent"]).assign(split="train").to_csv(data, index=False)
    runner = CliRunner()
    model = tmp_path / "model"
    res = runner.invoke(main, ["train", "intent", str(data), "-o", str(model)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["evaluate", str(data), "--model", str(model), "--task", "intent", "--split", "train"])
    assert res.exit_code == 0, res.output
    assert "intent" in res.output
    import voc

    nlp = voc.load(model)
    assert "invoice" in nlp.components["intent"].classes_
    assert nlp("请问这个月的话费怎么开发票").intent.label == "invoice"


def test_demo(tmp_path):
    out = tmp_path / "demo.csv"
    res = CliRunner().invoke(main, ["demo", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "why customers did not complain" in res.output
    assert len(pd.read_csv(out)) == 30


def test_analyze_outputs_scores_and_clean_parquet_evidence(tmp_path):
    """Every output format has the score columns; Parquet evidence reads back as a list of spans."""
    import json

    from voc.frame import evidence_dict

    src = tmp_path / "in.csv"
    pd.DataFrame({"text": ["客服电话一直打不通，算了不投诉了", "", "物流太慢了，差评"]}).to_csv(src, index=False)
    for ext in ("csv", "jsonl", "parquet", "xlsx"):
        res = CliRunner().invoke(main, ["analyze", str(src), "-o", str(tmp_path / f"out.{ext}")])
        assert res.exit_code == 0, res.output
    csv = pd.read_csv(tmp_path / "out.csv")
    jsonl = pd.read_json(tmp_path / "out.jsonl", lines=True)
    xlsx = pd.read_excel(tmp_path / "out.xlsx")
    pq = pd.read_parquet(tmp_path / "out.parquet")
    for df in (csv, jsonl, xlsx, pq):
        for col in ("emotion_score", "intent_score", "complaint_stage_score", "journey_stage_score",
                    "temperament_score", "non_complaint_reasons_scores", "behaviors_scores", "aspects_scores"):
            assert col in df.columns, col
        assert 0 < float(df.loc[0, "emotion_score"]) <= 1 and pd.isna(df.loc[1, "emotion_score"])
    reasons = json.loads(csv.loc[0, "non_complaint_reasons_scores"])  # JSON in CSV
    assert set(reasons) == set(json.loads(csv.loc[0, "non_complaint_reasons"])) and reasons
    assert jsonl.loc[0, "non_complaint_reasons_scores"] == pytest.approx(reasons)

    ev = pq.loc[0, "evidence"]  # a list of {label, text} spans, not a struct with a field per label
    spans = list(ev)
    assert spans and all(isinstance(s, dict) and set(s) == {"label", "text"} for s in spans)
    assert {"label": "channel_blocked", "text": "打不通"} in spans
    assert evidence_dict(ev) == json.loads(csv.loc[0, "evidence"])
    assert list(pq.loc[1, "evidence"]) == []
    scores = list(pq.loc[0, "non_complaint_reasons_scores"])
    assert {s["label"]: s["score"] for s in scores} == pytest.approx(reasons)
    assert pq.loc[1, "aspects_scores"] is None


# --------------------------------------------------------------------------- encodings (issue #15, item 12)
GBK_TEXTS = ["客服电话打不通，退款太慢了", "快递员态度很好𠀀", "我要投诉，商品质量太差"]  # 𠀀: GB18030 only


def test_analyze_reads_gbk_and_gb18030_csv(tmp_path):
    src = tmp_path / "gbk.csv"
    src.write_bytes(b"id,text\n" + "".join(f"{i},{t}\n" for i, t in enumerate(GBK_TEXTS)).encode("gb18030"))
    with open(src, "rb") as fh:  # GBK for the common characters, four bytes for 𠀀
        assert "客服".encode("gbk") in fh.read()
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(main, ["analyze", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    back = pd.read_csv(out)
    assert back["text"].tolist() == GBK_TEXTS and back["error"].isna().all()
    assert back["sentiment"].tolist()[0] == "negative"


def test_analyze_encoding_option_and_big5_hint(tmp_path):
    src = tmp_path / "big5.csv"
    texts = ["客服電話打不通，退款太慢了", "商品質量太差，我要投訴"]
    pd.DataFrame({"text": texts}).to_csv(src, index=False, encoding="big5")
    out = tmp_path / "out.csv"
    runner = CliRunner()
    res = runner.invoke(main, ["analyze", str(src), "-o", str(out)])
    assert res.exit_code == 2 and not out.exists()
    assert res.output.strip() == f"error: {src}: looks like Big5; pass --encoding big5"
    res = runner.invoke(main, ["analyze", str(src), "-o", str(out), "--encoding", "big5"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)["text"].tolist() == texts
    res = runner.invoke(main, ["analyze", str(src), "-o", str(out), "--encoding", "no-such-codec"])
    assert res.exit_code == 2 and "unknown encoding 'no-such-codec'" in res.output
    res = runner.invoke(main, ["analyze", str(src), "-o", str(out), "--encoding", "utf-8"])
    assert res.exit_code == 2 and "not utf-8" in res.output and "check --encoding" in res.output


def test_bom_option_writes_utf8_sig_csv(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"text": ["物流太慢了"]}).to_csv(src, index=False)
    runner = CliRunner()
    for extra, bom in (([], False), (["--bom"], True)):
        out = tmp_path / f"out_{bom}.csv"
        res = runner.invoke(main, ["analyze", str(src), "-o", str(out), *extra])
        assert res.exit_code == 0, res.output
        assert out.read_bytes().startswith(b"\xef\xbb\xbf") is bom
        assert pd.read_csv(out, encoding="utf-8-sig")["text"].tolist() == ["物流太慢了"]


def test_group_commands_read_gbk_and_take_encoding(tmp_path):
    # voc label agreement reads two annotation tables: one GBK, one Big5 (with --encoding).
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    rows = {"id": [1, 2, 3, 4], "text": ["退款慢", "好评", "差评", "一般"]}
    pd.DataFrame({**rows, "sentiment": ["negative", "positive", "negative", "neutral"]}).to_csv(
        a, index=False, encoding="gbk"
    )
    pd.DataFrame({**rows, "sentiment": ["negative", "positive", "neutral", "neutral"]}).to_csv(
        b, index=False, encoding="gbk"
    )
    out = tmp_path / "kappa.csv"
    res = CliRunner().invoke(main, ["label", "agreement", str(a), str(b), "--tasks", "sentiment", "-o", str(out),
                                    "--bom"])
    assert res.exit_code == 0, res.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    big5 = tmp_path / "big5.csv"
    pd.DataFrame({**rows, "text": ["退款太慢，客服電話打不通", "好評", "差評", "一般"],
                  "sentiment": ["negative", "positive", "negative", "neutral"]}).to_csv(
        big5, index=False, encoding="big5"
    )
    res = CliRunner().invoke(main, ["label", "agreement", str(a), str(big5), "--tasks", "sentiment"])
    assert res.exit_code == 2 and "--encoding big5" in res.output
    res = CliRunner().invoke(main, ["label", "agreement", str(big5), str(big5), "--tasks", "sentiment",
                                    "--encoding", "big5"])
    assert res.exit_code == 0, res.output


def test_read_table_detects_utf8_sig_utf16_and_streams(tmp_path):
    from voc.cli import detect_encoding, read_table

    df = pd.DataFrame({"text": ["退款太慢了", "好评"], "n": [1, 2]})
    for codec, expected in (("utf-8", "utf-8-sig"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"),
                            ("gbk", "gb18030")):
        path = tmp_path / f"{codec}.csv"
        df.to_csv(path, index=False, encoding=codec)
        assert detect_encoding(path) == expected
        assert read_table(str(path)).equals(df)
    tsv = tmp_path / "big.tsv"  # several 1 MB chunks; a GBK character split across a chunk edge
    tsv.write_bytes(("text\n" + "客服电话打不通\n" * 200_000).encode("gbk"))
    assert detect_encoding(tsv) == "gb18030"
    back = read_table(str(tsv))
    assert len(back) == 200_000 and set(back["text"]) == {"客服电话打不通"}


def _cli_import_graph() -> dict[str, set[str]]:
    """Module -> the ``voc.cli`` modules it imports (top level and inside functions), from the source."""
    import ast
    from pathlib import Path

    import voc.cli

    root = Path(voc.cli.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in sorted(root.glob("*.py")):
        name = "voc.cli" if path.stem == "__init__" else f"voc.cli.{path.stem}"
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("voc.cli")}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("voc.cli"):
                mod = node.module or ""
                sub = {f"{mod}.{a.name}" for a in node.names if (root / f"{a.name}.py").is_file()}
                deps |= sub if mod == "voc.cli" else {mod}
            elif isinstance(node, ast.Attribute) and node.attr == "import_module":
                deps.add("<importlib>")
        graph[name] = deps - {name}
    return graph


def test_cli_package_has_no_import_cycle_and_no_importlib():
    graph = _cli_import_graph()
    assert {"voc.cli", "voc.cli._io", "voc.cli._tables", "voc.cli.customers", "voc.cli.churn"} <= set(graph)
    assert not any("<importlib>" in d for d in graph.values())
    # only the package's __init__ imports command modules; helpers never import back
    assert all("voc.cli" not in deps for deps in graph.values())
    assert graph["voc.cli._tables"] == set()
    seen: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, f"import cycle {' -> '.join((*path, node))}"
        if node in seen:
            return
        for dep in graph.get(node, ()):
            visit(dep, (*path, node))
        seen.add(node)

    for module in graph:
        visit(module, ())


def test_cli_entry_points_and_deprecated_aliases():
    import subprocess
    import sys
    import warnings

    import voc.cli
    from voc.cli import write_table

    for args in (["-m", "voc", "--help"], ["-m", "voc.cli", "customers", "--help"]):
        proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and "Usage:" in proc.stdout, proc.stderr
    assert sorted(voc.cli.main.commands) == ["analyze", "churn", "customers", "demo", "evaluate", "journey",
                                             "label", "report", "serve", "train"]
    code = "import sys, voc.cli; print(sorted(m for m in ('pandas', 'matplotlib', 'sklearn') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "[]", proc.stderr  # voc --help stays light
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import importlib

        for old, new in (("voc.cli_customers", "voc.cli.customers"), ("voc._cli_io", "voc.cli._io")):
            sys.modules.pop(old, None)
            alias = importlib.import_module(old)
            assert alias.decode_nested is importlib.import_module(new).decode_nested
    assert sum(issubclass(w.category, DeprecationWarning) for w in caught) == 2
    assert callable(write_table)
