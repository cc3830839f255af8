"""Issue discovery, who-else search, churn per issue and the proactive list, against planted truth."""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from voc.customers import profile_customers
from voc.issues import (
    IssueModel,
    churn_by_issue,
    discover_issues,
    newcombe_interval,
    plot_churn_by_issue,
    proactive_list,
    who_else,
    wilson_interval,
)
from voc.personas import assign_personas
from voc.synthetic import generate_history

ANCHORS = {
    "refund_delay": "退款",
    "delivery_late_wrong": "外卖",
    "hotline_unreachable": "客服",
    "app_crash": "闪退",
    "unclear_charge": "扣费",
    "parcel_lost": "快递",
    "auto_renewal": "自动续费",
}


@lru_cache(maxsize=1)
def _data() -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    # routine questions labelled negative are an issue-discovery hard case of their own (i14-cluster)
    h = generate_history(n_customers=2000, seed=0, signal_cases={"routine_question_rate": 0.0})
    prof = profile_customers(h["feedback"], h["contacts"], h["events"], h["customers"])
    return h, prof


@lru_cache(maxsize=2)
def _issues(n_issues: int | None) -> tuple[pd.DataFrame, pd.DataFrame, IssueModel, float]:
    h, _ = _data()
    t0 = time.perf_counter()
    issues, assignment, model = discover_issues(h["feedback"], n_issues=n_issues, return_model=True)
    return issues, assignment, model, time.perf_counter() - t0


def _truth_of(assignment: pd.DataFrame) -> pd.Series:
    return _data()[0]["text_truth"].loc[assignment.index, "issue"]


def _major(assignment: pd.DataFrame) -> pd.Series:
    """Planted issue that dominates each discovered issue."""
    t = _truth_of(assignment)
    return pd.crosstab(assignment["issue_id"], t.fillna("-")).idxmax(axis=1)


def test_clusters_match_planted_issues_given_k() -> None:
    issues, assignment, _, dt = _issues(7)
    truth = _truth_of(assignment)
    m = truth.notna()
    ari = adjusted_rand_score(truth[m], assignment.loc[m, "issue_id"])
    print(f"\ndiscover_issues(k=7): {len(assignment)} negative texts in {dt:.1f} s, ARI {ari:.3f}")
    assert ari >= 0.7
    real = issues[~issues["is_other"]]
    assert len(real) == 7 and real["size"].is_monotonic_decreasing


def test_clusters_match_planted_issues_auto_k() -> None:
    issues, assignment, model, dt = _issues(None)
    truth = _truth_of(assignment)
    m = truth.notna()
    ct = pd.crosstab(assignment.loc[m, "issue_id"], truth[m])
    purity = ct.max(axis=1).sum() / ct.values.sum()
    coverage = ct.max(axis=0).sum() / ct.values.sum()
    print(
        f"\ndiscover_issues(auto): k={len(issues)} in {dt:.1f} s, purity {purity:.3f}, "
        f"largest-cluster coverage {coverage:.3f}, silhouette {model.silhouette_}"
    )
    assert purity >= 0.8
    assert 6 <= len(issues) <= 14
    assert set(_major(assignment)) >= set(ANCHORS), "every planted issue dominates some cluster"


def test_auto_k_is_the_smallest_within_one_se_of_the_most_stable() -> None:
    _, _, model, _ = _issues(None)
    st, se = model.stability_, model.stability_se_
    best = max(st, key=lambda k: (st[k], -k))
    assert model.n_issues_ == min(k for k, v in st.items() if v >= st[best] - se[best])
    top = max(model.silhouette_.values())
    assert set(st) == {k for k, v in model.silhouette_.items() if v >= 0.5 * top}
    with pytest.raises(ValueError, match="k_selection"):
        IssueModel(k_selection="gap")


def test_labels_are_readable() -> None:
    issues, assignment, _, _ = _issues(7)
    major = _major(assignment)
    for iid, row in issues[~issues["is_other"]].iterrows():
        anchor = ANCHORS[major[iid]]
        assert any(anchor in k for k in row["keywords"][:5]), (row["label"], anchor)
        assert len(row["examples"]) == 3
        own = set(assignment.index[assignment["issue_id"] == iid])
        fb = _data()[0]["feedback"]
        assert all(fb.loc[list(own), "text"].isin([ex]).any() for ex in row["examples"])
    assert issues["n_customers"].sum() > 0 and (issues["share"].sum() == pytest.approx(1.0))


def test_discovery_is_deterministic() -> None:
    h, _ = _data()
    a1 = discover_issues(h["feedback"], n_issues=7)[1]
    issues, a2, _, _ = _issues(7)
    assert a1["issue_id"].equals(a2["issue_id"])


def test_no_negative_text_is_an_error() -> None:
    fb = pd.DataFrame({"text": ["很好"], "sentiment": ["positive"]})
    with pytest.raises(ValueError, match="no negative feedback"):
        discover_issues(fb)


def _refund_issue() -> int:
    issues, assignment, _, _ = _issues(7)
    major = _major(assignment)
    return int(major.index[major == "refund_delay"][0])


def test_who_else_finds_vocal_and_silent_customers() -> None:
    h, prof = _data()
    issues, assignment, model, _ = _issues(7)
    iid = _refund_issue()
    w = who_else(iid, h["feedback"], prof, h["events"], assignment=assignment, model=model)
    truth = h["truth"].set_index("customer_id")
    planted = set(truth.index[truth["issue"] == "refund_delay"])
    found = set(w.customers.index)
    recall = len(found & planted) / len(planted)
    precision = len(found & planted) / len(found)
    print(f"\nwho_else(refund issue): recall {recall:.3f}, precision {precision:.3f}\n{w.counts}")
    assert recall >= 0.9 and precision >= 0.7
    assert "self_service_fail:refund_status_query" in w.patterns.index
    c = w.counts
    assert c.loc["silent", "total"] > 0 and c.loc["vocal", "total"] > 0
    assert c.loc["silent", "event_only"] > 0, "customers who never wrote are found through events"
    assert c.loc["total", "total"] == len(w.customers)
    # silent customers found are truly silent planted ones
    silent_found = set(w.customers.index[w.customers["group"] == "silent"])
    assert len(silent_found & set(truth.index[truth["silent"]])) / len(silent_found) >= 0.9
    # the same with the issues row and with no model (TF-IDF fitted on the fly)
    w2 = who_else(issues.loc[iid], h["feedback"], prof, h["events"], assignment=assignment)
    assert len(set(w2.customers.index) & found) / len(found) >= 0.9


def test_who_else_text_query_and_patterns() -> None:
    h, prof = _data()
    w = who_else("申请退款好久了一直没到账", h["feedback"], prof, h["events"], event_pattern=None)
    truth = h["truth"].set_index("customer_id")
    hit = truth.loc[w.customers.index, "issue"]
    assert len(w.customers) > 20 and (hit == "refund_delay").mean() >= 0.8
    assert (w.customers["match"] == "text").all()
    w = who_else("app闪退", h["feedback"], prof, h["events"], event_pattern=["self_service_fail:app_crash"])
    assert (w.customers["match"] != "text").any()
    with pytest.raises(ValueError, match="assignment"):
        who_else(0, h["feedback"], prof)


def test_churn_by_issue_finds_the_costly_issue() -> None:
    h, prof = _data()
    issues, assignment, _, _ = _issues(7)
    table = churn_by_issue(assignment, prof, issues=issues)
    print(
        "\n"
        + table[
            [
                "issue_id",
                "label",
                "affected",
                "churned",
                "churn_rate",
                "churn_rate_without",
                "diff_low",
                "diff_high",
                "excess_churned",
            ]
        ]
        .round(3)
        .to_string()
    )
    row = table.set_index("issue_id").loc[_refund_issue()]
    assert row["significant"] and row["diff_low"] > 0
    assert row["excess_low"] <= row["excess_churned"] <= row["excess_high"]
    # truth: customers of that cluster whose churn the generator caused through the issue
    truth = h["truth"].set_index("customer_id")
    cust = assignment.loc[assignment["issue_id"] == _refund_issue(), "customer_id"].unique()
    caused = int(truth.loc[cust, "churn_caused_by_issue"].sum())
    assert row["excess_low"] <= caused <= row["excess_high"] * 1.3
    # the least harmful planted issue (delivery, lift 0.10) costs less than refunds (lift 0.35)
    t = table.set_index("issue_id")
    delivery = [i for i, m in _major(assignment).items() if m == "delivery_late_wrong"]
    assert t.loc[delivery, "excess_churned"].max() < row["excess_churned"]


def test_newcombe_interval_reference_values() -> None:
    lo, hi = newcombe_interval(56, 70, 48, 80)  # Newcombe (1998), method 10, example (a)
    assert lo == pytest.approx(0.0524, abs=1e-4) and hi == pytest.approx(0.3339, abs=1e-4)
    lo, hi = wilson_interval(np.array([0, 10]), np.array([10, 10]))
    assert lo[0] == 0 and hi[1] == pytest.approx(1.0)


def test_plot_churn_by_issue(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    _, prof = _data()
    issues, assignment, _, _ = _issues(7)
    table = churn_by_issue(assignment, prof, issues=issues)
    ax = plot_churn_by_issue(table)
    assert len(ax.patches) == len(table)
    ax.figure.savefig(tmp_path / "churn.png")
    assert (tmp_path / "churn.png").stat().st_size > 1000


def test_proactive_list_contains_planted_silent_customers() -> None:
    h, prof = _data()
    issues, assignment, _, _ = _issues(7)
    pers = assign_personas(prof, h["feedback"], h["events"])
    plist = proactive_list(prof, pers, assignment, issues=issues)
    truth = h["truth"].set_index("customer_id")
    planted = set(truth.index[truth["silent"] & truth["solved"].ne(True) & truth["issue"].notna()])
    got = set(plist["customer_id"])
    recall = len(planted & got) / len(planted)
    print(f"\nproactive list: {len(plist)} customers, recall of planted open silent customers {recall:.3f}")
    assert recall >= 0.9
    assert plist["rank"].tolist() == list(range(1, len(plist) + 1))
    assert plist["priority"].is_monotonic_decreasing
    assert prof.loc[plist["customer_id"], "silent"].all()
    assert plist["action_zh"].str.len().gt(10).all() and plist["action_en"].str.len().gt(10).all()
    with_issue = plist[plist["issue_label"].notna()]
    assert len(with_issue) > 0.5 * len(plist)
    assert with_issue.apply(lambda r: r["issue_label"] in r["action_zh"], axis=1).all()
    assert len(proactive_list(prof, pers, assignment, top=10)) == 10


def _public_texts(n: int) -> pd.DataFrame | None:
    root = Path(__file__).resolve().parent.parent / "corpora" / "public"
    files = sorted(root.glob("*.csv"))
    if not files:
        return None
    df = pd.concat(
        [pd.read_csv(f, keep_default_na=False, usecols=["text"]) for f in files], ignore_index=True
    )
    return df.head(n).assign(sentiment="negative")


@pytest.mark.slow
def test_issue_discovery_100k_texts_timing() -> None:
    df = _public_texts(100_000)
    if df is None or len(df) < 100_000:
        pytest.skip("public corpora not available")
    t0 = time.perf_counter()
    issues, assignment = discover_issues(df, n_issues=None)
    auto = time.perf_counter() - t0
    t0 = time.perf_counter()
    issues30, _ = discover_issues(df, n_issues=30)
    fixed = time.perf_counter() - t0
    print(
        f"\ndiscover_issues on {len(df)} texts ({df['text'].nunique()} distinct): auto k={len(issues)} in "
        f"{auto:.1f} s; k=30 in {fixed:.1f} s\n{issues[['label', 'size']].to_string()}"
    )
    assert len(assignment) == len(df)
    assert auto < 600 and fixed < 600


def test_pluggable_embedder() -> None:
    h, _ = _data()
    from sklearn.decomposition import TruncatedSVD

    from voc.issues import TextSpace

    neg = h["feedback"].loc[h["feedback"]["sentiment"] == "negative", "text"].tolist()
    space = TextSpace().fit(neg)
    svd = TruncatedSVD(20, random_state=0).fit(space.transform(neg))
    calls = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return svd.transform(space.transform(texts))

    issues, assignment, model = discover_issues(h["feedback"], n_issues=7, embedder=embed, return_model=True)
    truth = _truth_of(assignment)
    m = truth.notna()
    assert calls and adjusted_rand_score(truth[m], assignment.loc[m, "issue_id"]) >= 0.6
    lab, sim = model.predict(["app一打开就闪退"])
    assert "闪退" in issues.loc[lab[0], "keywords"]


_DELIVERY = ["快递三天了还没送到，物流信息一直不更新", "快递员把包裹放门口就走了，包裹被偷了", "物流太慢了，包裹一周还没到",
             "快递包裹破损，里面东西摔坏了", "配送员态度差，快递送错地址", "包裹显示已签收但我没收到快递",
             "物流停滞不动，快递客服也不回复", "快递延误好几天，包裹到了外箱全湿了", "快递员不打电话直接把包裹放驿站",
             "物流一直显示运输中，快递到底在哪", "包裹丢了快递公司不赔", "快递送货上门要加钱，包裹还迟到"]
_HOTEL = ["酒店房间很脏，床单有头发", "酒店前台态度差，入住等了一个小时", "房间隔音太差，酒店晚上吵得睡不着",
          "酒店空调坏了，房间又闷又热", "前台办理入住太慢，酒店房间还有烟味", "酒店卫生间漏水，房间地毯发霉",
          "预订的酒店房间和图片不一样", "酒店早餐难吃，前台还乱收押金"]
_APP = ["app一打开就闪退，更新后更卡了", "手机app登录不上，验证码收不到", "app闪退好几次，付款页面卡死",
        "更新之后app老是闪退，垃圾软件", "app页面加载太慢，一直转圈", "app登录后闪退，卸载重装也没用",
        "app支付失败还扣了钱", "app界面卡顿，点什么都没反应", "app总是自动退出，闪退严重",
        "app更新后登录不了", "app广告太多还闪退", "app下单页面一直报错"]


@pytest.mark.parametrize("with_domain", [True, False])
def test_issue_label_words_come_from_one_domain(with_domain: bool) -> None:
    """Two issues for three domains: the merged hotel + delivery issue is labelled from one domain only."""
    texts = _DELIVERY + _HOTEL + _APP
    domain = ["delivery"] * len(_DELIVERY) + ["hotel"] * len(_HOTEL) + ["app"] * len(_APP)
    fb = pd.DataFrame({"text": texts, "domain": domain})
    issues, assignment = discover_issues(fb if with_domain else fb.drop(columns="domain"), n_issues=2,
                                         negative_only=False)
    mixed = assignment.assign(domain=fb["domain"]).groupby("issue_id")["domain"].nunique()
    assert mixed.max() == 2  # k-means did merge two domains into one issue
    for iid, row in issues.iterrows():
        words = row["label"].split(" / ")
        assert len(words) == 3 and words == row["keywords"][:3]
        own = fb.loc[assignment.index[assignment["issue_id"] == iid]]
        domains_of = [set(own.loc[own["text"].str.contains(w, regex=False), "domain"]) for w in words]
        assert all(d for d in domains_of) and len(set.union(*domains_of)) == 1, (row["label"], domains_of)


# --- #14: hard cases (background texts of another domain, synonyms, generic negativity) -------------
def _other_domain_texts() -> list[str]:
    """Real negative hotel and phone/computer reviews (another domain than the planted issues)."""
    f = Path(__file__).resolve().parent.parent / "corpora" / "public" / "online_shopping_10_cats.csv"
    if not f.exists():
        pytest.skip("corpora/public not available")
    df = pd.read_csv(f, keep_default_na=False)
    df = df[(df["label"] == "negative") & df["category"].isin(["酒店", "手机", "计算机"])]
    return [t[:150] for t in df["text"] if len(t) >= 6]


@lru_cache(maxsize=2)
def _hard_case_scores(n: int, seed: int) -> dict[str, float]:
    from voc.synthetic import DEFAULT_ISSUES, add_issue_hard_cases

    planted = DEFAULT_ISSUES[:5]
    # the issue-discovery hard cases alone (the silent/level hard cases add routine questions: see the
    # combined row of benchmarks/eval_issues.py)
    base = generate_history(n, seed=seed, issues=planted, signal_cases=False)
    h = add_issue_hard_cases(base, _other_domain_texts(), seed=seed)
    issues, assignment = discover_issues(h["feedback"])
    tt = h["text_truth"].loc[assignment.index]
    pred, truth = assignment["issue_id"], tt["issue"]
    m = truth.notna()
    ct = pd.crosstab(pred, truth.fillna("none"))
    found = sum(
        any(ct.loc[c].idxmax() == p.code and ct.loc[c, p.code] >= 0.5 * ct[p.code].sum() for c in ct.index)
        for p in planted
    )
    real = issues[~issues["is_other"]]
    largest = int(real["size"].idxmax())
    return {
        "k": len(real),
        "ari": adjusted_rand_score(truth[m], pred[m]),
        "found": found,
        "bg_in_largest": float((tt.loc[pred == largest, "kind"] == "background_domain").mean()),
        "bg_in_other": float((pred[tt["kind"] == "background_domain"] == -1).mean()),
    }


def test_hard_cases_5k_customers() -> None:
    """Background complaints of another domain, synonyms and generic negativity: 5 planted issues found."""
    s = _hard_case_scores(5000, seed=21)
    print(f"\nhard cases, 5k customers: {s}")
    assert s["ari"] >= 0.7 and s["found"] == 5
    assert 5 <= s["k"] <= 7, "automatic k close to the 5 planted issues"
    assert s["bg_in_largest"] < 0.1 and s["bg_in_other"] >= 0.8


@pytest.mark.slow
def test_hard_cases_50k_customers() -> None:
    s = _hard_case_scores(50_000, seed=22)
    print(f"\nhard cases, 50k customers: {s}")
    assert s["ari"] >= 0.7 and s["found"] == 5
    assert s["bg_in_largest"] < 0.1 and s["bg_in_other"] >= 0.8


@pytest.mark.slow
def test_hard_cases_50k_customers_k() -> None:
    """Automatic k by stability does not drift with the number of texts (it was 8 by silhouette)."""
    assert 5 <= _hard_case_scores(50_000, seed=22)["k"] <= 7


def test_add_issue_hard_cases_keeps_truth_aligned() -> None:
    from voc.synthetic import add_issue_hard_cases

    h = generate_history(300, seed=4)
    bg = ["酒店房间很脏，前台态度差", "手机电池不耐用，充电很慢"]
    h2 = add_issue_hard_cases(h, bg, background_rate=0.2, synonym_rate=1.0, seed=1)
    fb, tt = h2["feedback"], h2["text_truth"]
    assert len(fb) == len(tt) == len(h["feedback"]) + 60
    added = tt["kind"] == "background_domain"
    assert added.sum() == 60 and fb.loc[added, "customer_id"].isna().all()
    assert fb.loc[added, "text"].str.startswith(tuple(bg)).all() and (fb.loc[added, "sentiment"] == "negative").all()
    assert fb["timestamp"].is_monotonic_increasing and tt["issue"].notna().sum() == h["text_truth"]["issue"].notna().sum()
    parcel = fb.loc[tt["issue"] == "parcel_lost", "text"]
    assert parcel.str.contains("包裹|快件|物流").all() and not parcel.str.contains("快递").all()
    assert len(add_issue_hard_cases(h, [])["feedback"]) == len(h["feedback"])


def test_synonyms_merge_one_issue() -> None:
    """快递 and 包裹 say the same thing: equal embeddings with the synonym table, different without."""
    from voc.issues.vocab import TextNormalizer

    assert TextNormalizer()("包裹丢了，垃圾").strip() == "快递丢了，"
    lost = ["{}丢了，找不到", "{}显示签收但没收到", "{}一直不更新，是不是丢了", "{}被别人冒领了"]
    app = ["app打开就闪退", "app更新后闪退", "app登录页面闪退", "app付款时闪退"]
    texts = [t.format(w) for t in lost for w in ("快递", "包裹")] * 3 + app * 6
    truth = ["lost"] * 24 + ["app"] * 24
    fb = pd.DataFrame({"text": texts})
    pair = ["包裹丢了，找不到", "快递丢了，找不到"]
    _, a, m = discover_issues(fb, n_issues=2, negative_only=False, other_below=None, return_model=True)
    assert adjusted_rand_score(truth, a["issue_id"]) == 1.0
    e = m.transform(pair)
    _, _, m0 = discover_issues(fb, n_issues=2, negative_only=False, other_below=None, synonyms={},
                               return_model=True)
    e0 = m0.transform(pair)
    assert float(e[0] @ e[1]) > 0.999 > float(e0[0] @ e0[1])


def test_generic_negativity_does_not_make_an_issue() -> None:
    """Texts of two issues that share only 垃圾/太差了/失望 are not grouped by those words."""
    refund = ["退款还没到账", "申请退款十天没到账", "退款一直显示处理中", "退款迟迟不到账"]
    app = ["app打开就闪退", "app更新后闪退", "app登录页面闪退", "app付款时闪退"]
    ends = ["，垃圾平台太差了", "，非常失望，垃圾", ""]
    # the generic endings split each issue in two halves: with them, k=2 groups by ending
    texts = [t + e for t in refund for e in ends[:2]] * 3 + [t + ends[2] for t in refund] * 3
    texts += [t + e for t in app for e in ends[:2]] * 3 + [t + ends[2] for t in app] * 3
    truth = ["refund"] * 36 + ["app"] * 36
    fb = pd.DataFrame({"text": texts})
    pair = ["退款还没到账，垃圾平台太差了", "退款还没到账"]
    for generic, ok in ((None, True), ((), False)):
        _, a, m = discover_issues(fb, n_issues=2, negative_only=False, other_below=None, generic_words=generic,
                                  return_model=True)
        assert adjusted_rand_score(truth, a["issue_id"]) == 1.0
        e = m.transform(pair)
        assert (float(e[0] @ e[1]) > 0.999) is ok, "generic words change nothing in the embedding"


def test_other_domain_text_is_predicted_other() -> None:
    _, _, model, _ = _issues(None)
    ids, _ = model.predict(["酒店前台态度恶劣，房间隔音很差", "app一打开就闪退，垃圾"])
    assert ids[0] == -1 and ids[1] >= 0


# --------------------------------------------------------------------------- churn per issue (#14)
@lru_cache(maxsize=1)
def _held_out() -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame]:
    """A history not used elsewhere, its profiles, and the gold text membership per planted issue."""
    # the churn/dedup hard cases alone (the silent/level cases change churn too; combined: open in #14)
    h = generate_history(n_customers=3000, seed=17, signal_cases=False)
    prof = profile_customers(h["feedback"], h["contacts"], h["events"], h["customers"])
    fb, tt = h["feedback"], h["text_truth"]
    gold = tt["issue"].notna() & fb["customer_id"].notna()
    codes = sorted(ANCHORS)
    asg = pd.DataFrame(
        {"customer_id": fb.loc[gold, "customer_id"], "issue_id": tt.loc[gold, "issue"].map(codes.index)},
        index=fb.index[gold],
    )
    return h, prof, asg


def test_who_else_without_detail_does_not_match_bare_event_types() -> None:
    h, prof, asg = _held_out()
    codes = sorted(ANCHORS)
    refund = codes.index("refund_delay")
    truth = h["truth"].set_index("customer_id")
    planted = set(truth.index[truth["issue"] == "refund_delay"])
    bare = h["events"].drop(columns="detail")
    w = who_else(refund, h["feedback"], prof, bare, assignment=asg)
    precision = len(set(w.customers.index) & planted) / len(w.customers)
    print(f"\nwho_else without detail: {len(w.customers)} customers, precision {precision:.3f}")
    assert w.patterns.empty and (w.customers["match"] == "text").all()
    assert precision >= 0.9
    # with the detail column the issue's own signature still finds customers who never wrote
    w = who_else(refund, h["feedback"], prof, h["events"], assignment=asg)
    assert list(w.patterns.index) == ["self_service_fail:refund_status_query"]
    assert (w.customers["match"] == "event").sum() > 0


@pytest.mark.parametrize(("detail", "rel_error"), [(True, 0.15), (False, 0.25)])
def test_churn_per_issue_error_and_interval_against_truth(detail: bool, rel_error: float) -> None:
    """Without detail the customers known only by a bare event are missed: a looser bound."""
    h, prof, asg = _held_out()
    events = h["events"] if detail else h["events"].drop(columns="detail")
    parts = [asg] + [
        who_else(k, h["feedback"], prof, events, assignment=asg).as_assignment(k) for k in range(len(ANCHORS))
    ]
    members = pd.concat(parts, ignore_index=True)
    truth = h["truth"]
    caused = truth[truth["churn_caused_by_issue"]].groupby("issue").size().reindex(sorted(ANCHORS), fill_value=0)

    def errors(table: pd.DataFrame) -> pd.Series:
        t = table.set_index("issue_id").sort_index()
        return (t["excess_churned"] - caused.to_numpy()).abs()

    table = churn_by_issue(members, prof)
    err = errors(table)
    err_others = errors(churn_by_issue(members, prof, baseline="others"))
    t = table.set_index("issue_id").sort_index()
    inside = ((t["excess_low"] <= caused.to_numpy()) & (caused.to_numpy() <= t["excess_high"])).mean()
    print(f"\nchurn per issue (detail={detail}): mean abs error {err.mean():.1f} (baseline 'others' "
          f"{err_others.mean():.1f}), truth inside the interval for {inside:.0%} of the issues; "
          f"mean caused {caused.mean():.1f}")
    assert err.mean() <= rel_error * caused.mean() and err.mean() < err_others.mean()
    assert inside >= 5 / 7
    with pytest.raises(ValueError, match="baseline"):
        churn_by_issue(members, prof, baseline="all")
