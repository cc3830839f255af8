"""The synthetic history generator: deterministic, valid schemas and labels, consistent truth."""

from __future__ import annotations

import time
from functools import lru_cache

import pandas as pd
import pytest

from voc.customers import validate_contacts, validate_customers, validate_events, validate_feedback
from voc.synthetic import DEFAULT_ISSUES, generate_history
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
