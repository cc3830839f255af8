"""``voc analyze``, ``train``, ``evaluate`` and ``demo``: the text analyzer on a table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from voc.cli._tables import _fail, bom_option, check_paths, encoding_option, read_table, write_table

__all__ = ["analyze", "demo", "evaluate", "train"]


@click.command()
@click.argument("input_path", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, help="Output file (.csv, .jsonl, .parquet, .xlsx).")
@click.option("--text-col", default="text", show_default=True, help="Column with the texts.")
@click.option("--model", default=None, help="Model directory (default: the shipped models).")
@click.option("--batch-size", default=256, show_default=True)
@encoding_option
@bom_option
def analyze(input_path: str, output: str, text_col: str, model: str | None, batch_size: int) -> None:
    """Analyze every text of INPUT_PATH and write the table with result columns."""
    import voc

    check_paths(output, input_path)
    if Path(output).suffix.lower() not in (".jsonl", ".json", ".csv", ".parquet", ".xlsx", ".xls"):
        _fail(f"{output}: unsupported output type {Path(output).suffix.lower()!r} "
              "(use .csv, .jsonl, .parquet or .xlsx)")
    df = read_table(input_path)
    if text_col not in df.columns:
        _fail(f"{input_path}: no column {text_col!r} (columns: {', '.join(map(str, df.columns))})")
    nlp = voc.load(model) if model else voc.load()
    out = voc.analyze_frame(df, text_col=text_col, nlp=nlp, batch_size=batch_size, progress=len(df) >= 1000)
    write_table(out, output)
    n_err = int(out["error"].notna().sum()) if "error" in out.columns else 0
    click.echo(f"analyzed {len(out)} rows ({n_err} flagged with an error) -> {output}")


@click.command()
@click.argument("task")
@click.argument("data")
@click.option("-o", "--output", required=True, help="Model directory to write.")
@click.option("--backend", type=click.Choice(["sklearn", "transformers"]), default="sklearn", show_default=True)
@click.option("--model-name-or-path", default=None, help="Local encoder checkpoint (transformers backend).")
@click.option("--text-col", default="text", show_default=True)
@click.option("--label-col", default=None, help="Label column (default: TASK, else 'label').")
@click.option("--epochs", default=3, show_default=True, help="Epochs (transformers backend).")
def train(task: str, data: str, output: str, backend: str, model_name_or_path: str | None, text_col: str,
          label_col: str | None, epochs: int) -> None:
    """Train TASK on DATA (a corpus name such as voc_zh, or a file) and save a full analyzer to -o."""
    import voc

    params: dict[str, Any] = {}
    if backend == "transformers":
        if not model_name_or_path:
            _fail("--model-name-or-path is required with --backend transformers")
        params.update(model_name_or_path=model_name_or_path, epochs=epochs)
    try:
        comp = voc.train(task, data, backend=backend, text_col=text_col, label_col=label_col, **params)
    except (ValueError, KeyError, FileNotFoundError, TypeError) as e:
        _fail(str(e))
    nlp = voc.load()
    nlp.replace(task, comp)
    nlp.to_disk(output)
    click.echo(f"trained {task} ({backend}) -> {output}")


@click.command()
@click.argument("data")
@click.option("--model", default=None, help="Model directory (default: the shipped models).")
@click.option("--task", default=None, help="Only this task.")
@click.option("--split", default="test", show_default=True, help="Corpus split to evaluate on.")
@click.option("--json-out", default=None, help="Write the full report as JSON.")
def evaluate(data: str, model: str | None, task: str | None, split: str, json_out: str | None) -> None:
    """Evaluate a model on DATA (corpus name or file): macro-F1 per task and per-label scores."""
    import voc

    if json_out:
        check_paths(json_out, data)
    nlp = voc.load(model) if model else voc.load()
    try:
        report = voc.evaluate(nlp, data, task=task, split=split)
    except (ValueError, KeyError, FileNotFoundError) as e:
        _fail(str(e))
    for t, r in report.items():
        click.echo(f"{t:22s} macro-F1 {r['macro_f1']:.3f}  (n={r['n']})")
    if json_out:
        from voc._write import atomic_write

        text = json.dumps(report, ensure_ascii=False, indent=1)
        atomic_write(json_out, lambda t: t.write_text(text, encoding="utf-8"))


@click.command()
@click.option("-o", "--output", default="voc_demo_output.csv", show_default=True)
@bom_option
def demo(output: str) -> None:
    """Analyze the bundled sample feedback and print a summary."""
    from importlib.resources import files

    check_paths(output)
    import pandas as pd

    import voc

    path = files("voc") / "data" / "sample_feedback.csv"
    df = pd.read_csv(str(path))
    out = voc.analyze_frame(df)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 28)
    cols = ["text", "sentiment", "emotion", "intent", "non_complaint_reasons", "complaint_stage"]
    click.echo(out[cols].to_string(index=False))
    click.echo("\nsentiment: " + json.dumps(out["sentiment"].value_counts().to_dict(), ensure_ascii=False))
    reasons = out["non_complaint_reasons"].explode().dropna().value_counts().to_dict()
    click.echo("why customers did not complain: " + json.dumps(reasons, ensure_ascii=False))
    write_table(out, output)
    click.echo(f"full results -> {output}")
