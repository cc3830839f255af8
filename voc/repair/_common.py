"""Complaint stages and small helpers shared by the modules of :mod:`voc.repair`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from voc.schema import ALIASES, id_str, is_missing, parse_list

__all__ = [
    "STAGE_ORDER",
    "STAGE_ZH",
]

#: Complaint stages of seed 003, in order.
STAGE_ORDER: tuple[str, ...] = ("none", "latent_grumble", "explicit_grumble", "latent_complaint", "complaint")
STAGE_ZH: dict[str, str] = {
    "none": "无",
    "latent_grumble": "潜在抱怨",
    "explicit_grumble": "显在抱怨",
    "latent_complaint": "潜在投诉",
    "complaint": "投诉",
}
_RANK = {s: i for i, s in enumerate(STAGE_ORDER)}

_CLEAN_RE = re.compile(r"\[[^\]]{1,8}\]|[^\w]")


# --------------------------------------------------------------------------- helpers
# the one missing-cell test, id-as-text rule and list-cell parser of voc.schema
_is_missing = is_missing
_id_str = id_str
_as_list = parse_list

#: Other names accepted for the identity columns (first present wins, after the name itself).
ID_ALIASES: dict[str, tuple[str, ...]] = {k: ALIASES[k] for k in ("phone", "nickname", "order_id")}


def _id_column(df: Any, name: str) -> Any:
    """Column ``name`` of ``df`` or its first alias in :data:`ID_ALIASES`; ``None`` when absent."""
    for c in (name, *ID_ALIASES.get(name, ())):
        if c in df.columns:
            return df[c]
    return None


def _clean(text: Any) -> str:
    """The text without emoji codes like ``[微笑]``, punctuation and spaces."""
    return _CLEAN_RE.sub("", str(text)) if not _is_missing(text) else ""


def _text_vectors(texts: Sequence[str]) -> Any:
    """L2-normalised TF-IDF over character 1-2-grams (sparse), one row per text."""
    import pandas as pd
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

    # signal texts repeat (event descriptions, contact topics, templated complaints): count the
    # n-grams of each distinct text once and expand -- the same matrix as ``TfidfVectorizer(...)
    # .fit_transform(cleaned)`` (the vocabulary comes from the distinct texts in order of first
    # appearance, exactly as from all of them; document frequencies are counted on the expanded rows)
    cleaned = pd.Series([_clean(t) or "_" for t in texts], dtype=object)
    codes, uniques = pd.factorize(cleaned)
    counts = CountVectorizer(analyzer="char", ngram_range=(1, 2), min_df=1, dtype=np.float64).fit_transform(
        list(uniques)
    )
    return TfidfTransformer(sublinear_tf=True).fit_transform(counts[codes])


def _pair_cosine(x: Any, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Cosine of the row pairs ``(i[k], j[k])`` of the L2-normalised matrix ``x``."""
    if len(i) == 0:
        return np.zeros(0)
    return np.asarray(x[i].multiply(x[j]).sum(axis=1)).ravel()
