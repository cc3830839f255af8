"""DataFrame and Hugging Face ``datasets`` adapters.

``analyze_frame(df)`` appends the flat ``Result.to_dict()`` columns (plus
``evidence``) to a copy of ``df``: one output row per input row, same index, bad
texts flagged in ``error``. ``analyze_batch`` is the same for ``Dataset.map``.
``write_parquet`` writes such a frame with one Arrow type per nested column.

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
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import pandas as pd

from voc.results import FLAT_COLUMNS, MULTI_TASKS, SCORE_COLUMNS

__all__ = ["analyze_frame", "analyze_batch", "default_analyzer", "write_parquet", "evidence_dict",
           "OUTPUT_COLUMNS"]

#: Columns appended by :func:`analyze_frame`, in order: the label columns, ``evidence``
#: (``{label: [span, ...]}``), then the score columns (:data:`voc.results.SCORE_COLUMNS`).
OUTPUT_COLUMNS = (*FLAT_COLUMNS, "evidence", *SCORE_COLUMNS)
#: Columns holding a ``{label: score}`` mapping (JSON text in CSV / Excel and in ``analyze_batch``).
_SCORE_MAPS = frozenset(c for c in SCORE_COLUMNS if c.endswith("_scores"))

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
    return list(_iter_records(nlp, texts, batch_size, total, progress))


def _iter_records(nlp: Any, texts: Iterable[Any], batch_size: int, total: int,
                  progress: bool | None) -> Iterator[dict]:
    results = nlp.pipe(texts, batch_size=batch_size)
    if progress is None:
        progress = total >= 5000
    if progress:
        from tqdm.auto import tqdm

        results = tqdm(results, total=total, desc="voc", unit="text")
    for r in results:
        d = r.to_dict()
        d["evidence"] = r.evidence
        yield d


def analyze_frame(df: pd.DataFrame, text_col: str = "text", *, nlp: Any = None, batch_size: int = 256,
                  progress: bool | None = None, suffix: str = "_pred", mask_input: bool = True,
                  chunksize: int | None = 20_000) -> pd.DataFrame:
    """Analyze ``df[text_col]`` and return a copy of ``df`` with the result columns appended.

    The texts stream through the analyzer; every ``chunksize`` rows the results become a
    frame of their own, so the memory beyond the returned frame stays flat (no list of
    per-row records for the whole input).

    Args:
        df: Input frame (not modified).
        text_col: Column holding the texts.
        nlp: Analyzer to use (default: :func:`default_analyzer`).
        batch_size: Texts per model batch.
        progress: Show a tqdm bar (default: only for 5,000 rows or more).
        suffix: Appended to output column names that already exist in ``df`` (e.g. gold labels).
        mask_input: Mask PII (phones, ID cards, bank cards, e-mails) in the copied ``text_col`` too,
            so nothing exported from the result leaks it; ``False`` keeps the raw text.
        chunksize: Rows turned into a frame at a time (``None``: all at once).

    Returns:
        The new frame, same index and row count as ``df``.

    Raises:
        TypeError: ``df`` is not a DataFrame.
        KeyError: ``text_col`` is missing.
        ValueError: ``chunksize`` is not a positive integer.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"analyze_frame expects a pandas DataFrame, got {type(df).__name__}")
    if text_col not in df.columns:
        raise KeyError(f"column {text_col!r} not in DataFrame; columns are {list(df.columns)}")
    if chunksize is not None and (isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1):
        raise ValueError(f"chunksize must be a positive integer or None, got {chunksize!r}")
    nlp = nlp or default_analyzer()
    n = len(df)
    step = chunksize or max(n, 1)
    records = _iter_records(nlp, df[text_col], batch_size, n, progress)
    columns: dict[str, list[Any]] = {c: [] for c in OUTPUT_COLUMNS}
    for _ in range(0, n, step):  # one chunk of per-row records at a time; the columns keep the values only
        chunk = list(islice(records, step))
        for c, values in columns.items():
            values.extend([d[c] for d in chunk])
        del chunk
    res = pd.DataFrame.from_records([], columns=list(OUTPUT_COLUMNS), index=df.index) if not n else \
        pd.DataFrame(columns, index=df.index)
    del columns
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

    original = values.tolist()
    masked = [o if type(m) is str and type(o) is str and m == o else m  # unchanged text: no second copy
              for o, m in zip(original, mask_values(original), strict=True)]
    # a plain list and an object column: pandas' Arrow-backed strings cannot hold lone surrogates
    return pd.Series(masked, index=values.index, dtype=object)


def analyze_batch(batch: dict[str, list[Any]], text_col: str = "text", nlp: Any = None) -> dict[str, list[Any]]:
    """``datasets.Dataset.map(analyze_batch, batched=True)``-friendly batch function.

    Returns the input columns plus the result columns. ``evidence`` and the
    ``<task>_scores`` mappings are JSON strings (their keys vary from row to row, and
    Arrow needs one type per column); ``<task>_score`` values are floats (``None`` on
    error rows).
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
            [json.dumps(v, ensure_ascii=False) for v in vals] if col == "evidence" or col in _SCORE_MAPS else vals)
    return out


def evidence_dict(value: Any) -> dict[str, list[str]]:
    """An ``evidence`` cell in its ``analyze_frame`` form ``{label: [span, ...]}``.

    Accepts that form, its JSON text (CSV / Excel / ``analyze_batch``) and the list of
    ``{"label", "text"}`` spans that :func:`write_parquet` stores (a numpy array once read
    back with ``pd.read_parquet``); anything else gives ``{}``.

    Args:
        value: One cell of an ``evidence`` column.

    Returns:
        A new ``{label: [span, ...]}`` dict.
    """
    import json

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): [str(x) for x in (v.tolist() if hasattr(v, "tolist") else v or [])]
                for k, v in value.items() if v is not None}
    out: dict[str, list[str]] = {}
    if isinstance(value, (list, tuple)):
        for span in value:
            if isinstance(span, dict) and span.get("label") is not None and span.get("text") is not None:
                out.setdefault(str(span["label"]), []).append(str(span["text"]))
    return out


def _arrow_column(base: str, values: list[Any]) -> tuple[Any, list[Any]] | None:
    """Arrow type and values of a nested result column, or ``None`` to let pyarrow infer it.

    ``evidence`` becomes a list of ``{label, text}`` spans, ``<task>_scores`` a list of
    ``{label, score}`` (highest first), multi-label columns a list of strings.
    """
    import pyarrow as pa

    if base == "evidence" or base in _SCORE_MAPS:
        if not all(v is None or isinstance(v, dict) for v in values):
            return None
        if base == "evidence":
            typ = pa.list_(pa.struct([("label", pa.string()), ("text", pa.string())]))
            rows = [None if v is None else [{"label": k, "text": span} for k, spans in evidence_dict(v).items()
                                            for span in spans] for v in values]
        else:
            typ = pa.list_(pa.struct([("label", pa.string()), ("score", pa.float64())]))
            rows = [None if v is None else [{"label": str(k), "score": float(x)} for k, x in v.items()]
                    for v in values]
        return typ, rows
    if base in MULTI_TASKS:
        if not all(v is None or isinstance(v, (list, tuple)) or hasattr(v, "tolist") for v in values):
            return None
        rows = [None if v is None else [str(x) for x in (v.tolist() if hasattr(v, "tolist") else v)]
                for v in values]
        return pa.list_(pa.string()), rows
    return None


def write_parquet(df: pd.DataFrame, path: Any) -> None:
    """Write an :func:`analyze_frame` result to Parquet with one clean Arrow type per nested column.

    Plain ``df.to_parquet`` turns the ``evidence`` dicts (different keys per row) into one
    struct with a field per label, mostly nulls. Here ``evidence`` is stored as a list of
    ``{"label", "text"}`` spans, each ``<task>_scores`` as a list of ``{"label", "score"}``
    and each multi-label column as a list of strings, so ``pd.read_parquet`` gives back one
    array of such dicts (or strings) per row. Other columns are written as pandas would.

    Args:
        df: The frame (also a ``*_pred`` suffixed result column is converted).
        path: The Parquet file.

    Raises:
        ImportError: pyarrow is not installed.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = [str(c) for c in df.columns]
    converted = {}
    for name in names:
        base = name[: -len("_pred")] if name.endswith("_pred") else name
        conv = _arrow_column(base, df[name].tolist())
        if conv is not None:
            converted[name] = pa.array(conv[1], type=conv[0])
    table = pa.Table.from_pandas(df.drop(columns=list(converted)), preserve_index=False)
    for i, name in enumerate(names):
        if name in converted:
            table = table.add_column(i, pa.field(name, converted[name].type), converted[name])
    pq.write_table(table, path)
