"""Complaint stages and small helpers shared by the modules of :mod:`voc.repair`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

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
def _is_missing(v: Any) -> bool:
    """Whether a cell is empty: ``None``, NaN or blank text."""
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


#: Other names accepted for the identity columns (first present wins, after the name itself).
ID_ALIASES: dict[str, tuple[str, ...]] = {
    "phone": ("phone_masked", "mobile", "手机号"),
    "nickname": ("nick", "昵称"),
    "order_id": ("order_no", "订单号"),
}

_FLOAT_ID_RE = re.compile(r"^\d+\.0+$")


def _id_str(v: Any) -> str | None:
    """An identifier as text: ``None`` when missing; ``1234.0`` (an id read as float) -> ``"1234"``."""
    if _is_missing(v):
        return None
    if isinstance(v, (float, np.floating)):
        return str(int(v)) if float(v).is_integer() else str(v)
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(int(v))
    s = str(v).strip()
    return s[: s.index(".")] if _FLOAT_ID_RE.match(s) else s


def _id_column(df: Any, name: str) -> Any:
    """Column ``name`` of ``df`` or its first alias in :data:`ID_ALIASES`; ``None`` when absent."""
    for c in (name, *ID_ALIASES.get(name, ())):
        if c in df.columns:
            return df[c]
    return None


def _as_list(v: Any) -> list[str]:
    """A list cell (list, array or ``a|b,c;d`` text) as a list of strings."""
    if isinstance(v, (list, tuple, set, np.ndarray)):
        return [str(x) for x in v]
    if _is_missing(v):
        return []
    if isinstance(v, str):
        return [x.strip() for x in re.split(r"[|,;]", v) if x.strip()]
    return []


def _clean(text: Any) -> str:
    """The text without emoji codes like ``[微笑]``, punctuation and spaces."""
    return _CLEAN_RE.sub("", str(text)) if not _is_missing(text) else ""


def _text_vectors(texts: Sequence[str]) -> Any:
    """L2-normalised TF-IDF over character 1-2-grams (sparse), one row per text."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    cleaned = [_clean(t) or "_" for t in texts]
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    return vec.fit_transform(cleaned)


def _pair_cosine(x: Any, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Cosine of the row pairs ``(i[k], j[k])`` of the L2-normalised matrix ``x``."""
    if len(i) == 0:
        return np.zeros(0)
    return np.asarray(x[i].multiply(x[j]).sum(axis=1)).ravel()
