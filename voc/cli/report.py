"""``voc report``: the offline HTML report of a feedback table."""

from __future__ import annotations

from pathlib import Path

import click

from voc.cli._tables import _fail, check_paths, encoding_option, read_table

__all__ = ["report"]


@click.command()
@click.argument("input_path", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default="report.html", show_default=True, help="HTML file to write.")
@click.option("--text-col", default="text", show_default=True, help="Column with the texts.")
@click.option("--time-col", default="timestamp", show_default=True,
              help="Column with timestamps (sentiment over time).")
@click.option("--png-dir", default=None, help="Folder for the chart PNGs (default: <output stem>_charts/).")
@click.option("--model", default=None, help="Model directory (default: the shipped models).")
@click.option("--contacts", default=None, type=click.Path(dir_okay=False),
              help="Service contacts table (customer_id, channel, timestamp) for the customer profiles.")
@click.option("--events", default=None, type=click.Path(dir_okay=False),
              help="Events table (customer_id, timestamp, type; type=churn rows) for churn per issue, "
                   "churn risk and win-back.")
@encoding_option
@click.pass_context
def report(ctx: click.Context, input_path: str, output: str, text_col: str, time_col: str,
           png_dir: str | None, model: str | None, contacts: str | None, events: str | None) -> None:
    """Write a self-contained offline HTML report of INPUT_PATH (raw or already analyzed feedback).

    Charts: sentiment over time, emotion mix, top intents and aspects, non-complaint
    reasons with example texts, complaint stages, personas and issues (when the data has
    customer_id); each chart is also saved as a PNG. With --events (and optionally
    --contacts) of the same customers, the report adds churn per issue and a churn risk
    and win-back section: a time-aware churn model, the forecast per open issue and the
    win-back list of the issue with the largest value at risk.
    """
    import voc
    from voc.report import build_report

    check_paths(output, input_path, contacts, events)
    df = read_table(input_path)
    if text_col not in df.columns:
        _fail(f"{input_path}: no column {text_col!r} (columns: {', '.join(map(str, df.columns))})")
    explicit = ctx.get_parameter_source("time_col") is not click.core.ParameterSource.DEFAULT
    if explicit and time_col not in df.columns:
        _fail(f"{input_path}: no column {time_col!r} (columns: {', '.join(map(str, df.columns))})")
    if df.empty:
        _fail(f"{input_path}: no rows")
    if model and not (Path(model) / "config.json").is_file():
        _fail(f"{model}: not a voc model directory (no config.json)")
    history = {name: read_table(path) for name, path in (("contacts", contacts), ("events", events)) if path}
    nlp = voc.load(model) if model else None
    try:
        path = build_report(df, output, text_col=text_col, time_col=time_col, nlp=nlp, png_dir=png_dir,
                            source=input_path, **history)
    except (KeyError, ValueError, TypeError, OSError) as e:
        _fail(f"{input_path}: {str(e).strip(chr(39)) or type(e).__name__}")
    charts = Path(png_dir) if png_dir else path.with_name(path.stem + "_charts")
    click.echo(f"report of {len(df)} rows -> {path} (charts: {charts}/)")
