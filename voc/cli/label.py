"""Command line for growing labels: ``voc label suggest | export | import | agreement``.

::

    voc label suggest pool.csv -n 500 --task non_complaint_reasons -o to_label.csv
    voc label export to_label.csv --format label-studio -o tasks.json --config config.xml
    voc label import export.json --format label-studio -o labels.csv
    voc label agreement a.csv b.csv [c.csv ...] [--confusion intent] [-o kappa.csv]

Texts written by ``suggest`` and ``export`` are PII-masked (phones, IDs, cards, e-mails) unless
``--keep-pii`` is given; no command writes over one of its inputs, and files are written to a
temporary name first and then renamed, so an interrupted run leaves no partial file.
The group is added to the main command in :mod:`voc.cli`.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from voc.cli._io import fail, write_output
from voc.cli._tables import bom_option, encoding_option, read_table

__all__ = ["label"]

FORMATS = ("label-studio", "doccano")


def _not_an_input(output: str, *inputs: str) -> None:
    out = Path(output).resolve()
    for path in inputs:
        if Path(path).resolve() == out:
            fail(f"{output}: refusing to write over an input file; choose another output path")


def _atomic_text(path: str, text: str) -> None:
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, p)
    except OSError as e:
        fail(f"{path}: could not write: {e.strerror or e}")


def _write_table(df: Any, output: str) -> None:
    p = Path(output)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.stem}.partial{p.suffix}")
    write_output(df, str(tmp))
    os.replace(tmp, p)


def _masked(df: Any, col: str, keep_pii: bool) -> Any:
    if keep_pii:
        return df
    from voc.frame import mask_column

    df = df.copy()
    df[col] = mask_column(df[col])
    return df


@click.group()
def label() -> None:
    """Pick texts to label, move them to and from Label Studio / doccano, measure agreement."""


@label.command()
@click.argument("pool", type=click.Path(dir_okay=False))
@click.option("-n", "n", default=500, show_default=True, type=click.IntRange(min=1), help="How many texts.")
@click.option("--task", required=True, help="Task to improve, e.g. non_complaint_reasons or intent.")
@click.option("-o", "--output", required=True, help="Output table (.csv, .jsonl, .parquet, .xlsx).")
@click.option("--text-col", default="text", show_default=True)
@click.option("--model", default=None, help="Model directory (default: the shipped models).")
@click.option("--cue-share", default=0.3, show_default=True, type=click.FloatRange(0, 1),
              help="Share of picks retrieved by the task's cue words.")
@click.option("--random-share", default=0.1, show_default=True, type=click.FloatRange(0, 1),
              help="Share of uniform random picks (keep them apart to estimate label rates).")
@click.option("--exclude", default=None, type=click.Path(dir_okay=False),
              help="Table of already labelled texts (its text column) never to pick again.")
@click.option("--seed", default=0, show_default=True)
@click.option("--keep-pii", is_flag=True, help="Do not mask phones, IDs, cards and e-mails in the output.")
@encoding_option
@bom_option
def suggest(pool: str, n: int, task: str, output: str, text_col: str, model: str | None, cue_share: float,
            random_share: float, exclude: str | None, seed: int, keep_pii: bool) -> None:
    """Pick N texts of POOL to label next for TASK (uncertain + cue-retrieved + random, diverse)."""
    import voc
    from voc.labelling import suggest as run

    _not_an_input(output, pool, *(p for p in [exclude] if p))
    df = read_table(pool)
    if text_col not in df.columns:
        fail(f"{pool}: no column {text_col!r} (columns: {', '.join(map(str, df.columns))})")
    if cue_share + random_share > 1:
        fail("--cue-share plus --random-share must be at most 1")
    done: list[str] = []
    if exclude:
        ex = read_table(exclude)
        if text_col not in ex.columns:
            fail(f"{exclude}: no column {text_col!r}")
        done = [str(t) for t in ex[text_col]]
    nlp = voc.load(model) if model else voc.load()
    if task not in nlp.tasks:
        fail(f"unknown task {task!r}; choose one of {', '.join(nlp.tasks)}")
    picked = run(list(df[text_col]), n=n, task=task, nlp=nlp, cue_share=cue_share, random_share=random_share,
                 exclude=done, seed=seed)
    rows = df.iloc[picked["pool_index"].tolist()].reset_index(drop=True)
    for col in ("why", "margin", "guess"):
        rows[f"suggest_{col}"] = picked[col].tolist()
    rows = _masked(rows, text_col, keep_pii)
    _write_table(rows, output)
    click.echo(f"{len(rows)} texts to label for {task} -> {output} "
               f"({json.dumps(picked['why'].str.split(':').str[0].value_counts().to_dict())})")


@label.command(name="export")
@click.argument("input_path", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("-o", "--output", required=True, help="Tasks file: .json (Label Studio) or .jsonl (doccano).")
@click.option("--config", default=None, help="Also write the labelling config (Label Studio XML / doccano label list).")
@click.option("--tasks", default=None, help="Comma-separated tasks (default: all nine).")
@click.option("--text-col", default="text", show_default=True)
@click.option("--id-col", default="id", show_default=True, help="Stable id column (default: row number if absent).")
@click.option("--no-predictions", is_flag=True, help="Do not pre-fill existing labels as predictions.")
@click.option("--keep-pii", is_flag=True, help="Do not mask phones, IDs, cards and e-mails.")
@encoding_option
def export_cmd(input_path: str, fmt: str, output: str, config: str | None, tasks: str | None, text_col: str,
               id_col: str, no_predictions: bool, keep_pii: bool) -> None:
    """Write INPUT_PATH's texts as Label Studio tasks or doccano JSONL (with the config)."""
    from voc.labelling import doccano_label_names, label_studio_config, to_doccano, to_label_studio
    from voc.taxonomy import load_taxonomy

    _not_an_input(output, input_path)
    if config:
        _not_an_input(config, input_path, output)
    tax = load_taxonomy()
    task_list = [t.strip() for t in tasks.split(",")] if tasks else None
    for t in task_list or []:
        if t not in tax.tasks:
            fail(f"unknown task {t!r}; known: {', '.join(tax.tasks)}")
    df = read_table(input_path)
    if text_col not in df.columns:
        fail(f"{input_path}: no column {text_col!r} (columns: {', '.join(map(str, df.columns))})")
    df = _masked(df, text_col, keep_pii)
    if fmt == "label-studio":
        items = to_label_studio(df, text_col=text_col, id_col=id_col, tasks=task_list, predictions=not no_predictions)
        _atomic_text(output, json.dumps(items, ensure_ascii=False, indent=1))
        if config:
            _atomic_text(config, label_studio_config(task_list))
    else:
        src = df if not no_predictions else df[[c for c in df.columns if c not in tax.tasks]]
        items = to_doccano(src, text_col=text_col, id_col=id_col, tasks=task_list)
        _atomic_text(output, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items))
        if config:
            _atomic_text(config, "\n".join(doccano_label_names(task_list)) + "\n")
    click.echo(f"{len(items)} {fmt} tasks -> {output}" + (f" (config: {config})" if config else ""))


@label.command(name="import")
@click.argument("input_path", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("-o", "--output", required=True, help="Labels table (.csv, .jsonl, .parquet, .xlsx).")
@click.option("--annotator", default=None, help="Label Studio: keep only this annotator's annotations.")
@bom_option
def import_cmd(input_path: str, fmt: str, output: str, annotator: str | None) -> None:
    """Read a Label Studio JSON export or a doccano JSONL export into task columns."""
    from voc.labelling import from_doccano, from_label_studio

    _not_an_input(output, input_path)
    p = Path(input_path)
    if not p.is_file():
        fail(f"{input_path}: no such file")
    try:
        raw = p.read_text(encoding="utf-8-sig")
        df = from_label_studio(raw, annotator=annotator) if fmt == "label-studio" else from_doccano(raw)
    except (ValueError, KeyError, TypeError) as e:  # json.JSONDecodeError is a ValueError
        fail(f"{input_path}: not a {fmt} export: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    if df.empty:
        fail(f"{input_path}: no annotated items")
    _write_table(df, output)
    click.echo(f"{len(df)} labelled texts -> {output}")


@label.command()
@click.argument("tables", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--tasks", default=None, help="Comma-separated tasks (default: all present in every table).")
@click.option("--id-col", default="id", show_default=True, help="Item id column (else rows match on text).")
@click.option("--confusion", "confusion_task", default=None, help="Also print the confusion table of this task.")
@click.option("-o", "--output", default=None, help="Write the kappa table (.csv, .jsonl, ...).")
@encoding_option
@bom_option
def agreement(tables: tuple[str, ...], tasks: str | None, id_col: str, confusion_task: str | None,
              output: str | None) -> None:
    """Cohen's (two tables) or Fleiss' (three or more) kappa per task between annotators."""
    from voc.labelling import agreement as run
    from voc.labelling import confusion

    if len(tables) < 2:
        fail("agreement needs at least two annotation tables")
    if output:
        _not_an_input(output, *tables)
    frames = [read_table(t) for t in tables]
    try:
        res = run(frames, tasks=[t.strip() for t in tasks.split(",")] if tasks else None, id_col=id_col)
    except ValueError as e:
        fail(str(e))
    click.echo(f"{res['method'].iloc[0]} kappa over {int(res['n'].iloc[0])} shared items")
    click.echo(res[["task", "n", "kappa", "observed"]].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if confusion_task:
        if confusion_task not in set(res["task"]):
            fail(f"--confusion {confusion_task!r} is not one of the scored tasks")
        pairs = res.attrs["pairs"]
        click.echo(f"\nconfusion of {confusion_task} (rows: {tables[0]}, columns: {tables[1]})")
        a = pairs[f"{confusion_task}__0"].map(lambda v: ",".join(sorted(v)) if isinstance(v, list) else v)
        b = pairs[f"{confusion_task}__1"].map(lambda v: ",".join(sorted(v)) if isinstance(v, list) else v)
        click.echo(confusion(a.tolist(), b.tolist()).to_string())
    if output:
        out = res.copy()
        out["per_label"] = out["per_label"].map(lambda d: json.dumps(d, ensure_ascii=False))
        _write_table(out, output)
        click.echo(f"kappa table -> {output}")
