"""`voc journey ...`: funnel, queue, alerts, route, solutions, compensation and one-line errors.

The commands run with click's CliRunner on a small synthetic history written by
`voc customers synth`, and are checked against the library functions run on the same
DataFrames.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from voc.cli import main
from voc.cli.customers import decode_nested
from voc.cli.journey import journey

N_CUSTOMERS = 300


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic history (CSV, gold analysis columns) written by `voc customers synth`."""
    out = tmp_path_factory.mktemp("journey")
    res = CliRunner().invoke(
        main, ["customers", "synth", "-o", str(out), "--n-customers", str(N_CUSTOMERS), "--seed", "3"]
    )
    assert res.exit_code == 0, res.output
    return out


def _inputs(d: Path, *tables: str) -> list[str]:
    tables = tables or ("feedback", "contacts", "events", "customers")
    return [x for t in tables for x in (f"--{t}", str(d / f"{t}.csv"))]


def _run(args: list[str]) -> str:
    res = CliRunner().invoke(journey, args)
    assert res.exit_code == 0, (res.output, res.exception)
    return res.output


def _fail(args: list[str], group=journey) -> str:
    res = CliRunner().invoke(group, args)
    assert res.exit_code == 2, (res.exit_code, res.output)
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert lines[-1].startswith("error: ") or "Error:" in res.output, res.output
    return res.output


def _tables(d: Path) -> tuple[pd.DataFrame, ...]:
    fb = decode_nested(pd.read_csv(d / "feedback.csv"))
    return (
        fb,
        pd.read_csv(d / "contacts.csv"),
        pd.read_csv(d / "events.csv"),
        pd.read_csv(d / "customers.csv"),
    )


# --------------------------------------------------------------------------- registration
def test_the_group_is_registered_on_the_main_command() -> None:
    res = CliRunner().invoke(main, ["--help"])
    assert "journey" in res.output
    res = CliRunner().invoke(main, ["journey", "--help"])
    assert res.exit_code == 0
    for cmd in ("funnel", "queue", "alerts", "route", "solutions", "compensation"):
        assert cmd in res.output


# --------------------------------------------------------------------------- commands
def test_funnel_matches_the_library(history: Path, tmp_path: Path) -> None:
    from voc.journey import PATHS, journey_funnel, journey_paths

    out = _run(
        [
            "funnel",
            *_inputs(history),
            "-o",
            str(tmp_path / "funnel.csv"),
            "--paths",
            str(tmp_path / "paths.jsonl"),
            "--curve",
            str(tmp_path / "curve.csv"),
            "--chart",
            str(tmp_path / "curve.png"),
        ]
    )
    assert "customers with a problem" in out
    got = pd.read_csv(tmp_path / "funnel.csv")
    assert got["path"].tolist() == list(PATHS)
    want = journey_funnel(journey_paths(*_tables(history)))
    assert got["n_customers"].tolist() == want["n_customers"].tolist()
    paths = pd.read_json(tmp_path / "paths.jsonl", lines=True)
    assert len(paths) == got["n_customers"].sum() and "customer_id" in paths.columns
    curve = pd.read_csv(tmp_path / "curve.csv")
    assert {"journey_stage", "sentiment_mean", "dominant_emotion"} <= set(curve.columns)
    assert (tmp_path / "curve.png").stat().st_size > 1000


def test_queue_writes_items_with_their_source_rows(history: Path, tmp_path: Path) -> None:
    out = _run(
        [
            "queue",
            *_inputs(history),
            "-o",
            str(tmp_path / "queue.jsonl"),
            "--common",
            str(tmp_path / "common.csv"),
            "--top",
            "25",
        ]
    )
    assert "queue items" in out
    q = pd.read_json(tmp_path / "queue.jsonl", lines=True)
    assert len(q) == 25 and q["rank"].tolist() == list(range(1, 26))
    assert q["priority"].is_monotonic_decreasing
    fb = pd.read_csv(history / "feedback.csv")
    for item in q.itertuples():
        assert len(item.sources) == item.n_sources
        for s in item.sources:
            assert {"source", "row", "channel", "timestamp", "text"} <= set(s)
            if s["source"] == "feedback":
                assert fb.loc[s["row"], "text"] == s["text"]  # a link to the source row
    common = pd.read_csv(tmp_path / "common.csv")
    assert {"issue", "n_items", "n_customers", "channels"} <= set(common.columns)
    # CSV: nested columns become JSON text; --open-only drops resolved items
    _run(["queue", *_inputs(history, "feedback", "contacts"), "--open-only", "-o", str(tmp_path / "q.csv")])
    qc = pd.read_csv(tmp_path / "q.csv")
    assert "resolved" not in set(qc["status"])
    assert isinstance(json.loads(qc.loc[0, "sources"]), list)


def test_alerts_and_progression(history: Path, tmp_path: Path) -> None:
    from voc.repair import dissatisfaction_alerts

    out = _run(
        [
            "alerts",
            *_inputs(history, "feedback", "events"),
            "-o",
            str(tmp_path / "alerts.csv"),
            "--progression",
            str(tmp_path / "prog.csv"),
        ]
    )
    assert "alerts for" in out
    al = pd.read_csv(tmp_path / "alerts.csv")
    fb, _, ev, _ = _tables(history)
    assert (
        al["alert"].value_counts().to_dict()
        == dissatisfaction_alerts(fb, ev)["alert"].value_counts().to_dict()
    )
    assert {"customer_id", "from_stage", "to_stage", "evidence"} <= set(al.columns)
    prog = pd.read_csv(tmp_path / "prog.csv")
    assert {"customer_id", "path", "toward_complaint"} <= set(prog.columns)


def test_route_explains_every_ticket(history: Path, tmp_path: Path) -> None:
    from voc.routing import load_rules

    out = _run(
        ["route", *_inputs(history, "feedback", "contacts", "customers"), "-o", str(tmp_path / "t.csv")]
    )
    assert "tickets from" in out
    t = pd.read_csv(tmp_path / "t.csv")
    assert len(t) > 0 and t["explanation"].str.startswith("rule ").all()
    assert set(t["rule_id"]) <= set(load_rules()["rule_id"])
    assert t["urgency"].is_monotonic_decreasing
    assert {"customer_id", "type", "issue", "demand", "routed_channel", "queue"} <= set(t.columns)


def test_solutions_for_texts_tables_and_queue_files(history: Path, tmp_path: Path) -> None:
    txt = tmp_path / "cases.txt"
    txt.write_text("退款申请一周了还没到账\n\n快递显示签收了但我没收到\n", encoding="utf-8")
    out = _run(["solutions", str(txt), "-o", str(tmp_path / "s.csv"), "--top", "2"])
    assert "solutions for 2 cases" in out and "from 42 resolved cases" in out
    s = pd.read_csv(tmp_path / "s.csv")
    best = s[s["rank"] == 1].set_index("query_id")["issue"]
    assert best.tolist() == ["refund_delay", "parcel_lost"]
    ev = json.loads(s.loc[0, "evidence"])
    assert ev[0]["issue"] == "refund_delay" and "similarity" in ev[0]
    # own solution table, a text column of another name
    table = pd.DataFrame(
        {
            "case_text": ["退款没到账", "退款没到账"],
            "solution": ["等", "受理单号"],
            "contacts_to_close": [3, 1],
        }
    )
    table.to_csv(tmp_path / "sol.csv", index=False)
    pd.DataFrame({"body": ["我的退款怎么还没到账"]}).to_csv(tmp_path / "q.csv", index=False)
    _run(
        [
            "solutions",
            str(tmp_path / "q.csv"),
            "--text-col",
            "body",
            "--solutions",
            str(tmp_path / "sol.csv"),
            "-o",
            str(tmp_path / "s2.jsonl"),
        ]
    )
    s2 = pd.read_json(tmp_path / "s2.jsonl", lines=True)
    assert s2["solution"].tolist() == ["受理单号", "等"]
    # a queue written by `voc journey queue` as input
    _run(["queue", *_inputs(history), "-o", str(tmp_path / "queue.jsonl"), "--top", "10"])
    _run(["solutions", str(tmp_path / "queue.jsonl"), "-o", str(tmp_path / "s3.csv"), "--top", "1"])
    s3 = pd.read_csv(tmp_path / "s3.csv")
    q = pd.read_json(tmp_path / "queue.jsonl", lines=True)
    assert sorted(s3["query_id"]) == sorted(q["item_id"])
    # via the main command
    res = CliRunner().invoke(main, ["journey", "solutions", str(txt), "-o", str(tmp_path / "s4.csv")])
    assert res.exit_code == 0, res.output


def test_solutions_from_contacts_with_resolution_notes(tmp_path: Path) -> None:
    ct = pd.DataFrame(
        {
            "customer_id": ["A", "A", "B"],
            "channel": ["hotline"] * 3,
            "timestamp": ["2024-05-01", "2024-05-03", "2024-05-02"],
            "topic": ["refund_delay"] * 3,
            "text": ["退款没到账", None, "退款一直没到账"],
            "resolved": [False, True, True],
            "resolution": [None, "加急", "提供银行受理单号"],
        }
    )
    ct.to_csv(tmp_path / "ct.csv", index=False)
    (tmp_path / "q.txt").write_text("退款没到账\n", encoding="utf-8")
    out = _run(
        [
            "solutions",
            str(tmp_path / "q.txt"),
            "--contacts",
            str(tmp_path / "ct.csv"),
            "-o",
            str(tmp_path / "s.csv"),
        ]
    )
    assert "from 2 resolved cases" in out
    assert pd.read_csv(tmp_path / "s.csv")["solution"].tolist() == ["提供银行受理单号", "加急"]


def test_compensation_with_case_history_and_rates(history: Path, tmp_path: Path) -> None:
    from voc.compensation import compensation_inputs, recommend_compensation
    from voc.customers import profile_customers

    out = _run(["compensation", *_inputs(history), "-o", str(tmp_path / "c.csv")])
    assert "customers with a problem" in out
    got = pd.read_csv(tmp_path / "c.csv")
    fb, ct, ev, cu = _tables(history)
    want = recommend_compensation(compensation_inputs(profile_customers(fb, ct, ev, cu), fb))
    assert got["compensate"].tolist() == want["compensate"].tolist()
    assert got["customer_id"].tolist() == want.index.tolist()
    cid = got.loc[got["problem_level"] == 4, "customer_id"]
    first = cid.iloc[0] if len(cid) else got["customer_id"].iloc[0]
    steps = pd.DataFrame(
        {
            "case_id": ["k1"] * 4 + ["k2"] * 3,
            "customer_id": [first] * 4 + ["other"] * 3,
            "timestamp": pd.date_range("2024-01-01", periods=7, freq="D").astype(str),
            "step": ["offer", "rejected", "negotiation", "rejected", "offer", "accepted", "review_invited"],
        }
    )
    steps.to_csv(tmp_path / "cases.csv", index=False)
    _run(
        [
            "compensation",
            *_inputs(history),
            "--cases",
            str(tmp_path / "cases.csv"),
            "--rates",
            str(tmp_path / "rates.csv"),
            "--by",
            "kind",
            "-o",
            str(tmp_path / "c2.csv"),
        ]
    )
    c2 = pd.read_csv(tmp_path / "c2.csv").set_index("customer_id")
    assert c2.loc[first, "acceptance"] == "rejected_before"
    rates = pd.read_csv(tmp_path / "rates.csv")
    assert rates.loc[0, "kind"] == "compensate" and rates.loc[0, "n_cases"] == 2


# --------------------------------------------------------------------------- errors
def test_bad_input_ends_with_one_line_and_exit_code_2(history: Path, tmp_path: Path) -> None:
    fb = str(history / "feedback.csv")
    out = str(tmp_path / "o.csv")
    msg = _fail(
        [
            "funnel",
            "--feedback",
            str(tmp_path / "nope.csv"),
            *_inputs(history, "contacts", "events"),
            "-o",
            out,
        ]
    )
    assert "no such file" in msg
    pd.DataFrame({"text": ["退款"]}).to_csv(tmp_path / "bad_fb.csv", index=False)
    msg = _fail(["alerts", "--feedback", str(tmp_path / "bad_fb.csv"), "-o", out])
    assert "feedback table has no column(s)" in msg
    assert "unsupported output type" in _fail(["alerts", "--feedback", fb, "-o", str(tmp_path / "o.txt")])
    assert "not a date" in _fail(["alerts", "--feedback", fb, "--as-of", "yesterday-ish", "-o", out])
    assert "--rates needs --cases" in _fail(["compensation", *_inputs(history), "--rates", out, "-o", out])
    assert "no column 'nope' for --issue-col" in _fail(
        ["queue", "--feedback", fb, "--issue-col", "nope", "-o", out]
    )
    assert "not both" in _fail(
        ["queue", "--feedback", fb, "--issue-col", "text", "--discover-issues", "-o", out]
    )
    assert "no such file" in _fail(["route", "--feedback", fb, "--rules", str(tmp_path / "r.csv"), "-o", out])
    (tmp_path / "empty.txt").write_text("\n\n", encoding="utf-8")
    assert "empty table" in _fail(["solutions", str(tmp_path / "empty.txt"), "-o", out])
    pd.DataFrame({"body": ["x"]}).to_csv(tmp_path / "nobody.csv", index=False)
    assert "no column 'text'" in _fail(["solutions", str(tmp_path / "nobody.csv"), "-o", out])
    pd.DataFrame({"case": ["x"], "solution": ["y"]}).to_csv(tmp_path / "badsol.csv", index=False)
    msg = _fail(
        ["solutions", str(tmp_path / "empty.txt"), "--solutions", str(tmp_path / "badsol.csv"), "-o", out]
    )
    assert "empty table" in msg or "missing column" in msg
    (tmp_path / "q.txt").write_text("退款没到账\n", encoding="utf-8")
    msg = _fail(
        ["solutions", str(tmp_path / "q.txt"), "--solutions", str(tmp_path / "badsol.csv"), "-o", out]
    )
    assert "solution table is missing column(s) ['case_text']" in msg
    assert "only used with --contacts" in _fail(
        ["solutions", str(tmp_path / "q.txt"), "--feedback", fb, "-o", out]
    )
    msg = _fail(
        ["solutions", str(tmp_path / "q.txt"), "--contacts", str(history / "contacts.csv"), "-o", out]
    )
    assert "missing column(s) ['resolution']" in msg
    for args in (["funnel", "--feedback", fb, "-o", out], ["solutions", "-o", out]):  # click usage errors
        res = CliRunner().invoke(journey, args)
        assert res.exit_code == 2
    assert not Path(out).exists()
