"""corpora/voc_real_zh: schema, counts, strata, agreement, no overlap, near-duplicates in one split."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from voc.datasets import MULTI_COLUMNS, corpora_dir, load_frame
from voc.labelling import agreement
from voc.taxonomy import TASKS, load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "corpora" / "tools"))
from sample_real import shingles  # noqa: E402

REAL = corpora_dir() / "voc_real_zh"
#: What this corpus promises (DATASHEET.md); see the issue for the targets.
MIN_TEXTS = 20700
MIN_RANDOM = 8200
MIN_DOUBLE = 2100
SOURCES = {"jd_water_heater_lowstar", "icbc_app_appstore", "icbc_app_360", "bank_forum_comments", "car_forum",
           "meituan_restaurant", "heimao_complaints", "atec_customer_questions", "waimai_10k",
           "online_shopping_10_cats", "nlpcc2013_weibo"}


@pytest.fixture(scope="module")
def real():
    return load_frame("voc_real_zh")  # validates every label against the taxonomy


def test_schema_and_provenance(real):
    tax = load_taxonomy()
    for col in ("id", "text", *TASKS, "source", "channel", "domain", "stratum", "annotator", "double", "split"):
        assert col in real.columns, col
    assert real["id"].is_unique
    assert set(real["source"]) <= SOURCES
    assert real["stratum"].map(lambda s: s == "random" or re.fullmatch(r"retrieved:((cue|nn|model):\w+:\w+|uncertain:\w+)", s)
                               is not None).all()
    assert real["text"].str.len().gt(0).all()
    for task in MULTI_COLUMNS:
        assert real[task].map(lambda v: isinstance(v, list)).all()
    assert real["aspects"].map(len).gt(0).all(), "aspects are never empty"
    assert "none" in tax.codes("journey_stage")
    assert (real["journey_stage"] == "none").sum() > 0, "not-applicable journeys are labelled none"


def test_counts_and_strata(real):
    assert len(real) >= MIN_TEXTS
    assert (real["stratum"] == "random").sum() >= MIN_RANDOM
    assert set(real.loc[real["stratum"] == "random", "source"]) == SOURCES
    counts = Counter(real["split"])
    assert counts["test"] >= 0.12 * len(real) and counts["dev"] >= 0.12 * len(real)


#: The issue's target: at least 80 real positives for every reason and every intent.
TARGET = 80
#: Labels these pools cannot supply 80 real examples of: every candidate text of the 164,633 real
#: texts was retrieved and labelled, and this is what the annotators found (DATASHEET §6).
FLOORS = {
    "non_complaint_reasons": {"distrust_service": 27, "fear_retaliation": 4, "privacy_concern": 1},
    "intent": {"compensation": 46},
}


def test_reason_and_intent_minimums(real):
    """Every non-complaint reason and intent has >= 80 real positives, except the documented floors."""
    tax = load_taxonomy()
    for task in ("non_complaint_reasons", "intent"):
        counts = Counter(x for v in real[task] for x in (v if isinstance(v, list) else [v]))
        for code in tax.codes(task):
            need = FLOORS.get(task, {}).get(code, TARGET)
            assert counts[code] >= need, f"{task}/{code}: {counts[code]} < {need}"


def test_no_text_shared_with_authored_corpus_or_between_splits(real):
    norm = lambda t: re.sub(r"\s+", "", t)  # noqa: E731
    authored = {norm(t) for t in load_frame("voc_zh")["text"]}
    assert not authored & {norm(t) for t in real["text"]}
    by_split = {s: {norm(t) for t in g["text"]} for s, g in real.groupby("split")}
    assert not by_split["train"] & by_split["test"]
    assert not by_split["train"] & by_split["dev"]
    assert not by_split["dev"] & by_split["test"]


def test_near_duplicates_stay_in_one_split(real):
    """No pair across splits has char 4-gram Jaccard > 0.6 (checked via a shingle index)."""
    sh = [shingles(t) for t in real["text"]]
    splits = real["split"].tolist()
    index: dict[str, list[int]] = {}
    for i, s in enumerate(sh):
        for g in s:
            index.setdefault(g, []).append(i)
    for i, s in enumerate(sh):
        counts: Counter = Counter()
        for g in s:
            for j in index[g]:
                if j < i and splits[j] != splits[i]:
                    counts[j] += 1
        for j, inter in counts.items():
            assert inter / (len(s) + len(sh[j]) - inter) <= 0.6, (real["id"][i], real["id"][j])


def test_agreement_is_reported_and_reproducible():
    double = [json.loads(line) for line in (REAL / "double.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(double) >= MIN_DOUBLE
    reported = json.loads((REAL / "agreement.json").read_text(encoding="utf-8"))
    assert set(reported) == set(TASKS)
    import pandas as pd

    a = pd.DataFrame([{"id": d["id"], **{t: d[f"{t}_a"] for t in TASKS}} for d in double])
    b = pd.DataFrame([{"id": d["id"], **{t: d[f"{t}_b"] for t in TASKS}} for d in double])
    res = agreement([a, b]).set_index("task")
    for task in TASKS:
        assert res.loc[task, "kappa"] == pytest.approx(reported[task]["kappa"], abs=1e-3)
    datasheet = (REAL / "DATASHEET.md").read_text(encoding="utf-8")
    for task in TASKS:
        assert task in datasheet


def test_double_labelled_items_are_a_random_sample(real):
    """The second pass covers every source of the random stratum, not only retrieved texts."""
    dbl = real[real["double"]]
    assert len(dbl) >= MIN_DOUBLE
    assert (dbl["stratum"] == "random").mean() == pytest.approx((real["stratum"] == "random").mean(), abs=0.08)
