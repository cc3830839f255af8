"""Retraining and evaluation: ``voc.train(task, data)`` and ``voc.evaluate(model, data)``.

``data`` may be a corpus name (``"voc_zh"``), a path to a CSV / JSONL / Parquet file,
a pandas DataFrame, a ``datasets.Dataset``, or a ``(texts, labels)`` pair. Label
codes come from the data itself, so a custom taxonomy (renamed or added labels)
trains without code changes; pass ``taxonomy=`` to validate them.

Example:
    >>> import voc
    >>> clf = voc.train("intent", "voc_zh")                    # doctest: +SKIP
    >>> nlp = voc.load(); nlp.replace("intent", clf)           # doctest: +SKIP
    >>> voc.evaluate(nlp, "voc_zh", task="intent")["intent"]["macro_f1"]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from voc.results import MULTI_TASKS
from voc.taxonomy import Taxonomy

__all__ = ["train", "evaluate", "as_frame"]


def as_frame(data: Any, split: str | None = None) -> pd.DataFrame:
    """Coerce any supported ``data`` to a DataFrame (optionally one split of a corpus)."""
    if isinstance(data, pd.DataFrame):
        df = data
    elif isinstance(data, tuple) and len(data) == 2:
        df = pd.DataFrame({"text": list(data[0]), "label": list(data[1])})
    elif isinstance(data, str):
        from voc.datasets import load_frame

        return load_frame(data, split=split)
    elif hasattr(data, "to_pandas"):
        df = data.to_pandas()
    else:
        raise TypeError(f"unsupported data type {type(data).__name__}: use a DataFrame, "
                        "datasets.Dataset, corpus name, file path or (texts, labels)")
    if split is not None and "split" in df.columns:
        df = df[df["split"] == split]
    return df.reset_index(drop=True)


def _labels(df: pd.DataFrame, task: str, label_col: str | None) -> tuple[list[Any], str]:
    col = label_col or (task if task in df.columns else "label")
    if col not in df.columns:
        raise ValueError(f"no label column for task {task!r}: expected {task!r} or 'label' in {list(df.columns)}")
    return list(df[col]), col


def train(task: str, data: Any, *, backend: str = "sklearn", text_col: str = "text",
          label_col: str | None = None, split: str | None = "train", multi_label: bool | None = None,
          taxonomy: Taxonomy | None = None, **params: Any) -> Any:
    """Train one task's component.

    Args:
        task: Task name (e.g. ``"intent"``); also the default label column.
        data: Training data (see module docstring). Corpora use their ``split`` (default train).
        backend: ``"sklearn"`` (default) or ``"transformers"``.
        text_col: Column with the texts.
        label_col: Column with the labels (default: ``task``, else ``label``).
        split: Which split of a corpus to train on (ignored when the data has no split column).
        multi_label: Force multi-label; default: True for the taxonomy's multi-label tasks or
            when labels are lists.
        taxonomy: Validate labels against it.
        **params: Backend hyper-parameters (``SklearnTextClassifier`` or
            ``TransformersTextClassifier`` arguments, e.g. ``model_name_or_path=``).

    Returns:
        A fitted component, usable with ``Analyzer.replace(task, component)``.
    """
    df = as_frame(data, split=split)
    if text_col not in df.columns:
        raise ValueError(f"no text column {text_col!r} in {list(df.columns)}")
    y, _ = _labels(df, task, label_col)
    if multi_label is None:
        multi_label = task in MULTI_TASKS or any(isinstance(v, (list, tuple, np.ndarray)) for v in y)
    if multi_label:
        y = [list(v) for v in y]
    if taxonomy is not None:
        for v in y:
            taxonomy.validate(task, v)
    texts = _normalized([str(t) for t in df[text_col]])
    if not texts:
        raise ValueError("no training rows")
    if backend == "sklearn":
        from voc.models.sklearn import SklearnTextClassifier

        labels = taxonomy.codes(task) if taxonomy is not None and multi_label else None
        return SklearnTextClassifier(multi_label=multi_label, labels=labels, **params).fit(texts, y)
    if backend == "transformers":
        from voc.models.transformers import TransformersTextClassifier

        return TransformersTextClassifier(multi_label=multi_label, **params).fit(texts, y)
    raise ValueError(f"unknown backend {backend!r}: use 'sklearn' or 'transformers'")


def _normalized(texts: Sequence[str]) -> list[str]:
    from voc.text import Normalizer

    norm = Normalizer()
    return [r.text for r in norm.pipe(texts)]


def evaluate(model: Any, data: Any, *, task: str | None = None, split: str | None = "test",
             text_col: str = "text", label_col: str | None = None) -> dict[str, dict[str, Any]]:
    """Per-label precision / recall / F1, macro-F1 and a confusion matrix per task.

    Args:
        model: An :class:`~voc.pipeline.Analyzer` (all its tasks present in the data are scored)
            or a single component (then ``task`` is required).
        data: Evaluation data (see module docstring); corpora use ``split`` (default test).
        task: Restrict to one task.
        split: Split of a corpus to evaluate on.
        text_col: Column with the texts.
        label_col: Label column when evaluating one task (default ``task`` or ``label``).

    Returns:
        ``{task: {"macro_f1", "micro_f1" (multi), "accuracy" (single), "n", "per_label": {...},
        "confusion": {"labels": [...], "matrix": [[...]]}}}``.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
    from sklearn.preprocessing import MultiLabelBinarizer

    df = as_frame(data, split=split)
    texts = [str(t) for t in df[text_col]]
    if hasattr(model, "pipe"):
        tasks = [task] if task else [t for t in model.tasks if t in df.columns]
        results = list(model.pipe(texts))
        preds = {t: [_value(getattr(r, t)) for r in results] for t in tasks}
    else:
        if task is None:
            raise ValueError("task= is required when evaluating a single component")
        tasks = [task]
        normed = _normalized(texts)
        if getattr(model, "multi_label_", False):
            proba = model.predict_proba(normed)
            preds = {task: [[c for c, p in zip(model.classes_, row, strict=True) if p >= 0.5] for row in proba]}
        else:
            preds = {task: list(model.predict(normed))}
    out: dict[str, dict[str, Any]] = {}
    for t in tasks:
        gold, _ = _labels(df, t, label_col if task else None)
        pred = preds[t]
        if gold and isinstance(gold[0], (list, tuple, np.ndarray)):
            mlb = MultiLabelBinarizer()
            mlb.fit([list(g) for g in gold] + [list(p) for p in pred])
            G, P = mlb.transform([list(g) for g in gold]), mlb.transform([list(p) for p in pred])
            p, r, f, s = precision_recall_fscore_support(G, P, zero_division=0)
            labels = list(mlb.classes_)
            out[t] = {"macro_f1": float(f1_score(G, P, average="macro", zero_division=0)),
                      "micro_f1": float(f1_score(G, P, average="micro", zero_division=0)), "n": len(gold)}
        else:
            gold = [str(g) for g in gold]
            pred = [str(x) for x in pred]
            labels = sorted(set(gold) | set(pred))
            p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
            out[t] = {"macro_f1": float(f1_score(gold, pred, labels=sorted(set(gold)), average="macro",
                                                 zero_division=0)),
                      "accuracy": float(accuracy_score(gold, pred)), "n": len(gold),
                      "confusion": {"labels": labels,
                                    "matrix": confusion_matrix(gold, pred, labels=labels).tolist()}}
        out[t]["per_label"] = {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                                     "support": int(s[i])} for i, lab in enumerate(labels)}
    return out


def _value(x: Any) -> Any:
    if isinstance(x, list):
        return [lab.label for lab in x]
    return x.label
