"""The synthetic history generator: deterministic, valid schemas and labels, consistent truth."""

from __future__ import annotations

import time
from functools import lru_cache

import pandas as pd
import pytest

from voc.customers import validate_contacts, validate_customers, validate_events, validate_feedback
from voc.synthetic import DEFAULT_ISSUES, SIGNAL_CASE_RATES, generate_history
from voc.taxonomy import TASKS, load_taxonomy


@lru_cache(maxsize=4)
def _history(n: int = 2000, seed: int = 0) -> dict[str, pd.DataFrame]:
    return generate_history(n_customers=n, seed=seed)


def test_keys_and_sizes() -> None:
    h = _history()
    assert set(h) == {"customers", "feedback", "contacts", "events", "truth", "text_truth"}
    assert len(h["customers"]) == len(h["truth"]) == 2000
    assert len(h["feedback"]) == len(h["text_truth"])
    assert h["feedback"]["customer_id"].isin(h["customers"]["customer_id"]).all()


def test_deterministic_for_a_seed() -> None:
    a = generate_history(n_customers=300, seed=7)
    b = generate_history(n_customers=300, seed=7)
    for key in a:
        pd.testing.assert_frame_equal(a[key], b[key])
    c = generate_history(n_customers=300, seed=8)
    assert not a["feedback"]["text"].equals(c["feedback"]["text"])


def test_tables_pass_validation() -> None:
    h = _history()
    for fn, key in (
        (validate_feedback, "feedback"),
        (validate_contacts, "contacts"),
        (validate_events, "events"),
        (validate_customers, "customers"),
    ):
        out = fn(h[key])
        assert out["validation_error"].isna().all(), key


def test_gold_labels_are_valid_taxonomy_codes() -> None:
    tax = load_taxonomy()
    fb = _history()["feedback"]
    for task in TASKS:
        for value in fb[task]:
            tax.validate(task, value)


def test_evidence_spans_are_in_the_text() -> None:
    fb = _history()["feedback"]
    n = 0
    for text, ev, reasons in zip(fb["text"], fb["evidence"], fb["non_complaint_reasons"], strict=True):
        for spans in ev.values():
            for s in spans:
                assert s in text
                n += 1
        for r in reasons:
            assert r in ev, "every planted reason has its evidence span"
    assert n > 100


def test_truth_is_consistent() -> None:
    tr = _history()["truth"]
    assert (tr.loc[tr["churn_caused_by_issue"], "churned"]).all()
    assert (tr.loc[tr["churn_caused_by_issue"], "issue"]).notna().all()
    assert (tr.loc[tr["silent"], "has_problem"]).all()
    assert ((tr["issue_id"] >= 0) == tr["issue"].notna()).all()
    assert ((tr["problem_level"] == 0) == ~tr["has_problem"]).all()
    assert set(tr["issue"].dropna()) == {i.code for i in DEFAULT_ISSUES}
    # seed 000: about half of the silent customers lean 凡人
    share = (tr.loc[tr["silent"], "archetype_lean"] == "凡人").mean()
    assert 0.35 <= share <= 0.65


def test_planted_issues_raise_churn() -> None:
    tr = _history()["truth"]
    affected = tr["issue"].notna()
    assert tr.loc[affected, "churned"].mean() > 2 * tr.loc[~tr["has_problem"], "churned"].mean()


def test_mix_in_a_corpus_dataframe() -> None:
    corpus = pd.DataFrame(
        {
            "text": ["物业费乱收，投诉无门", "服务很好，点赞", "请问几点开门"],
            "sentiment": ["negative", "positive", "neutral"],
            "emotion": ["anger", "delight", "neutral"],
            "channel": ["weibo", "app_review", "forum"],
        }
    )
    h = generate_history(n_customers=50, seed=1, corpus=corpus, corpus_rate=0.06)
    mixed = h["feedback"][h["text_truth"]["kind"] == "corpus"]
    assert len(mixed) == 3
    assert set(mixed["text"]) == set(corpus["text"])
    neg_customer = mixed.loc[mixed["sentiment"] == "negative", "customer_id"].iloc[0]
    assert h["truth"].set_index("customer_id").loc[neg_customer, "has_problem"]


def test_mix_in_voc_zh_when_available() -> None:
    from voc.datasets import load_frame

    try:
        load_frame("voc_zh")
    except FileNotFoundError:
        pytest.skip("voc_zh corpus not built yet")
    h = generate_history(n_customers=200, seed=2, corpus="voc_zh")
    assert (h["text_truth"]["kind"] == "corpus").sum() == 20


def test_missing_corpus_only_warns() -> None:
    with pytest.warns(UserWarning, match="not available"):
        h = generate_history(n_customers=20, seed=0, corpus="/nonexistent/corpus.csv")
    assert len(h["customers"]) == 20


def test_generation_speed() -> None:
    t0 = time.perf_counter()
    h = generate_history(n_customers=10_000, seed=3)
    dt = time.perf_counter() - t0
    print(
        f"\ngenerate_history: 10k customers, {len(h['feedback'])} texts, {len(h['events'])} events in {dt:.1f} s"
    )
    assert dt < 30


# --------------------------------------------------------------------------- silent / level hard cases (#14)
def test_signal_hard_cases_have_consistent_truth() -> None:
    h = generate_history(n_customers=1500, seed=12)
    tr = h["truth"].set_index("customer_id")
    ev, kinds = h["events"], h["text_truth"]["kind"]
    decoys = tr[tr["decoy"].notna()]
    assert len(decoys) > 50 and not decoys["has_problem"].any()
    assert (tr["routine_questions"].sum()) == (kinds == "routine_question").sum() > 100
    assert (tr.loc[tr["churn_without_problem"], "churned"]).all()
    assert not tr.loc[tr["churn_without_problem"], "has_problem"].any()
    churn_at = ev[ev["type"] == "churn"].groupby("customer_id")["timestamp"].min()
    last_act = ev.groupby("customer_id")["timestamp"].max()
    quiet = tr.index[tr["churn_without_problem"]]
    assert (last_act.reindex(quiet) <= churn_at.reindex(quiet)).all(), "no activity after churn"
    solved = tr[tr["solved_by"].notna()]
    assert len(solved) > 20 and solved["silent"].all() and solved["solved"].all()
    assert (solved["problem_level"] == 1).all()
    by_order = solved.index[solved["solved_by"].str.contains("order")]
    orders = ev[(ev["type"] == "order") & ev["customer_id"].isin(by_order)]
    last_order = orders.groupby("customer_id")["timestamp"].max().reindex(by_order)
    assert (last_order > solved.loc[by_order, "problem_start"]).all()
    assert tr.loc[tr["long_episode"], "has_problem"].all() and not tr.loc[tr["long_episode"], "recurring"].any()
    assert ((tr["problem_level"] == 0) == ~tr["has_problem"]).all()


def test_signal_hard_cases_leave_the_base_history_alone() -> None:
    base = generate_history(n_customers=300, seed=5, signal_cases=False)
    hard = generate_history(n_customers=300, seed=5)
    assert "decoy" not in base["truth"] and "decoy" in hard["truth"]
    keep = ~hard["text_truth"]["kind"].isin(["routine_question", "follow_up", "solved_follow_up", "churn"])
    base_kept = base["feedback"][base["text_truth"]["kind"] != "churn"]["text"]
    assert set(base_kept) <= set(hard["feedback"]["text"]) | set(base_kept[~base_kept.isin(hard["feedback"]["text"])])
    assert keep.sum() <= len(base["feedback"])
    pd.testing.assert_frame_equal(base["contacts"], hard["contacts"])
    none = generate_history(n_customers=300, seed=5, signal_cases={k: 0.0 for k in SIGNAL_CASE_RATES})
    assert none["truth"]["decoy"].isna().all() and len(none["feedback"]) == len(base["feedback"])


def test_signal_hard_case_rates_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown hard-case rate"):
        generate_history(n_customers=20, seed=0, signal_cases={"decoys": 0.1})
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        generate_history(n_customers=20, seed=0, signal_cases={"decoy_rate": 2.0})
