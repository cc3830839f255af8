"""Inter-annotator agreement: Cohen's and Fleiss' kappa per task, and confusion tables.

Single-label tasks compare the codes. Multi-label tasks (reasons, behaviours, aspects) are
scored per label as yes/no decisions: the task's kappa is the mean of the per-label kappas
over labels that at least one annotator used, and ``exact`` is the share of texts whose label
sets are identical.

Example:
    >>> from voc.labelling import cohen_kappa
    >>> round(cohen_kappa(["a", "a", "b", "b"], ["a", "a", "b", "a"]), 3)
    0.5
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import pandas as pd

from voc.schema import parse_list
from voc.taxonomy import TASKS, Taxonomy, load_taxonomy

__all__ = ["cohen_kappa", "fleiss_kappa", "confusion", "agreement", "as_label_set"]


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Cohen's kappa of two annotators' labels for the same items.

    Args:
        a: First annotator's label per item.
        b: Second annotator's label per item (same length).

    Returns:
        Kappa in [-1, 1]; 1.0 when both always agree and use a single label.

    Raises:
        ValueError: Different lengths or no items.
    """
    if len(a) != len(b):
        raise ValueError(f"annotations differ in length: {len(a)} vs {len(b)}")
    n = len(a)
    if n == 0:
        raise ValueError("no items to compare")
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb.get(k, 0) for k in ca) / (n * n)
    if pe >= 1.0:
        return 1.0 if po >= 1.0 else 0.0
    return (po - pe) / (1.0 - pe)


def fleiss_kappa(ratings: Sequence[Sequence[Any]]) -> float:
    """Fleiss' kappa for any number of annotators (the same number for every item).

    Args:
        ratings: One row per item, holding each annotator's label.

    Returns:
        Kappa; 1.0 for perfect agreement on a single label.

    Raises:
        ValueError: Fewer than two annotators, unequal rows, or no items.
    """
    if not ratings:
        raise ValueError("no items to compare")
    m = len(ratings[0])
    if m < 2 or any(len(r) != m for r in ratings):
        raise ValueError("every item needs the same number (>= 2) of annotations")
    n = len(ratings)
    totals: Counter = Counter()
    p_items = 0.0
    for row in ratings:
        c = Counter(row)
        totals.update(c)
        p_items += (sum(v * v for v in c.values()) - m) / (m * (m - 1))
    p_bar = p_items / n
    pe = sum((v / (n * m)) ** 2 for v in totals.values())
    if pe >= 1.0:
        return 1.0 if p_bar >= 1.0 else 0.0
    return (p_bar - pe) / (1.0 - pe)


def as_label_set(value: Any) -> frozenset[str]:
    """A multi-label cell as a set: lists, ``a,b`` / ``a|b`` strings, ``-`` or empty."""
    if value is None or (isinstance(value, float) and value != value):
        return frozenset()
    if isinstance(value, str):
        s = value.strip()
        if s in ("", "-", "[]"):
            return frozenset()
    return frozenset(parse_list(value))  # the one list-cell parser (voc.schema)


def confusion(a: Sequence[Any], b: Sequence[Any]) -> pd.DataFrame:
    """Confusion table of two annotators (rows: first, columns: second)."""
    return pd.crosstab(pd.Series(list(a), name="a"), pd.Series(list(b), name="b"))


def _task_kappa(columns: list[list[Any]], multi: bool) -> dict[str, Any]:
    n = len(columns[0])
    if not multi:
        rows = [[col[i] for col in columns] for i in range(n)]
        kappa = cohen_kappa(columns[0], columns[1]) if len(columns) == 2 else fleiss_kappa(rows)
        observed = sum(len(set(r)) == 1 for r in rows) / n
        return {"kappa": kappa, "observed": observed, "n": n, "per_label": {}}
    sets = [[as_label_set(v) for v in col] for col in columns]
    labels = sorted(set().union(*[s for col in sets for s in col]))
    per_label = {}
    for lab in labels:
        yes = [[lab in col[i] for col in sets] for i in range(n)]
        per_label[lab] = (cohen_kappa([r[0] for r in yes], [r[1] for r in yes]) if len(columns) == 2
                          else fleiss_kappa(yes))
    exact = sum(len({col[i] for col in sets}) == 1 for i in range(n)) / n
    kappa = sum(per_label.values()) / len(per_label) if per_label else 1.0
    return {"kappa": kappa, "observed": exact, "n": n, "per_label": per_label}


def agreement(frames: Sequence[pd.DataFrame], tasks: Sequence[str] | None = None, id_col: str = "id",
              taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """Kappa per task between two (Cohen) or more (Fleiss) annotators' tables.

    Rows are matched on ``id_col`` (or on ``text`` when there is no id column); only items
    labelled in every table are compared.

    Args:
        frames: One table per annotator with an id (or text) column and task columns.
        tasks: Tasks to score (default: every taxonomy task present in all tables).
        id_col: Column that identifies an item.
        taxonomy: Decides which tasks are multi-label (default: the shipped taxonomy).

    Returns:
        One row per task: ``task``, ``n``, ``kappa``, ``observed`` (share of items on which
        all agree; exact set match for multi-label tasks), ``method`` and ``per_label``
        (multi-label tasks: kappa per label). ``attrs["pairs"]`` holds the merged table.

    Raises:
        ValueError: Fewer than two tables, no shared items, or a missing column.
    """
    if len(frames) < 2:
        raise ValueError("agreement needs at least two annotation tables")
    tax = taxonomy or load_taxonomy()
    key = id_col if all(id_col in f.columns for f in frames) else "text"
    for k, f in enumerate(frames):
        if key not in f.columns:
            raise ValueError(f"table {k + 1} has neither an {id_col!r} nor a 'text' column")
    if tasks is None:
        tasks = [t for t in (*TASKS, *tax.tasks) if all(t in f.columns for f in frames)]
        tasks = list(dict.fromkeys(tasks))
    if not tasks:
        raise ValueError("no task column is present in every table")
    merged = frames[0][[key, *tasks]].drop_duplicates(key).rename(columns={t: f"{t}__0" for t in tasks})
    for k, f in enumerate(frames[1:], 1):
        missing = [t for t in tasks if t not in f.columns]
        if missing:
            raise ValueError(f"table {k + 1} lacks columns {missing}")
        part = f[[key, *tasks]].drop_duplicates(key).rename(columns={t: f"{t}__{k}" for t in tasks})
        merged = merged.merge(part, on=key, how="inner")
    if merged.empty:
        raise ValueError(f"the tables share no {key!r} values")
    rows = []
    for task in tasks:
        cols = [merged[f"{task}__{k}"].tolist() for k in range(len(frames))]
        multi = tax.is_multi(task) if task in tax.tasks else any(isinstance(v, list) for v in cols[0])
        r = _task_kappa(cols, multi)
        rows.append({"task": task, "n": r["n"], "kappa": r["kappa"], "observed": r["observed"],
                     "method": "cohen" if len(frames) == 2 else "fleiss",
                     "per_label": r["per_label"]})
    out = pd.DataFrame(rows)
    out.attrs["pairs"] = merged
    return out
