"""Choose which unlabelled texts to label next: uncertainty, diversity and cue retrieval.

:func:`suggest` ranks a pool of texts for one task and returns ``n`` of them, each with the
reason it was picked (``why``) and the model's current guess (for pre-annotation):

* ``uncertain``: the model is least sure. Single-label tasks: smallest margin between the
  two most likely labels. Multi-label tasks: a label's probability closest to its threshold.
* ``cue:<label>``: the text matches a cue of the task (``voc/data/cues.tsv`` or your own
  table). Rare labels (e.g. a non-complaint reason) are found this way far more often than
  by random or uncertainty sampling. ``cue_share`` sets the share of these picks.
* ``random``: a uniform sample (``random_share``), so that label rates estimated from the
  labelled set stay honest; keep these rows apart when you report rates.

Diversity: each group of candidates is thinned greedily so that no two picked texts are near
duplicates (char 3-gram Jaccard above ``max_similarity``), which stops one template from
filling the batch. Only when the pool has too few diverse texts left are near-duplicates used
to reach ``n``.

Example:
    >>> import voc
    >>> from voc.labelling import suggest
    >>> pool = ["电话一直打不通，算了", "很好吃", "怎么开通", "客服打不通", "菜凉了", "好评"]
    >>> out = suggest(pool, n=3, task="non_complaint_reasons", nlp=voc.load(), seed=0)
    >>> len(out), sorted(out.columns)[:3]
    (3, ['guess', 'margin', 'pool_index'])
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["suggest"]


def _grams(text: str) -> set[str]:
    t = re.sub(r"\s+", "", text)
    return {t[i:i + 3] for i in range(max(1, len(t) - 2))}


def _thin(order: list[int], texts: list[str], k: int, max_similarity: float,
          taken: list[set[str]]) -> list[int]:
    out = []
    for i in order:
        if len(out) >= k:
            break
        g = _grams(texts[i])
        if any(len(g & h) / (len(g | h) or 1) > max_similarity for h in taken):
            continue
        taken.append(g)
        out.append(i)
    return out


def _scores(nlp: Any, task: str, texts: list[str], progress: bool | None,
            chunk: int = 2000) -> tuple[list[str], np.ndarray]:
    """``nlp.predict_proba`` over ``texts`` in chunks, with a progress bar on long pools."""
    if progress is None:
        progress = len(texts) >= 5000
    if not progress:
        return nlp.predict_proba(task, texts)
    from tqdm.auto import tqdm

    classes: list[str] = []
    parts = []
    with tqdm(total=len(texts), desc=f"voc suggest {task}", unit="text") as bar:
        for start in range(0, len(texts), chunk):
            classes, P = nlp.predict_proba(task, texts[start:start + chunk])
            parts.append(P)
            bar.update(len(texts[start:start + chunk]))
    return classes, np.vstack(parts)


def suggest(texts: Sequence[Any], n: int, task: str, nlp: Any = None, *, cue_share: float = 0.3,
            random_share: float = 0.1, max_similarity: float = 0.5, exclude: Sequence[str] = (),
            seed: int = 0, progress: bool | None = None) -> pd.DataFrame:
    """Pick ``n`` texts of ``texts`` to label next for ``task``.

    Args:
        texts: The unlabelled pool (strings; unusable items are never picked).
        n: How many to return (fewer if the pool is smaller).
        task: The task to improve (e.g. ``"non_complaint_reasons"``).
        nlp: The analyzer whose uncertainty drives the choice (default: ``voc.load()``).
        cue_share: Share of picks retrieved by the task's cues (0 to disable).
        random_share: Share of uniform random picks (kept honest for label rates).
        max_similarity: Near-duplicate bound for diversity (char 3-gram Jaccard).
        exclude: Texts already labelled (never picked again).
        seed: Random seed (ties and the random share).
        progress: Show a tqdm bar while scoring the pool (default: only for 5,000 texts or more).

    Returns:
        DataFrame with ``pool_index`` (position in ``texts``), ``text``, ``why``
        (uncertain / cue:<label> / random), ``margin`` (lower = less certain) and ``guess``
        (the model's current label(s) for ``task``), ordered as picked.

    Raises:
        ValueError: ``n`` < 1, shares outside [0, 1] or summing above 1, or an unknown task.
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    if not (0 <= cue_share <= 1 and 0 <= random_share <= 1 and cue_share + random_share <= 1):
        raise ValueError("cue_share and random_share must be in [0, 1] and sum to at most 1")
    if nlp is None:
        import voc

        nlp = voc.load()
    if task not in nlp.components:
        raise ValueError(f"unknown task {task!r}; the analyzer has {nlp.tasks}")
    rng = random.Random(seed)
    raw = list(texts)
    skip = set(exclude)
    usable = [i for i, t in enumerate(raw) if isinstance(t, str) and t.strip() and t not in skip]
    pool_texts = [raw[i] for i in usable]
    if not usable:
        return pd.DataFrame(columns=["pool_index", "text", "why", "margin", "guess"])
    classes, P = _scores(nlp, task, pool_texts, progress)
    multi = nlp.taxonomy.is_multi(task) if task in nlp.taxonomy.tasks else False
    if multi:
        thr = np.broadcast_to(np.asarray(nlp.threshold(task, classes), dtype=float), (len(classes),))
        margin = np.nanmin(np.abs(P - thr), axis=1)
        guess = [[c for c, p, t in zip(classes, row, thr, strict=True) if p >= t] for row in P]
    else:
        top2 = -np.sort(-np.nan_to_num(P, nan=0.0), axis=1)[:, :2]
        margin = top2[:, 0] - (top2[:, 1] if top2.shape[1] > 1 else 0.0)
        guess = [classes[int(j)] for j in np.nan_to_num(P, nan=0.0).argmax(axis=1)]
    margin = np.nan_to_num(margin, nan=np.inf)

    n = min(n, len(usable))
    n_cue = int(round(n * cue_share))
    n_rand = int(round(n * random_share))
    picked: list[tuple[int, str]] = []
    taken: list[set[str]] = []
    chosen: set[int] = set()

    if n_cue and nlp.lexicon is not None and task in nlp.lexicon.tasks:
        by_label: dict[str, list[int]] = {}
        for k, t in enumerate(pool_texts):
            for m in nlp.lexicon.match_task(task, t):
                by_label.setdefault(m.label, []).append(k)
        labels = sorted(by_label, key=lambda lab: len(by_label[lab]))  # rarest cue first
        per = max(1, n_cue // max(1, len(labels)))
        for lab in labels:
            cand = [k for k in by_label[lab] if k not in chosen]
            rng.shuffle(cand)
            cand.sort(key=lambda k: margin[k])  # the uncertain cue hits first
            for k in _thin(cand, pool_texts, min(per, n_cue - len(picked)), max_similarity, taken):
                chosen.add(k)
                picked.append((k, f"cue:{lab}"))
    if n_rand:
        cand = [k for k in range(len(pool_texts)) if k not in chosen]
        rng.shuffle(cand)
        for k in cand[:n_rand]:
            chosen.add(k)
            taken.append(_grams(pool_texts[k]))
            picked.append((k, "random"))
    rest = n - len(picked)
    if rest > 0:
        order = [k for k in np.argsort(margin, kind="stable").tolist() if k not in chosen]
        for k in _thin(order, pool_texts, rest, max_similarity, taken):
            chosen.add(k)
            picked.append((k, "uncertain"))
        # a pool with too few diverse texts: fill up with the next most uncertain ones
        for k in [k for k in order if k not in chosen][: n - len(picked)]:
            chosen.add(k)
            picked.append((k, "uncertain"))
    return pd.DataFrame({
        "pool_index": [usable[k] for k, _ in picked],
        "text": [pool_texts[k] for k, _ in picked],
        "why": [w for _, w in picked],
        "margin": [float(margin[k]) for k, _ in picked],
        "guess": [guess[k] for k, _ in picked],
    })
