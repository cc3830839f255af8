"""Export texts to, and import labels from, Label Studio and doccano.

* Label Studio: :func:`label_studio_config` writes the labelling interface (one ``<Choices>``
  block per task, generated from the taxonomy, Chinese names as hints); :func:`to_label_studio`
  writes import-ready tasks (optionally with the model's labels as ``predictions`` for
  pre-annotation); :func:`from_label_studio` reads Label Studio's JSON export back into a table.
* doccano (text classification project): one label set per project, so a label is written as
  ``task:code`` (for example ``intent:refund_return``). :func:`to_doccano` writes JSONL,
  :func:`from_doccano` reads doccano's JSONL export.

Both importers return one row per text with the task columns that carry a label, ready for
:func:`voc.labelling.agreement` or ``voc train``.

Example:
    >>> from voc.labelling import label_studio_config
    >>> '<Choices name="sentiment"' in label_studio_config(tasks=["sentiment"])
    True
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import quoteattr

import pandas as pd

from voc.labelling.agreement import as_label_set
from voc.taxonomy import TASKS, Taxonomy, load_taxonomy

__all__ = ["label_studio_config", "to_label_studio", "from_label_studio", "to_doccano", "from_doccano"]


def label_studio_config(tasks: Sequence[str] | None = None, taxonomy: Taxonomy | None = None) -> str:
    """Label Studio labelling config (XML) for ``tasks`` of the taxonomy.

    Args:
        tasks: Tasks to label (default: all nine).
        taxonomy: Label sets (default: the shipped taxonomy).

    Returns:
        The XML text to paste into Label Studio's "Labeling Interface" (or to pass as
        ``label_config`` when creating a project through its API).
    """
    tax = taxonomy or load_taxonomy()
    tasks = list(tasks or TASKS)
    parts = ['<View>', '  <Text name="text" value="$text"/>']
    for task in tasks:
        choice = "multiple" if tax.is_multi(task) else "single-radio"
        required = "false" if tax.is_multi(task) and task != "aspects" else "true"
        parts.append(f'  <Header value={quoteattr(task)}/>')
        parts.append(f'  <Choices name={quoteattr(task)} toName="text" choice="{choice}" '
                     f'required="{required}" showInline="true">')
        names = tax.names(task)
        for code in tax.codes(task):
            parts.append(f'    <Choice value={quoteattr(code)} hint={quoteattr(names.get(code, code))}/>')
        parts.append('  </Choices>')
    parts.append('</View>')
    return "\n".join(parts) + "\n"


def _records(df: pd.DataFrame, text_col: str, id_col: str | None) -> list[tuple[str, str]]:
    if text_col not in df.columns:
        raise ValueError(f"no column {text_col!r} (columns: {list(df.columns)})")
    ids = df[id_col].astype(str).tolist() if id_col and id_col in df.columns else [str(i) for i in range(len(df))]
    texts = ["" if (isinstance(t, float) and t != t) or t is None else str(t) for t in df[text_col]]
    return list(zip(ids, texts, strict=True))


def to_label_studio(df: pd.DataFrame, text_col: str = "text", id_col: str | None = "id",
                    tasks: Sequence[str] | None = None, predictions: bool = True,
                    taxonomy: Taxonomy | None = None) -> list[dict[str, Any]]:
    """Label Studio tasks for the rows of ``df``.

    Args:
        df: Texts to label; task columns already present (e.g. the model's labels from
            ``voc analyze`` or ``voc label suggest``) become ``predictions`` for pre-annotation.
        text_col: Column with the text.
        id_col: Column with a stable id (kept as ``data.voc_id``; default: the row number).
        tasks: Tasks whose existing values are exported as predictions (default: all nine).
        predictions: Export existing task values as predictions.
        taxonomy: Decides single vs multi-label.

    Returns:
        A JSON-serialisable list of tasks (``json.dump`` it to a ``.json`` file to import).
    """
    tax = taxonomy or load_taxonomy()
    tasks = [t for t in (tasks or TASKS) if t in df.columns] if predictions else []
    out = []
    for k, (rid, text) in enumerate(_records(df, text_col, id_col)):
        item: dict[str, Any] = {"data": {"text": text, "voc_id": rid}}
        result = []
        for task in tasks:
            value = df[task].iloc[k]
            labels = sorted(as_label_set(value)) if tax.is_multi(task) else (
                [] if value is None or (isinstance(value, float) and value != value) or value == "" else [str(value)])
            if labels:
                result.append({"from_name": task, "to_name": "text", "type": "choices",
                               "value": {"choices": labels}})
        if result:
            item["predictions"] = [{"model_version": "voc", "result": result}]
        out.append(item)
    return out


def from_label_studio(tasks: list[dict[str, Any]] | str, taxonomy: Taxonomy | None = None,
                      annotator: str | None = None) -> pd.DataFrame:
    """Read Label Studio's JSON export (list of tasks with ``annotations``).

    Args:
        tasks: The parsed export, or its JSON text.
        taxonomy: Decides single vs multi-label and validates the codes.
        annotator: Keep only annotations by this ``completed_by`` id/e-mail (default: the
            latest non-cancelled annotation of each task).

    Returns:
        One row per annotated task: ``id``, ``text`` and one column per labelled task
        (lists for multi-label tasks).

    Raises:
        ValueError: Not a Label Studio export, or a code that is not in the taxonomy.
    """
    tax = taxonomy or load_taxonomy()
    if isinstance(tasks, str):
        tasks = json.loads(tasks)
    if not isinstance(tasks, list):
        raise ValueError("a Label Studio export is a JSON list of tasks")
    rows = []
    for t in tasks:
        if not isinstance(t, dict) or "data" not in t:
            raise ValueError("not a Label Studio task (no 'data' field)")
        anns = [a for a in t.get("annotations", []) if not a.get("was_cancelled")]
        if annotator is not None:
            anns = [a for a in anns if str(_who(a)) == str(annotator)]
        if not anns:
            continue
        ann = anns[-1]
        row: dict[str, Any] = {"id": str(t["data"].get("voc_id", t.get("id", ""))), "text": t["data"].get("text", "")}
        for res in ann.get("result", []):
            task = res.get("from_name")
            choices = res.get("value", {}).get("choices", [])
            if task not in tax.tasks:
                continue
            for c in choices:
                tax.validate(task, [c] if tax.is_multi(task) else c)
            row[task] = sorted(choices) if tax.is_multi(task) else (choices[0] if choices else None)
        for task in tax.tasks:
            if tax.is_multi(task) and task not in row:
                row[task] = []
        rows.append(row)
    return pd.DataFrame(rows)


def _who(annotation: dict[str, Any]) -> Any:
    who = annotation.get("completed_by")
    return who.get("email", who.get("id")) if isinstance(who, dict) else who


def to_doccano(df: pd.DataFrame, text_col: str = "text", id_col: str | None = "id",
               tasks: Sequence[str] | None = None, taxonomy: Taxonomy | None = None) -> list[dict[str, Any]]:
    """doccano JSONL records (text classification): ``{"text", "label", "voc_id"}``.

    Existing task values become ``task:code`` labels (pre-annotation); write one JSON object
    per line and import with "JSONL" format, column ``text``, label column ``label``.
    """
    tax = taxonomy or load_taxonomy()
    tasks = [t for t in (tasks or TASKS) if t in df.columns]
    out = []
    for k, (rid, text) in enumerate(_records(df, text_col, id_col)):
        labels = []
        for task in tasks:
            value = df[task].iloc[k]
            if tax.is_multi(task):
                labels += [f"{task}:{c}" for c in sorted(as_label_set(value))]
            elif isinstance(value, str) and value:
                labels.append(f"{task}:{value}")
        out.append({"text": text, "label": labels, "voc_id": rid})
    return out


def doccano_label_names(tasks: Sequence[str] | None = None, taxonomy: Taxonomy | None = None) -> list[str]:
    """Every ``task:code`` label, to create the doccano project's label set."""
    tax = taxonomy or load_taxonomy()
    return [f"{t}:{c}" for t in (tasks or TASKS) for c in tax.codes(t)]


def from_doccano(records: list[dict[str, Any]] | str, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """Read doccano's JSONL export (text classification) back into task columns.

    Args:
        records: Parsed records or the JSONL text. Labels are ``task:code`` strings (in
            ``label`` or ``cats``).
        taxonomy: Validates the codes.

    Returns:
        One row per record: ``id``, ``text`` and the task columns.

    Raises:
        ValueError: A label without ``task:`` or with an unknown code.
    """
    tax = taxonomy or load_taxonomy()
    if isinstance(records, str):
        records = [json.loads(line) for line in records.splitlines() if line.strip()]
    rows = []
    for rec in records:
        labels = rec.get("label", rec.get("cats", []))
        row: dict[str, Any] = {"id": str(rec.get("voc_id", rec.get("id", ""))), "text": rec.get("text", "")}
        for task in tax.tasks:
            if tax.is_multi(task):
                row[task] = []
        for lab in labels:
            if isinstance(lab, list):  # span labels [start, end, label] are not ours
                lab = lab[-1]
            if ":" not in str(lab):
                raise ValueError(f"doccano label {lab!r} is not of the form task:code")
            task, code = str(lab).split(":", 1)
            if task not in tax.tasks:
                raise ValueError(f"doccano label {lab!r}: unknown task {task!r}")
            tax.validate(task, [code] if tax.is_multi(task) else code)
            if tax.is_multi(task):
                row[task] = sorted({*row[task], code})
            else:
                row[task] = code
        rows.append(row)
    return pd.DataFrame(rows)
