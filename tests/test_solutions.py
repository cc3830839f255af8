"""Solution recommendation (seed 001): similar resolved cases, ranked by one-contact closure."""

from __future__ import annotations

import pandas as pd
import pytest

from voc.solutions import (
    RESULT_COLUMNS,
    SolutionIndex,
    cases_from_contacts,
    load_solutions,
    recommend_solutions,
)

PLANTED = {
    "refund_delay",
    "delivery_late_wrong",
    "hotline_unreachable",
    "app_crash",
    "unclear_charge",
    "parcel_lost",
    "auto_renewal",
}


@pytest.fixture(scope="module")
def index() -> SolutionIndex:
    return SolutionIndex()


# --------------------------------------------------------------------------- the bundled table
def test_sample_table_covers_the_planted_issues() -> None:
    t = load_solutions()
    assert 35 <= len(t) <= 50
    assert set(t["issue"]) == PLANTED
    assert t["case_id"].is_unique
    assert (t["first_contact_resolution"] == (t["contacts_to_close"] == 1)).all()
    # every issue has a solution that closes in one contact and one that does not always
    per_issue = t.groupby("issue")["first_contact_resolution"].agg(["any", "all"])
    assert per_issue["any"].all() and not per_issue["all"].any()


def test_top_solution_for_a_new_refund_text_comes_from_a_refund_case(index: SolutionIndex) -> None:
    rec = index.recommend("我的退款申请都两个星期了还没有到账，钱到底退到哪里去了")
    assert list(rec.columns) == list(RESULT_COLUMNS)
    best = rec.iloc[0]
    assert best["rank"] == 1
    assert best["issue"] == "refund_delay"
    assert {e["issue"] for e in best["evidence"]} == {"refund_delay"}
    assert "退款" in best["solution"] and best["n_one_contact"] >= 1
    assert best["evidence"][0]["similarity"] == best["best_similarity"]
    assert "closed in one contact" in best["explanation"]
    assert rec["rank"].tolist() == list(range(1, len(rec) + 1))
    assert rec["score"].is_monotonic_decreasing


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        ("外卖送错了，我点的是米饭送来的是面条", "delivery_late_wrong"),
        ("客服热线一直占线，打了十几次都没人接", "hotline_unreachable"),
        ("app一登录就闪退，重装了也不行", "app_crash"),
        ("账单上多了一笔不明扣费，我没开通过这个业务", "unclear_charge"),
        ("快递显示已签收但我没收到，包裹丢了", "parcel_lost"),
        ("会员到期自动续费扣钱了，也没提醒", "auto_renewal"),
    ],
)
def test_top_solution_matches_the_issue(index: SolutionIndex, text: str, issue: str) -> None:
    assert index.recommend(text).loc[0, "issue"] == issue


def test_planted_texts_of_the_generator_get_a_solution_of_their_issue(index: SolutionIndex) -> None:
    from voc.synthetic import generate_history

    h = generate_history(n_customers=500, seed=11)
    fb = h["feedback"].join(h["text_truth"])
    fb = fb[fb["issue"].notna()]
    rec = index.recommend(fb["text"], top=1).set_index("query_id")
    assert len(rec) == len(fb) and rec["rank"].notna().all()
    assert (rec["issue"] == fb["issue"]).mean() >= 0.95


# --------------------------------------------------------------------------- ranking
def _table(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["case_text", "solution", "contacts_to_close"])


def test_ranking_prefers_solutions_that_closed_in_one_contact() -> None:
    text = "退款十天了还没到账"
    t = _table(
        [
            (text, "让客户继续等待", 3),
            (text, "让客户继续等待", 2),
            (text, "让客户继续等待", 2),
            (text, "提供银行受理单号并设置到账提醒", 1),
        ]
    )
    rec = recommend_solutions("退款一直没到账", t)
    assert rec["solution"].tolist() == ["提供银行受理单号并设置到账提醒", "让客户继续等待"]
    first, second = rec.iloc[0], rec.iloc[1]
    assert (first["n_cases"], first["n_one_contact"], first["one_contact_rate"]) == (1, 1, 1.0)
    assert (second["n_cases"], second["n_one_contact"], second["score"]) == (3, 0, 0.0)
    assert second["mean_contacts_to_close"] == pytest.approx(7 / 3, abs=1e-3)


def test_more_one_contact_closures_beat_a_higher_rate_and_similarity_weights_them() -> None:
    t = _table(
        [
            ("退款一直没到账", "A 加急退款", 1),
            ("退款一直没到账", "A 加急退款", 1),
            ("退款一直没到账", "A 加急退款", 2),
            ("退款一直没到账", "B 原路退回", 1),
            ("快递丢了一个星期", "C 补发", 1),
        ]
    )
    rec = recommend_solutions("退款一直没到账", t, min_similarity=0.0)
    assert rec["solution"].tolist()[:2] == ["A 加急退款", "B 原路退回"]  # 2 closures beat 1 of 1
    # the same one-contact count: the more similar case wins
    t2 = _table([("退款一直没到账", "B 原路退回", 1), ("退款审核中", "D 人工审核", 1)])
    rec2 = recommend_solutions("退款一直没到账", t2, min_similarity=0.0)
    assert rec2["solution"].iloc[0] == "B 原路退回"
    assert rec2["score"].iloc[0] > rec2["score"].iloc[1]


def test_first_contact_resolution_column_and_solution_grouping() -> None:
    t = pd.DataFrame(
        {
            "case_text": ["退款没到账", "退款没到账", "退款没到账"],
            "solution": ["等待", "提供受理单号", " 提供 受理单号 "],
            "first_contact_resolution": ["否", "是", "true"],
            "resolved": [True, True, True],
        }
    )
    rec = recommend_solutions("退款没到账", t)
    assert rec["solution"].iloc[0] == "提供受理单号"
    assert rec["n_cases"].iloc[0] == 2  # whitespace variants are one solution
    assert rec["mean_contacts_to_close"].isna().all()


def test_unresolved_rows_are_left_out() -> None:
    t = _table([("退款没到账", "好方案", 1), ("退款没到账", "坏方案", 1)])
    t["resolved"] = [True, False]
    loaded = load_solutions(t)
    assert loaded["solution"].tolist() == ["好方案"] and loaded.attrs["dropped"] == 1


# --------------------------------------------------------------------------- query kinds
def test_queue_items_and_text_tables_as_queries(index: SolutionIndex) -> None:
    from voc.repair import build_repair_queue

    fb = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C2"],
            "channel": ["weibo", "hotline_transcript", "app_review"],
            "timestamp": ["2024-05-01 09:00", "2024-05-02 10:00", "2024-05-02 12:00"],
            "text": ["退款十天了还没到账，气死了", "你好，我的退款还没到账，请尽快处理", "app一打开就闪退"],
            "sentiment": ["negative"] * 3,
            "emotion": ["anger", "impatience", "anger"],
            "intent": ["refund_return", "urge", "help_request"],
            "complaint_stage": ["explicit_grumble"] * 3,
            "aspects": [["after_sales"], ["after_sales"], ["app_website"]],
        }
    )
    q = build_repair_queue(fb)
    rec = index.recommend(q, top=1)
    assert sorted(rec["query_id"]) == sorted(q["item_id"])
    by_item = rec.set_index("query_id")["issue"]
    refund_item = q.loc[q["n_sources"] == 2, "item_id"].iloc[0]
    assert by_item[refund_item] == "refund_delay"
    assert "退款十天了还没到账" in rec.set_index("query_id").loc[refund_item, "query_text"]
    one = index.recommend(q.iloc[0], top=1)  # one queue item (a row)
    assert one["query_id"].tolist() == [q.iloc[0]["item_id"]]
    texts = pd.DataFrame({"body": ["快递丢件了"]}, index=["x1"])
    rec_t = index.recommend(texts, text_col="body", top=1)
    assert rec_t["query_id"].tolist() == ["x1"] and rec_t["issue"].iloc[0] == "parcel_lost"


def test_unmatched_and_empty_queries_get_an_explained_row(index: SolutionIndex) -> None:
    rec = index.recommend(["hello world", "", "退款没到账", None])
    assert rec.groupby("query_id").size().to_dict() == {0: 1, 1: 1, 2: 3, 3: 1}
    miss = rec.set_index("query_id")
    assert pd.isna(miss.loc[0, "rank"]) and "no resolved case" in miss.loc[0, "explanation"]
    assert miss.loc[1, "explanation"] == "empty text" and miss.loc[1, "n_cases"] == 0
    assert miss.loc[3, "explanation"] == "empty text"


# --------------------------------------------------------------------------- contacts with resolutions
def _contacts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["A", "A", "B", "C", "D", "D"],
            "channel": ["hotline"] * 6,
            "timestamp": [
                "2024-05-01",
                "2024-05-05",
                "2024-05-02",
                "2024-05-03",
                "2024-01-01",
                "2024-06-01",
            ],
            "topic": [
                "refund_delay",
                "refund_delay",
                "refund_delay",
                "app_crash",
                "parcel_lost",
                "parcel_lost",
            ],
            "resolved": [False, True, True, False, False, True],
            "resolution": [None, "加急退款", "提供受理单号", "让客户重装", None, "平台先行补发"],
        }
    )


def test_cases_from_contacts_counts_contacts_to_close() -> None:
    fb = pd.DataFrame(
        {
            "customer_id": ["A", "B", "D", "D"],
            "timestamp": ["2024-04-30 20:00", "2024-05-02", "2024-01-01", "2024-06-01"],
            "text": ["退款十天没到账", "退款还没到账，急用钱", "快递丢了", "快递又丢件了"],
            "sentiment": ["negative"] * 4,
        }
    )
    cases = cases_from_contacts(_contacts(), fb)
    got = cases.set_index("customer_id")
    # A: 2 contacts to close; B: 1; C: a note on an unresolved contact is no case;
    # D: the gap of 5 months starts a new episode, closed in 1
    assert sorted(got.index) == ["A", "B", "D"]
    assert got.loc["A", "contacts_to_close"] == 2 and not got.loc["A", "first_contact_resolution"]
    assert got.loc["B", "contacts_to_close"] == 1 and got.loc["B", "first_contact_resolution"]
    assert got.loc["D", "contacts_to_close"] == 1 and got.loc["D", "case_text"] == "快递又丢件了"
    assert got.loc["A", "case_text"] == "退款十天没到账" and got.loc["A", "source_row"] == 1
    rec = recommend_solutions("退款没到账", contacts=_contacts(), feedback=fb)
    assert rec["solution"].iloc[0] == "提供受理单号"  # closed in one contact
    assert rec.attrs["n_cases"] == 3


def test_cases_from_contacts_uses_their_own_text_and_skips_cases_without_text() -> None:
    ct = _contacts()
    ct["description"] = ["退款没到账", None, "退款慢", "闪退", None, None]
    cases = cases_from_contacts(ct)
    assert dict(zip(cases["customer_id"], cases["case_text"], strict=True)) == {
        "A": "退款没到账",
        "B": "退款慢",
    }
    assert cases.attrs["skipped"] == 1  # D has no text and no feedback


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("queries", "exc", "match"),
    [
        ("", ValueError, "empty text"),
        ("   ", ValueError, "empty text"),
        ([], ValueError, "no texts"),
        (["", None], ValueError, "every query text is empty"),
        (pd.DataFrame(), ValueError, "empty table"),
        (pd.DataFrame({"body": ["x"]}), ValueError, "no 'text', 'evidence' or 'summary' column"),
        (42, TypeError, "not int"),
        ([1, 2], TypeError, "must be texts"),
    ],
)
def test_bad_queries_raise_clear_errors(index: SolutionIndex, queries: object, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        index.recommend(queries)


@pytest.mark.parametrize(
    ("table", "match"),
    [
        (
            pd.DataFrame({"text": ["x"], "solution": ["y"], "contacts_to_close": [1]}),
            r"missing column\(s\) \['case_text'\]",
        ),
        (
            pd.DataFrame({"case_text": ["x"], "solution": ["y"]}),
            "contacts_to_close' or a 'first_contact_resolution",
        ),
        (
            pd.DataFrame({"case_text": ["x"], "solution": ["y"], "contacts_to_close": [0]}),
            "whole number >= 1",
        ),
        (
            pd.DataFrame({"case_text": ["x"], "solution": ["y"], "contacts_to_close": ["two"]}),
            "whole number >= 1",
        ),
        (
            pd.DataFrame({"case_text": ["x"], "solution": ["y"], "contacts_to_close": [1.5]}),
            "whole number >= 1",
        ),
        (
            pd.DataFrame({"case_text": ["x"], "solution": ["y"], "first_contact_resolution": ["maybe"]}),
            "true/false",
        ),
        (pd.DataFrame({"case_text": ["x"], "solution": ["y"], "contacts_to_close": [None]}), "neither"),
        (pd.DataFrame({"case_text": [""], "solution": ["y"], "contacts_to_close": [1]}), "no resolved case"),
        (
            pd.DataFrame(
                {"case_text": ["x"], "solution": ["y"], "contacts_to_close": [1], "resolved": ["no"]}
            ),
            "no resolved case",
        ),
    ],
)
def test_bad_solution_tables_raise_clear_errors(table: pd.DataFrame, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        load_solutions(table)


def test_other_bad_inputs(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_solutions(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="unsupported solution table type"):
        (tmp_path / "t.txt").write_text("x")
        load_solutions(tmp_path / "t.txt")
    with pytest.raises(TypeError, match="DataFrame or a file path"):
        load_solutions(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"missing column\(s\) \['resolution'\]"):
        cases_from_contacts(_contacts().drop(columns="resolution"))
    with pytest.raises(ValueError, match="timestamp does not parse"):
        cases_from_contacts(pd.DataFrame({"customer_id": ["A"], "timestamp": ["abc"], "resolution": ["x"]}))
    with pytest.raises(ValueError, match="no contact closes a case"):
        cases_from_contacts(_contacts().assign(resolution=None))
    with pytest.raises(ValueError, match="top and k must be >= 1"):
        recommend_solutions("退款", top=0)
    with pytest.raises(ValueError, match=r"min_similarity must be in \[0, 1\]"):
        recommend_solutions("退款", min_similarity=2)
