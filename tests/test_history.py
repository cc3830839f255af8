"""voc.History and voc.schema: one checked way into the customer half (#14)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import voc
from voc.history import History, HistoryWarning
from voc.issues import IssueModel
from voc.schema import ERROR_COL, id_str, parse_bool, parse_bool_column, parse_list
from voc.synthetic import generate_history

ANALYSIS = ["sentiment", "sentiment_score", "emotion", "intent", "non_complaint_reasons", "complaint_stage",
            "behaviors", "aspects", "journey_stage", "temperament", "error", "evidence"]


@pytest.fixture(scope="module")
def synth() -> dict:
    return generate_history(300, seed=3)


@pytest.fixture(scope="module")
def hist(synth: dict) -> History:
    return History.from_frames(synth["feedback"], synth["contacts"], synth["events"], synth["customers"])


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------- schema
@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), (1, True), (0, False), (1.0, True), ("true", True), ("FALSE", False),
     (" yes ", True), ("no", False), ("是", True), ("否", False), ("已解决", True), ("未解决", False),
     ("1", True), ("0", False), (None, None), (float("nan"), None), ("", None), ("maybe", None), (2, None)],
)
def test_parse_bool_one_table(value, expected):
    assert parse_bool(value) is expected


def test_parse_bool_strict_and_mixed_column():
    with pytest.raises(ValueError, match="not a boolean"):
        parse_bool("maybe", strict=True)
    col = pd.Series([True, "是", 0, "未解决", None, "maybe", np.nan], dtype=object)
    vals, bad = parse_bool_column(col)
    assert vals.tolist() == [True, True, False, False, None, None, None]
    assert bad.tolist() == [False, False, False, False, False, True, False]


def test_solutions_uses_the_one_boolean_parser():
    from voc import solutions

    assert solutions._bool("已解决") is True and solutions._bool("未解决") is False
    with pytest.raises(ValueError):
        solutions._bool("maybe")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [(["a", "b"], ["a", "b"]), (("a",), ["a"]), (np.array(["x", "y"]), ["x", "y"]), ("a|b", ["a", "b"]),
     ("a, b;c", ["a", "b", "c"]), ('["p", "q"]', ["p", "q"]), ("['p', 'q']", ["p", "q"]), ("", []),
     (None, []), (float("nan"), []), (["a", None], ["a"])],
)
def test_parse_list_one_parser(cell, expected):
    assert parse_list(cell) == expected


def test_list_parsers_are_shared():
    from voc.repair import _common

    assert _common._as_list is parse_list


@pytest.mark.parametrize(("value", "expected"), [(123.0, "123"), ("123.0", "123"), (42, "42"), ("C01 ", "C01"),
                                                  (2024051212345678.0, "2024051212345678"), (None, None),
                                                  (float("nan"), None)])
def test_ids_are_text(value, expected):
    assert id_str(value) == expected


# --------------------------------------------------------------------------- building
def _tiny() -> dict[str, pd.DataFrame]:
    fb = pd.DataFrame({
        "text": ["快递一直不到，太慢了", "客服电话打不通", "很满意", None],
        "timestamp": ["2024-05-01", "2024-05-03", "2024-05-10", "2024-05-11"],
        "channel": ["app", "weibo", "app", "app"],
        "customer_id": [101.0, 102.0, np.nan, 101.0],
        "phone_masked": ["138****5678", None, None, None],
        "mood_colour": ["red", "blue", "red", "red"],
    })
    ct = pd.DataFrame({"customer_id": [101, None], "channel": ["hotline", "chat"],
                       "timestamp": ["2024-05-02", "2024-05-04"], "resolved": ["已解决", 0]})
    ev = pd.DataFrame({"customer_id": ["101", "102", "102"], "timestamp": ["2024-04-01", "2024-05-20", "bad date"],
                       "type": ["Order", "return", "nps"], "order_id": [2024051212345678.0, np.nan, np.nan]})
    return {"feedback": fb, "contacts": ct, "events": ev}


def test_from_frames_checks_once_and_flags_not_drops():
    t = _tiny()
    with pytest.warns(HistoryWarning) as rec:
        h = History.from_frames(t["feedback"], t["contacts"], t["events"])
    msg = " ".join(str(w.message) for w in rec)
    assert "phone_masked" in msg and "mood_colour" in msg and "flagged" in msg
    # aliases renamed, unknown columns kept, ids as text
    assert "phone" in h.feedback.columns and "mood_colour" in h.feedback.columns
    assert h.unknown["feedback"] == ["mood_colour"]
    assert h.feedback["customer_id"].tolist()[:3] == ["101", "102", None]  # NaN id: anonymous, kept
    assert h.contacts["customer_id"].iloc[0] == "101"
    assert h.events["order_id"].iloc[0] == "2024051212345678"
    # bad rows stay, flagged
    assert len(h.contacts) == 2 and h.contacts[ERROR_COL].notna().tolist() == [False, True]
    assert len(h.events) == 3 and h.events[ERROR_COL].notna().tolist() == [False, False, True]
    assert h.contacts["resolved"].tolist()[0] is True
    assert h.events["type"].tolist()[0] == "order"
    assert h.invalid_rows == {"feedback": 1, "contacts": 1, "events": 1}  # the None text too
    # as_of: the latest valid timestamp of feedback, contacts and events
    assert h.as_of == pd.Timestamp("2024-05-20")


def test_a_checked_table_is_not_checked_again_unless_changed():
    from voc.schema import CONTACTS, validate

    ct = validate(_tiny()["contacts"], CONTACTS)
    again = validate(ct, CONTACTS)
    assert again is not ct and again["resolved"].tolist() == ct["resolved"].tolist()
    changed = ct.assign(resolved=["是", "否"], timestamp=["2024-01-01", "2024-01-02"])
    back = validate(changed, CONTACTS)
    assert back["resolved"].tolist() == [True, False]
    assert pd.api.types.is_datetime64_any_dtype(back["timestamp"])


def test_columns_mapping_and_per_table():
    fb = pd.DataFrame({"msg": ["退款不到账"], "when": ["2024-01-02"], "via": ["app"], "cid": ["A"]})
    h = _quiet(History.from_frames, fb, columns={"msg": "text", "when": "timestamp", "via": "channel",
                                                 "cid": "customer_id"})
    assert list(h.feedback["customer_id"]) == ["A"]
    h2 = _quiet(History.from_frames, fb, columns={"feedback": {"msg": "text", "when": "timestamp",
                                                               "via": "channel"}})
    assert h2.feedback["text"].tolist() == ["退款不到账"]
    with pytest.raises(ValueError, match="unknown table"):
        History.from_frames(fb, columns={"feedbacks": {"msg": "text"}})
    with pytest.raises(ValueError, match="no column 'nope'"):
        History.from_frames(fb, columns={"nope": "text"})


@pytest.mark.parametrize("bad", [None, "feedback.csv", [1, 2]])
def test_bad_feedback_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="feedback"):
        History.from_frames(bad)


def test_missing_required_column_and_bad_dtype():
    with pytest.raises(ValueError, match="missing required column"):
        History.from_frames(pd.DataFrame({"text": ["x"], "channel": ["app"]}))
    fb = pd.DataFrame({"text": ["x"], "timestamp": [1.5e9], "channel": ["app"]})
    with pytest.raises(ValueError, match="timestamp must hold datetimes"):
        History.from_frames(fb)
    with pytest.raises(ValueError, match="as_of"):
        History.from_frames(_tiny()["feedback"], as_of="not a date")


def test_empty_tables(nlp):
    fb = pd.DataFrame({"text": pd.Series(dtype=object), "timestamp": pd.Series(dtype=object),
                       "channel": pd.Series(dtype=object)})
    h = History.from_frames(fb, nlp=nlp)
    assert len(h.feedback) == 0 and len(h.contacts) == 0 and len(h.events) == 0 and h.customers is None
    assert isinstance(h.as_of, pd.Timestamp)
    assert len(h.profiles) == 0
    with pytest.raises(ValueError, match="no negative feedback"):
        voc.discover_issues(h)


def test_same_profiles_as_the_old_signature(synth, hist):
    old = _quiet(voc.profile_customers, synth["feedback"], synth["contacts"], synth["events"], synth["customers"])
    pd.testing.assert_frame_equal(hist.profiles, old)
    assert hist.profiles.attrs["as_of"] == hist.as_of
    with pytest.raises(TypeError, match="History"):
        voc.profile_customers(hist, synth["contacts"])


# --------------------------------------------------------------------------- analyzer once
def test_chain_runs_the_analyzer_once(synth, nlp, monkeypatch):
    import voc.frame

    calls = []
    real = voc.frame.analyze_frame

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(voc.frame, "analyze_frame", counting)
    monkeypatch.setattr(voc, "analyze_frame", counting, raising=False)
    raw = synth["feedback"].drop(columns=ANALYSIS)
    h = History.from_frames(raw, synth["contacts"], synth["events"], synth["customers"], nlp=nlp)
    assert calls == [] and h.n_analyzer_runs == 0  # lazy
    import voc.schema

    checks = []
    real_aliases = voc.schema.apply_aliases

    def counting_check(*args, **kwargs):
        checks.append(1)
        return real_aliases(*args, **kwargs)

    monkeypatch.setattr(voc.schema, "apply_aliases", counting_check)  # every full validation starts here
    prof = voc.profile_customers(h)
    personas = voc.assign_personas(h)
    model = voc.discover_issues(h, n_issues=4)
    who = voc.who_else(h, 0, model=model)
    churn = voc.churn_by_issue(h, model)
    from voc.churn import churn_features
    from voc.repair import build_repair_queue

    queue = _quiet(build_repair_queue, h, assignment=model)
    X, y = churn_features(h, as_of=h.as_of - pd.Timedelta(days=90), horizon_days=60)
    assert len(calls) == 1 and h.n_analyzer_runs == 1
    assert checks == []  # the tables were checked once, when the History was built
    assert h.profiles is h.profiles  # cached
    assert len(prof) == len(personas) and prof.index.equals(personas.index)
    assert isinstance(model, IssueModel) and set(model.assignment_["issue_id"]) <= set(model.issues_["issue_id"])
    assert set(who.customers.index) <= set(prof.index)
    assert set(churn["issue_id"]) <= set(model.issues_["issue_id"])
    assert queue.attrs["as_of"] == h.as_of and len(queue) > 0
    assert len(X) == len(y) > 0


def test_any_order_on_a_fresh_history(synth, nlp):
    raw = synth["feedback"].drop(columns=ANALYSIS)
    h = History.from_frames(raw, synth["contacts"], synth["events"], nlp=nlp)
    model = voc.discover_issues(h, n_issues=3)  # before any profile: analyzes on its own
    assert h.n_analyzer_runs == 1 and "sentiment" in h.usable("feedback").columns
    h2 = History.from_frames(raw, synth["contacts"], synth["events"], nlp=nlp)
    w = voc.who_else(h2, "退款一直没到账")
    assert h2.n_analyzer_runs == 1 and len(w.customers) > 0
    assert len(model.assignment_) > 0


def test_old_signatures_stay(synth):
    fb = synth["feedback"]
    issues, assignment = voc.discover_issues(fb, n_issues=3)
    prof = _quiet(voc.profile_customers, fb, synth["contacts"], synth["events"])
    table = voc.churn_by_issue(assignment, prof, issues=issues)
    assert len(table) == len(issues)


# --------------------------------------------------------------------------- persistence
def test_history_to_disk_round_trip(tmp_path, synth, nlp):
    raw = synth["feedback"].drop(columns=ANALYSIS)
    h = History.from_frames(raw, synth["contacts"], synth["events"], synth["customers"], nlp=nlp)
    _ = h.feedback_analyzed
    out = h.to_disk(tmp_path / "h", format="csv")
    files = sorted(p.name for p in out.iterdir())
    assert files == ["contacts.csv", "customers.csv", "events.csv", "feedback.csv", "history.json"]
    back = History.from_disk(out)
    assert back.as_of == h.as_of
    assert back.n_analyzer_runs == 0 and "sentiment" in back.feedback_analyzed.columns
    assert isinstance(back.feedback_analyzed["aspects"].iloc[0], list)
    pd.testing.assert_series_equal(back.profiles["problem_level"], h.profiles["problem_level"])
    assert back.profiles["silent"].sum() == h.profiles["silent"].sum()
    # read() of a saved folder goes through from_disk
    assert History.read(out).as_of == h.as_of
    with pytest.raises(ValueError, match="not a saved History"):
        History.from_disk(tmp_path)


def _awkward(synth: dict) -> dict[str, pd.DataFrame]:
    """The synthetic tables with numeric-looking ids, long float order ids and booleans as text."""
    ids = {c: str(1000 + i) for i, c in enumerate(sorted(synth["customers"]["customer_id"]))}
    fb = synth["feedback"].drop(columns=ANALYSIS).assign(customer_id=lambda d: d["customer_id"].map(ids))
    fb.loc[fb.index[::7], "customer_id"] = None  # anonymous rows
    fb["customer_id"] = fb["customer_id"].astype(object).map(lambda v: None if v is None else float(v))
    ct = synth["contacts"].assign(customer_id=lambda d: d["customer_id"].map(ids))
    ct["resolved"] = ct["resolved"].map({True: "已解决", False: "否"}).astype(object)
    ct.loc[ct.index[::5], "resolved"] = None
    ev = synth["events"].assign(customer_id=lambda d: d["customer_id"].map(ids).astype(int))
    ev["order_id"] = np.where(ev["type"] == "order", 2024051200000000.0 + np.arange(len(ev)), np.nan)
    cu = synth["customers"].assign(customer_id=lambda d: d["customer_id"].map(ids))
    cu["verified"] = cu["verified"].map({True: "yes", False: 0}).astype(object)
    return {"feedback": fb, "contacts": ct, "events": ev, "customers": cu}


@pytest.mark.parametrize("analyzed", [True, False])
def test_history_to_disk_parquet_round_trip(tmp_path, synth, nlp, analyzed):
    """Parquet: ids stay text, booleans stay parsed, ``as_of`` kept; the analysis is saved when it ran
    (no re-run on load), else the loaded history runs the analyzer once, on first use."""
    pytest.importorskip("pyarrow")
    t = _awkward(synth)
    as_of = pd.Timestamp("2024-06-30 12:00")  # not the default (the latest timestamp)
    h = _quiet(History.from_frames, t["feedback"], t["contacts"], t["events"], t["customers"], nlp=nlp, as_of=as_of)
    assert h.feedback["customer_id"].dropna().str.fullmatch(r"1\d{3}").all()  # 1000.0 -> "1000"
    if analyzed:
        _ = h.feedback_analyzed
    out = h.to_disk(tmp_path / "h", format="parquet")
    assert sorted(p.name for p in out.iterdir()) == [
        "contacts.parquet", "customers.parquet", "events.parquet", "feedback.parquet", "history.json"]
    meta = json.loads((out / "history.json").read_text(encoding="utf-8"))
    assert meta["format"] == "parquet" and meta["analyzed"] is analyzed
    back = History.from_disk(out, nlp=nlp)
    assert back.as_of == as_of and History.read(out).as_of == as_of
    for name in ("feedback", "contacts", "events", "customers"):
        a, b = getattr(h, name), getattr(back, name)
        assert len(a) == len(b) and list(b.columns)[: len(a.columns)] == list(a.columns), name
        if name != "feedback" or not analyzed:  # the saved feedback is the analyzed one
            assert list(b.columns) == list(a.columns), name
        ids = b["customer_id"].dropna()
        assert ids.map(type).eq(str).all() and ids.tolist() == a["customer_id"].dropna().tolist(), name
    assert back.feedback["customer_id"].isna().sum() == h.feedback["customer_id"].isna().sum()
    orders = back.events["order_id"].dropna()
    assert orders.map(type).eq(str).all() and orders.iloc[0] == "2024051200000000"
    assert back.contacts["resolved"].tolist() == h.contacts["resolved"].tolist()
    assert set(back.contacts["resolved"].map(repr)) == {"True", "False", "None"}
    assert back.customers["verified"].tolist() == h.customers["verified"].tolist()
    assert set(back.customers["verified"].map(repr)) == {"True", "False"}
    for c in ("timestamp",):
        assert pd.api.types.is_datetime64_any_dtype(back.feedback[c])
    assert back.n_analyzer_runs == 0
    fb = back.feedback_analyzed
    assert back.n_analyzer_runs == (0 if analyzed else 1)
    assert isinstance(fb["aspects"].iloc[0], list) and isinstance(fb["evidence"].iloc[0], dict)
    if analyzed:
        cols = ["sentiment", "intent", "complaint_stage"]
        pd.testing.assert_frame_equal(fb[cols], h.feedback_analyzed[cols], check_dtype=False)
        assert fb["aspects"].tolist() == [list(v) for v in h.feedback_analyzed["aspects"]]
    pd.testing.assert_series_equal(back.profiles["problem_level"], h.profiles["problem_level"])
    pd.testing.assert_series_equal(back.profiles["silent"], h.profiles["silent"])


def test_read_folder_and_paths(tmp_path, synth):
    for name in ("feedback", "contacts", "events"):
        synth[name].to_csv(tmp_path / f"{name}.csv", index=False)
    synth["customers"].to_json(tmp_path / "customers.jsonl", orient="records", lines=True, force_ascii=False, date_format="iso")
    h = _quiet(History.read, tmp_path)
    assert len(h.feedback) == len(synth["feedback"]) and h.customers is not None
    assert isinstance(h.feedback["aspects"].iloc[0], list)  # list cells decoded
    h2 = _quiet(History.read, [tmp_path / "feedback.csv", tmp_path / "events.csv"])
    assert len(h2.contacts) == 0 and len(h2.events) == len(synth["events"])
    with pytest.raises(ValueError, match="unknown table"):
        History.read({"feedbacks": tmp_path / "feedback.csv"})
    with pytest.raises(ValueError, match="no feedback"):
        History.read([tmp_path / "events.csv"])
    with pytest.raises(ValueError, match="no such file"):
        History.read({"feedback": tmp_path / "missing.csv"})


def test_issue_model_to_disk_round_trip(tmp_path, hist):
    model = voc.discover_issues(hist, n_issues=4)
    out = model.to_disk(tmp_path / "issues")
    assert {p.suffix for p in out.iterdir()} == {".json", ".npy"}
    for p in out.glob("*.npy"):
        np.load(p, allow_pickle=False)
    json.loads((out / "issue_model.json").read_text(encoding="utf-8"))
    back = IssueModel.from_disk(out)
    texts = model.issues_["examples"].explode().tolist() + ["快递三天了还没到", "今天天气不错"]
    ids, sims = model.predict(texts)
    ids2, sims2 = back.predict(texts)
    assert ids.tolist() == ids2.tolist()
    np.testing.assert_allclose(sims, sims2, atol=1e-5)
    pd.testing.assert_frame_equal(back.issues_[["issue_id", "label", "size"]], model.issues_[["issue_id", "label", "size"]])
    pd.testing.assert_frame_equal(back.assignment_, model.assignment_, check_dtype=False, check_index_type=False)
    again = back.predict(hist)
    pd.testing.assert_frame_equal(again, model.predict(hist))
    assert (again["issue_id"].to_numpy() == model.assignment_["issue_id"].to_numpy()).mean() > 0.9
    with pytest.raises(ValueError, match="not fitted"):
        IssueModel().to_disk(tmp_path / "x")
    with pytest.raises(ValueError, match="not a saved IssueModel"):
        IssueModel.from_disk(tmp_path)


def test_issue_model_fit_history(hist):
    model = IssueModel(n_issues=3).fit(hist)
    assert model.assignment_.index.isin(hist.feedback.index).all()
    assert model.issues_["n_customers"].sum() > 0
    assert not Path("issue_model.json").exists()


def test_journey_paths_takes_a_history(synth, hist):
    from voc.journey import journey_paths

    old = _quiet(journey_paths, synth["feedback"], synth["contacts"], synth["events"], synth["customers"])
    new = journey_paths(hist)
    pd.testing.assert_frame_equal(new, old)
    with pytest.raises(ValueError, match="contacts and events are required"):
        journey_paths(synth["feedback"])
