"""Customer profiles: schema validation, RFM, silent flag and problem levels, against known truth."""

from __future__ import annotations

import time
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from voc.customers import (
    ensure_analyzed,
    profile_customers,
    validate_contacts,
    validate_events,
    validate_feedback,
)
from voc.synthetic import generate_history

AS_OF = pd.Timestamp("2024-06-30")


@lru_cache(maxsize=2)
def _history(n: int = 2000, seed: int = 0) -> dict[str, pd.DataFrame]:
    return generate_history(n_customers=n, seed=seed)


@lru_cache(maxsize=2)
def _profiles(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    h = _history(n, seed)
    return profile_customers(h["feedback"], h["contacts"], h["events"], h["customers"])


def _fb(rows: list[tuple]) -> pd.DataFrame:
    cols = [
        "customer_id",
        "timestamp",
        "text",
        "sentiment",
        "emotion",
        "journey_stage",
        "non_complaint_reasons",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["channel"] = "app_review"
    return df


def _ts(days_before: float) -> pd.Timestamp:
    return AS_OF - pd.Timedelta(days=days_before)


# --------------------------------------------------------------------------- validation
def test_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match=r"feedback is missing required column\(s\) \['timestamp'\]"):
        validate_feedback(pd.DataFrame({"text": ["a"], "channel": ["x"]}))
    with pytest.raises(ValueError, match="'type'"):
        validate_events(pd.DataFrame({"customer_id": [1], "timestamp": ["2024-01-01"]}))


def test_bad_dtypes_raise() -> None:
    with pytest.raises(ValueError, match=r"contacts\.timestamp must hold datetimes"):
        validate_contacts(
            pd.DataFrame({"customer_id": [1], "channel": ["hotline"], "timestamp": [1700000000]})
        )
    with pytest.raises(ValueError, match=r"feedback\.text must hold strings"):
        validate_feedback(pd.DataFrame({"text": [1.5], "channel": ["x"], "timestamp": ["2024-01-01"]}))
    with pytest.raises(ValueError, match=r"events\.amount must be numeric"):
        validate_events(
            pd.DataFrame(
                {"customer_id": [1], "timestamp": ["2024-01-01"], "type": ["order"], "amount": ["abc"]}
            )
        )
    with pytest.raises(ValueError, match="must be a pandas DataFrame"):
        validate_feedback([{"text": "x"}])  # type: ignore[arg-type]


def test_bad_rows_are_flagged_not_dropped() -> None:
    ev = pd.DataFrame(
        {
            "customer_id": ["a", "a", None, "b"],
            "timestamp": ["2024-01-01", "not a date", "2024-01-02", "2024/03/04 10:00"],
            "type": ["order", "order", "order", "return"],
            "amount": [10, "x", 5, 3],
        }
    )
    out = validate_events(ev)
    assert len(out) == 4
    assert out["validation_error"].tolist()[0] is None
    assert "bad timestamp" in out["validation_error"][1] and "bad amount" in out["validation_error"][1]
    assert "missing customer_id" in out["validation_error"][2]
    assert out["timestamp"][3] == pd.Timestamp("2024-03-04 10:00")
    fb = _fb([("a", "2024-01-05", "不好", "negative", "anger", "unresolved", [])])
    ct = pd.DataFrame(
        {"customer_id": ["a"], "channel": ["hotline"], "timestamp": ["2024-01-06"], "resolved": ["yes"]}
    )
    with pytest.warns(UserWarning, match="2 of 4 rows flagged"):
        prof = profile_customers(fb, ct, ev)
    assert prof.attrs["invalid_rows"]["events"] == 2
    assert prof.loc["a", "frequency"] == 1


def test_mixed_timezones_and_formats_parse() -> None:
    fb = pd.DataFrame(
        {
            "text": ["x", "y", "z"],
            "channel": ["weibo"] * 3,
            "timestamp": ["2024-01-01T08:00:00+08:00", "2024-01-01 00:00:00", "01/02/2024"],
        }
    )
    out = validate_feedback(fb)
    assert out["validation_error"].isna().all()
    assert out["timestamp"][0] == pd.Timestamp("2024-01-01 00:00:00")


# --------------------------------------------------------------------------- hand-made cases
def _toy() -> pd.DataFrame:
    fb = _fb(
        [
            ("L1", _ts(30), "退款没到账", "negative", "anger", "unresolved", []),
            ("L2", _ts(100), "app闪退", "negative", "anger", "unresolved", []),
            ("L2", _ts(40), "又闪退了", "negative", "anger", "recurred", []),
            ("L3", _ts(100), "扣费不明", "negative", "anxiety", "unresolved", ["let_it_go"]),
            ("L3", _ts(50), "又被扣费了，算了", "negative", "resignation", "unresolved", ["let_it_go"]),
            ("L4", _ts(20), "快递丢了", "negative", "anger", "unresolved", []),
            ("OK", _ts(20), "很好", "positive", "delight", "resolved", []),
            ("TR", _ts(90), "有点失望", "negative", "disappointment", "unresolved", []),
            ("TR", _ts(10), "现在挺好的", "positive", "delight", "resolved", []),
        ]
    )
    ct = pd.DataFrame(
        [
            ("L1", "hotline", _ts(29), True),
            ("L2", "online_chat", _ts(99), True),
            ("L2", "online_chat", _ts(39), True),
            ("L4", "hotline", _ts(19), False),
            ("L4", "hotline", _ts(15), False),
            ("OLD", "hotline", _ts(300), True),
        ],
        columns=["customer_id", "channel", "timestamp", "resolved"],
    )
    ev = pd.DataFrame(
        [
            ("R", _ts(400), "order", 100.0, np.nan),
            ("R", _ts(200), "order", 50.0, np.nan),
            ("R", _ts(10), "order", 30.0, np.nan),
            ("R", _ts(5), "nps", np.nan, 9),
            ("OLD", _ts(500), "order", 20.0, np.nan),
            ("OLD", _ts(12), "return", 20.0, np.nan),
            ("N", _ts(60), "nps", np.nan, 8),
            ("N", _ts(20), "nps", np.nan, 3),
            ("C", _ts(30), "churn", np.nan, np.nan),
        ],
        columns=["customer_id", "timestamp", "type", "amount", "score"],
    )
    cu = pd.DataFrame(
        {"customer_id": ["R", "N"], "signup_date": [_ts(730), _ts(100)], "verified": [True, "否"]}
    )
    return profile_customers(fb, ct, ev, cu, as_of=AS_OF)


def test_problem_levels_follow_seed_001() -> None:
    p = _toy()
    lv = p["problem_level"]
    assert lv["L1"] == 1  # once, solved
    assert lv["L2"] == 2 and p.loc["L2", "recurring"]  # recurring, solved
    assert lv["L3"] == 3 and p.loc["L3", "n_episodes"] == 2  # recurring, unsolved
    assert lv["L4"] == 4  # several contacts, unsolved
    assert lv["OK"] == 0 and lv["R"] == 0
    assert p.loc["L1", "problem_status"] == "solved"
    assert p.loc["L4", "problem_status"] == "unsolved"
    assert p.loc["L3", "problem_status"] == "unsolved"
    assert p.loc["OLD", "problem_status"] == "unknown" and lv["OLD"] == 3


def test_silent_flag_uses_the_window_and_the_problem_time() -> None:
    p = _toy()
    assert p.loc["L3", "silent"] and not p.loc["L3", "vocal"]
    assert p.loc["OLD", "silent"], "a contact 300 days ago does not make a customer vocal"
    assert p.loc["N", "silent"], "low NPS is a problem signal"
    assert p.loc["C", "silent"] and p.loc["C", "churned"]
    assert not p.loc["L1", "silent"] and p.loc["L1", "vocal"]
    assert not p.loc["OK", "silent"] and not p.loc["OK", "has_problem"]


def test_rfm_tenure_nps() -> None:
    p = _toy()
    assert p.loc["R", "frequency"] == 3
    assert p.loc["R", "monetary"] == pytest.approx(180.0)
    assert p.loc["R", "recency_days"] == pytest.approx(10.0)
    assert p.loc["R", "tenure_days"] == pytest.approx(730.0)
    assert not p.loc["R", "is_new"] and p.loc["N", "is_new"]
    assert p.loc["R", "nps"] == 9 and p.loc["N", "nps"] == 3
    assert p.loc["N", "n_low_nps"] == 1
    assert p.loc["N", "verified"] is False or p.loc["N", "verified"] == False  # noqa: E712
    assert p.loc["OLD", "n_returns"] == 1
    assert p.loc["L4", "contacts_per_year"] > p.loc["L1", "contacts_per_year"]


def test_reasons_and_emotion_trend() -> None:
    p = _toy()
    assert p.loc["L3", "reason_let_it_go"] == 2
    assert p.loc["L3", "top_reason"] == "let_it_go"
    assert p.loc["TR", "sentiment_trend"] > 0
    assert p.loc["TR", "emotion_trend"] == "disappointment->delight"
    assert p.loc["L3", "emotion_trend"] == "anxiety->resignation"


def test_chat_transcripts_count_as_contacts_once() -> None:
    fb = _fb(
        [
            ("A", _ts(10), "客服你好，退款没到账", "negative", "anger", "seeking_help", []),
            ("B", _ts(10), "退款没到账", "negative", "anger", "seeking_help", []),
        ]
    )
    fb["channel"] = "chat"
    ct = pd.DataFrame(
        {"customer_id": ["A"], "channel": ["online_chat"], "timestamp": [_ts(10) + pd.Timedelta("5min")]}
    )
    ev = pd.DataFrame(columns=["customer_id", "timestamp", "type"])
    p = profile_customers(fb, ct, ev, as_of=AS_OF)
    assert p.loc["A", "n_contacts"] == 1, "transcript of a logged contact is not a second contact"
    assert p.loc["B", "n_contacts"] == 1 and not p.loc["B", "silent"]


# --------------------------------------------------------------------------- against the generator's truth
def test_silent_recall_and_precision_against_truth() -> None:
    p = _profiles()
    truth = _history()["truth"].set_index("customer_id").reindex(p.index)
    tp = (p["silent"] & truth["silent"]).sum()
    recall, precision = tp / truth["silent"].sum(), tp / p["silent"].sum()
    print(f"\nsilent customers: recall {recall:.3f}, precision {precision:.3f}")
    assert recall >= 0.9 and precision >= 0.9


def test_problem_level_against_truth() -> None:
    p = _profiles()
    truth = _history()["truth"].set_index("customer_id").reindex(p.index)
    agree = (p["problem_level"] == truth["problem_level"]).mean()
    problem = truth["has_problem"]
    agree_problem = (p["problem_level"] == truth["problem_level"])[problem].mean()
    print(f"\nproblem level agreement: all {agree:.3f}, customers with a problem {agree_problem:.3f}")
    assert agree >= 0.9 and agree_problem >= 0.85
    assert set(p["problem_level"]) == {0, 1, 2, 3, 4}


def test_profile_is_one_row_per_customer() -> None:
    p = _profiles()
    h = _history()
    assert p.index.is_unique and len(p) == len(h["customers"])
    assert p.attrs["as_of"] == max(
        h["feedback"]["timestamp"].max(), h["events"]["timestamp"].max(), h["contacts"]["timestamp"].max()
    )


def test_profile_speed_medium() -> None:
    h = generate_history(n_customers=10_000, seed=4, texts_per_customer=1.5)
    t0 = time.perf_counter()
    p = profile_customers(h["feedback"], h["contacts"], h["events"], h["customers"])
    dt = time.perf_counter() - t0
    print(
        f"\nprofile_customers: {len(p)} customers, {len(h['feedback'])} texts, {len(h['events'])} events "
        f"in {dt:.2f} s"
    )
    assert dt < 15


@pytest.mark.slow
def test_profile_speed_50k_customers_100k_texts() -> None:
    t0 = time.perf_counter()
    h = generate_history(n_customers=50_000, seed=5, texts_per_customer=1.5)
    gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    p = profile_customers(h["feedback"], h["contacts"], h["events"], h["customers"])
    dt = time.perf_counter() - t0
    print(
        f"\n50k customers: generated in {gen:.1f} s; profiled {len(p)} customers, {len(h['feedback'])} texts, "
        f"{len(h['events'])} events, {len(h['contacts'])} contacts in {dt:.2f} s"
    )
    assert len(h["feedback"]) >= 100_000
    assert dt < 60


# --------------------------------------------------------------------------- analyzer call path
def test_unanalysed_feedback_goes_through_voc_analyze_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    import voc

    calls = []

    def fake_analyze_frame(df: pd.DataFrame, text_col: str = "text") -> pd.DataFrame:
        calls.append(len(df))
        return df.assign(sentiment=["negative" if "没" in t else "positive" for t in df[text_col]])

    monkeypatch.setattr(voc, "analyze_frame", fake_analyze_frame, raising=False)
    fb = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "channel": ["weibo"] * 2,
            "timestamp": [_ts(5), _ts(5)],
            "text": ["退款没到账", "很好"],
        }
    )
    p = profile_customers(
        fb,
        pd.DataFrame(columns=["customer_id", "channel", "timestamp"]),
        pd.DataFrame(columns=["customer_id", "timestamp", "type"]),
        as_of=AS_OF,
    )
    assert calls == [2]
    assert p.loc["a", "silent"] and not p.loc["b", "has_problem"]
    assert ensure_analyzed(fb.assign(sentiment="neutral")) is not None and calls == [2]


def test_real_analyzer_when_available() -> None:
    try:
        from voc import analyze_frame
    except (ImportError, AttributeError):
        pytest.skip("voc.analyze_frame is not available yet")
    h = generate_history(n_customers=60, seed=9)
    fb = h["feedback"][["customer_id", "channel", "timestamp", "text"]].head(40)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analyze_frame(fb.head(1), text_col="text")
    except (FileNotFoundError, OSError, ImportError) as e:
        pytest.skip(f"analyzer not usable here: {e}")
    p = profile_customers(fb, h["contacts"], h["events"], h["customers"])
    assert {"silent", "problem_level"} <= set(p.columns)
    assert p["n_feedback"].sum() == fb["customer_id"].notna().sum()
