"""DataFrame and Hugging Face ``datasets`` adapters.

``analyze_frame(df)`` appends the flat ``Result.to_dict()`` columns (plus
``evidence``) to a copy of ``df``: one output row per input row, same index, bad
texts flagged in ``error``. ``analyze_batch`` is the same for ``Dataset.map``.

Example:
    >>> import pandas as pd, voc
    >>> df = pd.DataFrame({"text": ["物流太慢了，差评", None]})
    >>> out = voc.analyze_frame(df)
    >>> list(out["sentiment"]), out["error"].notna().tolist()
    (['negative', nan], [False, True])
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable
from typing import Any

import pandas as pd

from voc.results import FLAT_COLUMNS

__all__ = ["analyze_frame", "analyze_batch", "default_analyzer", "OUTPUT_COLUMNS"]

OUTPUT_COLUMNS = (*FLAT_COLUMNS, "evidence")

_lock = threading.Lock()
_default: Any = None


def default_analyzer() -> Any:
    """The shared default :class:`~voc.pipeline.Analyzer` (loaded once per process, thread-safe)."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                from voc.pipeline import load

                _default = load()
    return _default


def _records(nlp: Any, texts: Iterable[Any], batch_size: int, total: int, progress: bool | None) -> list[dict]:
    results = nlp.pipe(texts, batch_size=batch_size)
    if progress is None:
        progress = total >= 5000
    if progress:
        from tqdm.auto import tqdm

        results = tqdm(results, total=total, desc="voc", unit="text")
    out = []
    for r in results:
        d = r.to_dict()
        d["evidence"] = r.evidence
        out.append(d)
    return out


def analyze_frame(df: pd.DataFrame, text_col: str = "text", *, nlp: Any = None, batch_size: int = 256,
                  progress: bool | None = None, suffix: str = "_pred", mask_input: bool = True) -> pd.DataFrame:
    """Analyze ``df[text_col]`` and return a copy of ``df`` with the result columns appended.

    Args:
        df: Input frame (not modified).
        text_col: Column holding the texts.
        nlp: Analyzer to use (default: :func:`default_analyzer`).
        batch_size: Texts per model batch.
        progress: Show a tqdm bar (default: only for 5,000 rows or more).
        suffix: Appended to output column names that already exist in ``df`` (e.g. gold labels).
        mask_input: Mask PII (phones, ID cards, bank cards, e-mails) in the copied ``text_col`` too,
            so nothing exported from the result leaks it; ``False`` keeps the raw text.

    Returns:
        The new frame, same index and row count as ``df``.

    Raises:
        TypeError: ``df`` is not a DataFrame.
        KeyError: ``text_col`` is missing.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"analyze_frame expects a pandas DataFrame, got {type(df).__name__}")
    if text_col not in df.columns:
        raise KeyError(f"column {text_col!r} not in DataFrame; columns are {list(df.columns)}")
    nlp = nlp or default_analyzer()
    recs = _records(nlp, df[text_col].tolist(), batch_size, len(df), progress)
    res = pd.DataFrame.from_records(recs, columns=list(OUTPUT_COLUMNS), index=df.index)
    clash = [c for c in res.columns if c in df.columns]
    if clash:
        warnings.warn(f"columns {clash} already exist; predictions are named with suffix {suffix!r}",
                      stacklevel=2)
        res = res.rename(columns={c: c + suffix for c in clash})
    out = pd.concat([df, res], axis=1)
    if mask_input:
        out[text_col] = mask_column(out[text_col])
    return out


def mask_column(values: pd.Series) -> pd.Series:
    """PII-mask every cell of a column with :func:`voc.privacy.mask_value`.

    Text is masked on its normalized form (full-width digits, zero-width characters,
    NBSP ...); bytes are decoded and masked; numbers that read as PII (an Excel column
    of phone numbers) become the placeholder; None/NaN and other numbers are kept.
    """
    from voc.privacy import mask_values

    # a plain list and an object column: pandas' Arrow-backed strings cannot hold lone surrogates
    return pd.Series(mask_values(values), index=values.index, dtype=object)


def analyze_batch(batch: dict[str, list[Any]], text_col: str = "text", nlp: Any = None) -> dict[str, list[Any]]:
    """``datasets.Dataset.map(analyze_batch, batched=True)``-friendly batch function.

    Returns the input columns plus the result columns (evidence as a JSON string, since
    Arrow needs one type per column).
    """
    import json

    if text_col not in batch:
        raise KeyError(f"column {text_col!r} not in batch; columns are {list(batch)}")
    nlp = nlp or default_analyzer()
    texts = batch[text_col]
    recs = _records(nlp, texts, 256, len(texts), False)
    out = dict(batch)
    out[text_col] = list(mask_column(pd.Series(texts, dtype=object)))
    for col in OUTPUT_COLUMNS:
        vals = [r[col] for r in recs]
        out[col if col not in batch else col + "_pred"] = (
            [json.dumps(v, ensure_ascii=False) for v in vals] if col == "evidence" else vals)
    return out
