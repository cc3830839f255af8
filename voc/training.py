"""Retraining and evaluation: ``voc.train(task, data)`` and ``voc.evaluate(model, data)``.

``data`` may be a corpus name (``"voc_zh"``), a path to a CSV / JSONL / Parquet file,
a pandas DataFrame, a ``datasets.Dataset``, or a ``(texts, labels)`` pair. Label
codes come from the data itself, so a custom taxonomy (renamed or added labels)
trains without code changes; pass ``taxonomy=`` to validate them.

One rule for which rows are used, whatever the kind of ``data``:

* ``train`` uses the rows with ``split == "train"`` when the data has a ``split`` column
  (corpora always have one; a file or DataFrame has one only if *you* wrote it), else all rows.
* ``evaluate`` uses the rows with ``split == "test"`` when the data has a ``split`` column,
  else all rows, and warns (``UserWarning``) when evaluation texts were training texts of
  the component being scored in this session, since such a score is not held out.

Pass ``split="dev"`` (or ``split=None`` for every row) to choose another split.

Example:
    >>> import pandas as pd
    >>> import voc
    >>> labels = pd.DataFrame({
    ...     "text": ["质量很好，很满意", "客服太差，要投诉", "请问几点发货", "物流很快，好评", "东西坏了，投诉",
    ...              "有没有蓝色的", "非常满意，好评", "投诉你们客服", "请问发货了吗"],
    ...     "intent": ["praise", "complaint", "inquiry"] * 3,
    ...     "split": ["train"] * 6 + ["test"] * 3})
    >>> clf = voc.train("intent", labels, min_df=1)            # the 6 split == "train" rows
    >>> voc.evaluate(clf, labels, task="intent")["intent"]["n"]  # the 3 split == "test" rows
    3
"""

from __future__ import annotations

import contextlib
import warnings
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.results import MULTI_TASKS
from voc.taxonomy import Taxonomy

__all__ = ["train", "evaluate", "as_frame"]

#: Texts each component was trained on by :func:`train` in this session (for the overlap warning).
_TRAIN_TEXTS: weakref.WeakKeyDictionary[Any, frozenset[str]] = weakref.WeakKeyDictionary()


def as_frame(data: Any, split: str | None = None) -> pd.DataFrame:
    """Coerce any supported ``data`` to a DataFrame, keeping only ``split`` rows if it has a split column.

    The ``split`` column counts only when the data has it: a corpus always does; a user file
    or DataFrame only when its author wrote one (no split is invented for a file).

    Args:
        data: Corpus name, file path, DataFrame, ``datasets.Dataset`` or ``(texts, labels)``.
        split: Keep the rows with this ``split`` value (``None``: every row).

    Returns:
        The rows, with a fresh index.
    """
    if isinstance(data, pd.DataFrame):
        df = data
    elif isinstance(data, tuple) and len(data) == 2:
        df = pd.DataFrame({"text": list(data[0]), "label": list(data[1])})
    elif isinstance(data, str):
        from voc.datasets import LABELLED, PUBLIC, _read_table, load_frame

        df = load_frame(data)
        if data not in LABELLED and data not in PUBLIC and "split" not in _read_table(Path(data)).columns:
            df = df.drop(columns="split")  # load_frame invents a split for user files; the rule ignores it
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
        data: Training data (see module docstring). When it has a ``split`` column (corpora,
            or a file / DataFrame you split yourself), only the ``split == "train"`` rows train;
            without one, every row trains.
        backend: ``"sklearn"`` (default) or ``"transformers"``.
        text_col: Column with the texts.
        label_col: Column with the labels (default: ``task``, else ``label``).
        split: Which ``split`` value to train on (ignored when the data has no split column;
            ``None``: every row).
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
    raw = [str(t) for t in df[text_col]]
    texts = _normalized(raw)
    if not texts:
        hint = f": no row has split == {split!r} (pass split=None to train on every row)" \
            if split is not None and "split" in df.columns else ""
        raise ValueError(f"no training rows{hint}")
    if backend == "sklearn":
        from voc.models.sklearn import SklearnTextClassifier

        labels = taxonomy.codes(task) if taxonomy is not None and multi_label else None
        comp = SklearnTextClassifier(multi_label=multi_label, labels=labels, **params).fit(texts, y)
    elif backend == "transformers":
        from voc.models.transformers import TransformersTextClassifier

        comp = TransformersTextClassifier(multi_label=multi_label, **params).fit(texts, y)
    else:
        raise ValueError(f"unknown backend {backend!r}: use 'sklearn' or 'transformers'")
    with contextlib.suppress(TypeError):  # a component that cannot be weakly referenced: no record
        _TRAIN_TEXTS[comp] = frozenset(raw)
    return comp


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
        data: Evaluation data (see module docstring). When it has a ``split`` column, only the
            ``split == "test"`` rows are scored; without one, every row is, and a ``UserWarning``
            says so if some of them were training texts of the scored component(s) (trained by
            :func:`train` in this session).
        task: Restrict to one task.
        split: Which ``split`` value to evaluate on (ignored without a split column; ``None``: every row).
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
        _warn_overlap(texts, {t: getattr(model, "components", {}).get(t) for t in tasks})
        results = list(model.pipe(texts))
        preds = {t: [_value(getattr(r, t)) for r in results] for t in tasks}
    else:
        if task is None:
            raise ValueError("task= is required when evaluating a single component")
        tasks = [task]
        _warn_overlap(texts, {task: model})
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


def _warn_overlap(texts: Sequence[str], components: dict[str, Any]) -> None:
    """Warn when evaluation texts were training texts of a component trained by :func:`train`."""
    rows = set(texts)
    for t, comp in components.items():
        try:
            seen = _TRAIN_TEXTS.get(comp) if comp is not None else None
        except TypeError:  # pragma: no cover - not weakly referenceable
            seen = None
        n = sum(1 for x in texts if x in seen) if seen and not rows.isdisjoint(seen) else 0
        if n:
            warnings.warn(f"voc.evaluate: {n} of {len(texts)} evaluation rows were training texts of "
                          f"{t!r}, so the score is not held out; evaluate on rows it did not train on "
                          "(e.g. a 'split' column: train uses 'train' rows, evaluate uses 'test' rows)",
                          UserWarning, stacklevel=3)


def _value(x: Any) -> Any:
    if isinstance(x, list):
        return [lab.label for lab in x]
    return x.label
