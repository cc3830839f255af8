"""`voc customers ...`: synth, profile, personas, issues, churn-by-issue, proactive and one-line errors.

The group is invoked directly (``voc.cli.customers.customers``) with click's CliRunner,
on a small synthetic history written by ``synth`` itself, and checked against the
library functions run on the same DataFrames and against the generator's truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from voc.cli.customers import customers, decode_nested, prepare_output

N_CUSTOMERS = 400


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic history written by `synth` (CSV, gold analysis columns)."""
    out = tmp_path_factory.mktemp("synth")
    res = CliRunner().invoke(
        customers, ["synth", "-o", str(out), "--n-customers", str(N_CUSTOMERS), "--seed", "3"]
    )
    assert res.exit_code == 0, res.output
    return out


def _inputs(d: Path, ext: str = "csv", customers_table: bool = True) -> list[str]:
    args = [
        "--feedback",
        str(d / f"feedback.{ext}"),
        "--contacts",
        str(d / f"contacts.{ext}"),
        "--events",
        str(d / f"events.{ext}"),
    ]
    if customers_table:
        args += ["--customers", str(d / f"customers.{ext}")]
    return args


def _run(args: list[str]) -> str:
    res = CliRunner().invoke(customers, args)
    assert res.exit_code == 0, res.output
    return res.output


def test_synth_writes_the_tables_and_is_deterministic(history: Path, tmp_path: Path) -> None:
    names = {"customers", "feedback", "contacts", "events", "truth", "text_truth"}
    assert {p.stem for p in history.glob("*.csv")} == names
    fb = pd.read_csv(history / "feedback.csv")
    assert {"customer_id", "channel", "timestamp", "text", "sentiment", "evidence"} <= set(fb.columns)
    assert pd.read_csv(history / "customers.csv")["customer_id"].nunique() == N_CUSTOMERS
    again = tmp_path / "again"
    _run(
        [
            "synth",
            "-o",
            str(again),
            "--n-customers",
            str(N_CUSTOMERS),
            "--seed",
            "3",
            "--raw",
            "--format",
            "parquet",
        ]
    )
    raw = pd.read_parquet(again / "feedback.parquet")
    assert list(raw.columns) == ["customer_id", "channel", "timestamp", "text"]
    assert raw["text"].tolist() == fb["text"].tolist()


def test_profile_matches_the_library_and_the_truth(history: Path, tmp_path: Path) -> None:
    from voc.customers import profile_customers
    from voc.synthetic import generate_history

    out = tmp_path / "profiles.csv"
    text = _run(["profile", *_inputs(history), "-o", str(out)])
    assert "silent" in text and str(out) in text
    prof = pd.read_csv(out).set_index("customer_id")
    assert len(prof) == N_CUSTOMERS
    h = generate_history(n_customers=N_CUSTOMERS, seed=3)
    ref = profile_customers(h["feedback"], h["contacts"], h["events"], h["customers"])
    assert prof["silent"].equals(ref["silent"].reindex(prof.index))
    assert prof["problem_level"].equals(ref["problem_level"].reindex(prof.index))
    # the JSON-encoded reason lists were decoded: the reason counts survive the CSV round trip
    reason_cols = [c for c in ref.columns if c.startswith("reason_")]
    assert reason_cols and np.array_equal(
        prof[reason_cols].to_numpy(), ref[reason_cols].reindex(prof.index).to_numpy()
    )
    truth = h["truth"].set_index("customer_id")
    hit = (prof["silent"] & truth["silent"].reindex(prof.index)).sum()
    assert hit / truth["silent"].sum() >= 0.9


def test_personas_with_evidence_and_segments(history: Path, tmp_path: Path) -> None:
    out, seg = tmp_path / "personas.jsonl", tmp_path / "segments.csv"
    text = _run(["personas", *_inputs(history), "-o", str(out), "--segments", str(seg)])
    assert "among silent customers" in text
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == N_CUSTOMERS
    with_spans = [e for r in rows for t in r["tags"] for e in t["evidence"] if e.get("spans")]
    assert with_spans, "text evidence spans should survive the CSV input"
    assert all(isinstance(e["spans"], list) for e in with_spans)
    arche = pd.read_csv(seg)
    assert {"archetype", "silent_n", "silent_share", "strategy_zh"} <= set(arche.columns)
    assert arche.loc[arche["silent_n"].idxmax(), "archetype"] == "凡人"
    reasons = pd.read_csv(tmp_path / "segments_reasons.csv")
    assert "channel_blocked" in set(reasons["reason"])


def test_issues_recover_planted_issues(history: Path, tmp_path: Path) -> None:
    out, asg = tmp_path / "issues.csv", tmp_path / "assignment.parquet"
    text = _run(
        [
            "issues",
            "--feedback",
            str(history / "feedback.csv"),
            "--n-issues",
            "7",
            "-o",
            str(out),
            "--assignment",
            str(asg),
        ]
    )
    assert "7 issues" in text
    iss = pd.read_csv(out)
    named = iss[~iss["is_other"].astype(bool)] if "is_other" in iss.columns else iss  # + an "other" bucket
    assert len(named) == 7 and iss["label"].str.len().gt(0).all()
    assert isinstance(json.loads(iss.loc[0, "examples"]), list)
    a = pd.read_parquet(asg).set_index("row")
    assert iss["size"].sum() == len(a)
    planted = pd.read_csv(history / "text_truth.csv")["issue"].reindex(a.index)
    known = planted.notna()
    purity = (
        pd.DataFrame({"c": a.loc[known, "issue_id"], "t": planted[known]})
        .groupby("c")["t"]
        .agg(lambda s: s.value_counts().iloc[0])
        .sum()
        / known.sum()
    )
    assert purity >= 0.8


def test_churn_by_issue_table_and_chart(history: Path, tmp_path: Path) -> None:
    out, chart = tmp_path / "churn.xlsx", tmp_path / "charts" / "churn.png"
    text = _run(
        ["churn-by-issue", *_inputs(history), "--n-issues", "7", "-o", str(out), "--chart", str(chart)]
    )
    assert "customers lost" in text
    t = pd.read_excel(out)
    assert {"issue_id", "label", "affected", "churn_rate", "diff_low", "diff_high", "excess_churned"} <= set(
        t.columns
    )
    assert (t["diff_low"] <= t["diff"]).all() and (t["diff"] <= t["diff_high"]).all()
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_proactive_list_from_raw_parquet_runs_the_analyzer(tmp_path: Path) -> None:
    d = tmp_path / "raw"
    _run(["synth", "-o", str(d), "--n-customers", "150", "--seed", "5", "--raw", "--format", "parquet"])
    out = tmp_path / "todo.csv"
    text = _run(
        [
            "proactive",
            *_inputs(d, "parquet", customers_table=False),
            "--n-issues",
            "5",
            "--top",
            "10",
            "-o",
            str(out),
        ]
    )
    assert "to contact" in text
    todo = pd.read_csv(out)
    assert 0 < len(todo) <= 10
    assert todo["rank"].tolist() == list(range(1, len(todo) + 1))
    assert todo["priority"].is_monotonic_decreasing
    assert todo["action_zh"].str.len().gt(0).all() and todo["action_en"].str.len().gt(0).all()


def test_bad_inputs_exit_nonzero_with_one_line(history: Path, tmp_path: Path) -> None:
    runner = CliRunner()

    def fails(args: list[str], needle: str) -> None:
        res = runner.invoke(customers, args)
        assert res.exit_code == 2, res.output
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), res.output
        assert needle in lines[0], res.output

    ok = _inputs(history)
    out = ["-o", str(tmp_path / "o.csv")]
    fails(["profile", "--feedback", str(tmp_path / "missing.csv"), *ok[2:], *out], "no such file")
    ev = pd.read_csv(history / "events.csv").drop(columns=["type"])
    ev.to_csv(tmp_path / "events.csv", index=False)
    fails(["profile", *ok[:4], "--events", str(tmp_path / "events.csv"), *out], "has no column(s) 'type'")
    fb = pd.read_csv(history / "feedback.csv").assign(timestamp=1_700_000_000)
    fb.to_csv(tmp_path / "feedback.csv", index=False)
    fails(["profile", "--feedback", str(tmp_path / "feedback.csv"), *ok[2:], *out], "feedback.timestamp")
    fails(["issues", "--feedback", str(history / "events.csv"), *out], "no column(s) 'text'")
    fails(["profile", *ok, "-o", str(tmp_path / "o.doc")], "unsupported output type")
    fails(["profile", *ok, "--as-of", "someday", *out], "not a date")
    fails(["personas", *ok, "--mapping", str(tmp_path / "nomap.csv"), *out], "no such file")
    (tmp_path / "map.csv").write_text(
        "signal,type_tags,archetypes,weight,description\nbogus,x,凡人,1,\n", encoding="utf-8"
    )
    fails(["personas", *ok, "--mapping", str(tmp_path / "map.csv"), *out], "unknown signal")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    fails(["issues", "--feedback", str(tmp_path / "bad.parquet"), *out], "could not read")
    # a bad row is a warning, not a failure
    fb = pd.read_csv(history / "feedback.csv")
    fb.loc[:2, "timestamp"] = "garbage"
    fb.to_csv(tmp_path / "feedback_rows.csv", index=False)
    res = runner.invoke(
        customers, ["profile", "--feedback", str(tmp_path / "feedback_rows.csv"), *ok[2:], *out]
    )
    assert res.exit_code == 0, res.output
    assert "warning: feedback: 3 of" in res.output


def test_help_lists_every_command() -> None:
    res = CliRunner().invoke(customers, ["--help"])
    assert res.exit_code == 0
    for cmd in ("synth", "profile", "personas", "issues", "churn-by-issue", "proactive"):
        assert cmd in res.output


def test_decode_nested_and_prepare_output(tmp_path: Path) -> None:
    fb = pd.DataFrame(
        {
            "non_complaint_reasons": [
                '["channel_blocked", "let_it_go"]',
                "self_reliance|not_bother",
                np.nan,
                "",
            ],
            "evidence": ['{"channel_blocked": ["打不通"]}', "{}", None, "not json"],
            "aspects": [np.array(["price"]), [], "[]", None],
        }
    )
    d = decode_nested(fb)
    assert d["non_complaint_reasons"].tolist() == [
        ["channel_blocked", "let_it_go"],
        ["self_reliance", "not_bother"],
        [],
        [],
    ]
    assert d["evidence"].tolist() == [{"channel_blocked": ["打不通"]}, {}, {}, {}]
    assert d["aspects"].tolist() == [["price"], [], [], []]
    t = pd.DataFrame(
        {
            "tags": [
                [{"tag": "凡人", "ts": pd.Timestamp("2024-01-02"), "n": np.int64(3), "x": float("nan")}],
                [],
            ],
            "when": pd.to_datetime(["2024-01-01", None]),
        },
        index=pd.Index(["c1", "c2"], name="customer_id"),
    )
    flat = prepare_output(t, "x.csv")
    assert flat.columns.tolist() == ["customer_id", "tags", "when"]
    assert json.loads(flat.loc[0, "tags"]) == [
        {"tag": "凡人", "ts": "2024-01-02T00:00:00", "n": 3, "x": None}
    ]
    js = prepare_output(t, "x.jsonl")
    assert js.loc[0, "when"] == "2024-01-01T00:00:00" and pd.isna(js.loc[1, "when"])
    assert js.loc[0, "tags"][0]["n"] == 3
    from voc.cli import write_table

    write_table(js, str(tmp_path / "x.jsonl"))
    rows = [json.loads(line) for line in (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["tags"][0] == {"tag": "凡人", "ts": "2024-01-02T00:00:00", "n": 3, "x": None}
    assert rows[0]["when"] == "2024-01-01T00:00:00" and rows[1]["when"] is None
