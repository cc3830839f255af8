"""Compensation standard and case-flow tracking (seed 001)."""

from __future__ import annotations

import pandas as pd
import pytest

from voc.compensation import (
    acceptance_rates,
    compensation_inputs,
    load_compensation_table,
    mood_grade,
    recommend_compensation,
    track_cases,
    value_grades,
)
from voc.customers import profile_customers
from voc.synthetic import generate_history


def test_table_lookup_first_match_and_acceptance_history():
    cases = pd.DataFrame(
        {
            "value_grade": ["A", "C", "C", "C", "B"],
            "problem_level": [4, 1, 4, 4, 1],
            "mood_grade": ["angry", "calm", "upset", "upset", "angry"],
            "acceptance": ["none", "none", "rejected_before", "none", None],
        }
    )
    r = recommend_compensation(cases)
    assert r["compensate"].tolist() == [True, False, True, True, True]
    assert r[["amount_low", "amount_high"]].values.tolist()[2] == [30.0, 80.0]  # rejected before: one band up
    assert r[["amount_low", "amount_high"]].values.tolist()[3] == [20.0, 50.0]
    assert r["note"].iloc[0].startswith("高价值")
    custom = pd.DataFrame(
        {
            "value_grade": ["A"],
            "problem_level": ["*"],
            "mood_grade": ["*"],
            "acceptance": ["*"],
            "compensate": ["yes"],
            "amount_low": [1],
            "amount_high": [2],
        }
    )
    r2 = recommend_compensation(cases, custom)
    assert r2["compensate"].tolist() == [True, False, False, False, False]
    assert r2["rule"].isna().sum() == 4
    with pytest.raises(ValueError, match="compensate"):
        load_compensation_table(custom.assign(compensate="maybe"))


def test_grades():
    g = value_grades(pd.Series([0.0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]))
    assert g.iloc[0] == "C" and g.iloc[-1] == "A" and g.iloc[7] == "B"
    assert mood_grade("anger") == "angry"
    assert mood_grade("neutral", "complaint") == "angry"
    assert mood_grade("impatience") == "upset"
    assert mood_grade("neutral", "none") == "calm"


def test_inputs_from_profiles():
    h = generate_history(n_customers=400, seed=2)
    prof = profile_customers(h["feedback"], h["contacts"], h["events"], h["customers"])
    inp = compensation_inputs(prof, h["feedback"])
    assert set(inp.index) == set(prof.index[prof["problem_level"] > 0])
    assert set(inp["value_grade"]) <= {"A", "B", "C"} and set(inp["mood_grade"]) <= {"angry", "upset", "calm"}
    rec = recommend_compensation(inp)
    assert rec["rule"].notna().all()  # the shipped table ends with a catch-all
    lvl4 = rec[rec["problem_level"] == 4]
    assert lvl4["compensate"].all()


def test_case_flows_and_acceptance_rates():
    steps = {
        "k1": ["offer", "accepted", "review_invited", "reviewed"],
        "k2": ["offer", "rejected", "negotiation", "accepted", "review_invited"],
        "k3": ["offer", "rejected", "negotiation", "rejected", "complaint", "renegotiation", "accepted"],
        "k4": ["inform", "soothe", "accepted", "review_invited"],
        "k5": ["inform", "soothe", "rejected", "soothe", "review_invited", "reviewed"],
        "k6": ["offer"],
    }
    ev = pd.DataFrame(
        [
            {
                "case_id": k,
                "customer_id": k.upper(),
                "timestamp": pd.Timestamp("2024-01-01") + pd.Timedelta(hours=i),
                "step": s,
            }
            for k, ss in steps.items()
            for i, s in enumerate(ss)
        ]
    )
    c = track_cases(ev.sample(frac=1, random_state=0))  # order comes from the timestamps
    assert c.loc["k1", "flow"] == "compensate:first_offer"
    assert c.loc["k2", "flow"] == "compensate:negotiation"
    assert c.loc["k3", "flow"] == "compensate:after_complaint" and c.loc["k3", "complained"]
    assert c.loc["k4", "flow"] == "no_compensation:first_offer"
    assert c.loc["k5", "outcome"] == "not_accepted" and c.loc["k5", "reviewed"]
    assert c.loc["k6", "outcome"] == "open"
    rates = acceptance_rates(c)
    assert rates.loc["compensate", "n_cases"] == 4 and rates.loc["compensate", "open"] == 1
    assert rates.loc["compensate", "accepted_rate"] == 1.0
    assert rates.loc["compensate", "first_offer_rate"] == pytest.approx(1 / 3)
    assert rates.loc["no_compensation", "accepted_rate"] == 0.5
    assert rates.loc["no_compensation", "review_rate"] == 0.5
    with pytest.raises(ValueError, match="unknown case step"):
        track_cases(ev.assign(step="refund"))
