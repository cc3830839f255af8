"""Reading and preparing the report's input: files, analyzer columns, masked texts, timestamps."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from voc.results import MULTI_TASKS

#: Columns that mark a frame as already analyzed (from ``voc.analyze_frame`` or ``voc analyze``).
RESULT_COLUMNS = ("sentiment", "sentiment_score", "emotion", "intent", "non_complaint_reasons",
                  "complaint_stage", "aspects")
_LIST_COLUMNS = MULTI_TASKS
_READERS = (".csv", ".tsv", ".jsonl", ".json", ".parquet", ".xlsx", ".xls")


def _read_table(path: Path) -> pd.DataFrame:
    """The one table reader (:func:`voc.tables.read_frame`); a missing file is a ``FileNotFoundError``."""
    from voc.tables import read_frame

    if path.suffix.lower() in _READERS and not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return read_frame(path)


def _optional_table(name: str, value: pd.DataFrame | str | Path | None) -> pd.DataFrame | None:
    """The ``contacts`` / ``events`` argument of :func:`build_report` as a DataFrame (or ``None``)."""
    if value is None or isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, (str, Path)):
        return _read_table(Path(value))
    raise TypeError(f"build_report: {name}= expects a DataFrame or a file path, got {type(value).__name__}")


def _default_taxonomy() -> Any:
    from voc.taxonomy import load_taxonomy

    return load_taxonomy()


def _ensure_analyzed(df: pd.DataFrame, text_col: str, nlp: Any, notes: list[str]) -> pd.DataFrame:
    present = [c for c in RESULT_COLUMNS if c in df.columns]
    if len(present) == len(RESULT_COLUMNS):
        from voc.frame import evidence_dict

        df = df.copy()
        for col in _LIST_COLUMNS:
            if col in df.columns:
                df[col] = df[col].map(_parse_json_cell)
        if "evidence" in df.columns:  # JSON text (CSV / Excel), spans (Parquet) or dicts: {label: [span]}
            df["evidence"] = pd.Series([evidence_dict(v) for v in df["evidence"]], index=df.index, dtype=object)
        return df
    from voc.frame import OUTPUT_COLUMNS, analyze_frame

    clash = [c for c in OUTPUT_COLUMNS if c in df.columns]
    if clash:
        notes.append(f"Input columns {', '.join(clash)} were replaced by the analyzer's predictions.")
    return analyze_frame(df.drop(columns=clash), text_col=text_col, nlp=nlp, progress=len(df) >= 5000)


def _parse_json_cell(v: Any) -> Any:
    """Lists and dicts written as JSON strings (CSV / Excel output of ``voc analyze``) back to objects."""
    if isinstance(v, str) and v[:1] in ("[", "{"):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def _masked_texts(texts: pd.Series, nlp: Any) -> pd.Series:
    """The analyzer's normalized texts (PII masked), ``""`` where a text is unusable."""
    normalizer = getattr(nlp, "normalizer", None)
    if normalizer is None:
        from voc.text import Normalizer

        normalizer = Normalizer()
    out = []
    for t in texts.tolist():
        try:
            out.append(normalizer(t).text)
        except (TypeError, ValueError):
            out.append("")
    return pd.Series(out, index=texts.index, dtype=object)


def _parse_times(df: pd.DataFrame, time_col: str) -> tuple[pd.Series | None, str | None]:
    if time_col not in df.columns:
        return None, f"The data has no {time_col!r} column, so sentiment over time is not shown."
    col = df[time_col]
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return None, (f"Column {time_col!r} holds numbers, not dates (convert epochs with "
                      "pd.to_datetime(..., unit='s')); sentiment over time is not shown.")
    if pd.api.types.is_datetime64_any_dtype(col):
        t = col
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = pd.to_datetime(col, errors="coerce", format="mixed", utc=True)
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_convert("UTC").dt.tz_localize(None)
    if t.notna().sum() == 0:
        return None, f"No value of column {time_col!r} could be read as a date; sentiment over time is not shown."
    bad = int(t.isna().sum())
    note = f"{bad} row(s) with a missing or unreadable {time_col!r} are left out of the time chart." if bad else None
    return t, note
