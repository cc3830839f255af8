"""Command line: ``voc analyze``, ``train``, ``evaluate``, ``demo``, ``report``, ``serve``.

Every command reads CSV / JSONL / Parquet / Excel, writes by the output file's
extension, shows a progress bar on long work, and exits non-zero with a one-line
message on bad input (missing column, unreadable file).
"""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from voc import __version__

__all__ = ["main"]

READERS = {".csv", ".jsonl", ".json", ".parquet", ".xlsx", ".xls", ".tsv"}
#: Keys in ``click.Context.meta`` (shared by a command and its groups) set by the options below.
ENCODING_KEY = "voc.encoding"
BOM_KEY = "voc.bom"


def _fail(msg: str) -> None:
    click.echo(f"error: {msg}", err=True)
    sys.exit(2)


def _set_meta(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if key == ENCODING_KEY and value is not None:
            try:
                value = codecs.lookup(value).name
            except LookupError:
                raise click.BadParameter(f"unknown encoding {value!r} (e.g. utf-8, gb18030, big5)") from None
        if value is not None:
            ctx.meta[key] = value
        return value

    return callback


def encoding_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--encoding CODEC`` option of commands that read CSV / TSV files.

    The value is kept in ``click.Context.meta`` and used by :func:`read_table` (no
    command parameter): default, detection (UTF-8 with or without BOM, else GB18030).
    """
    return click.option(
        "--encoding", default=None, metavar="CODEC", expose_value=False,
        callback=_set_meta(ENCODING_KEY),
        help="Encoding of CSV/TSV inputs (default: UTF-8 or GB18030/GBK, detected; e.g. big5).",
    )(f)


def bom_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--bom`` flag of commands that write tables: CSV output as ``utf-8-sig``.

    The value is kept in ``click.Context.meta`` and used by :func:`write_table`.
    """
    return click.option(
        "--bom", is_flag=True, default=None, expose_value=False, callback=_set_meta(BOM_KEY),
        help="Write CSV with a UTF-8 byte order mark (Excel on Windows then shows Chinese correctly).",
    )(f)


def _context_value(key: str) -> Any:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(key) if ctx is not None else None


def _check_decodes(path: Path, codec: str) -> None:
    """Decode the whole file in 1 MB chunks (nothing kept); ``UnicodeDecodeError`` if it fails."""
    decoder = codecs.getincrementaldecoder(codec)()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            decoder.decode(chunk)
    decoder.decode(b"", final=True)


def detect_encoding(path: str | Path, encoding: str | None = None) -> str:
    """The encoding to read a CSV/TSV file with.

    ``encoding`` if given (checked), else: UTF-16 with a BOM, UTF-8 (with or without
    BOM), then GB18030 (GBK and GB2312 are subsets; the usual Excel export on Chinese
    Windows). The file is streamed, never held in memory. GB18030 that looks like Big5
    or Shift-JIS bytes (:func:`voc._input.guess_legacy_encoding` on the first 256 kB) is
    refused.

    Raises:
        ValueError: One line naming the file and the ``--encoding`` to use.
    """
    from voc._input import guess_legacy_encoding

    p = Path(path)
    if encoding is not None:
        try:
            _check_decodes(p, encoding)
        except UnicodeDecodeError as e:
            raise ValueError(f"{path}: not {encoding} ({e.reason} near byte {e.start}); check --encoding") from None
        return encoding
    with open(p, "rb") as fh:
        head = fh.read(1 << 18)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for codec in ("utf-8-sig", "gb18030"):
        try:
            _check_decodes(p, codec)
        except UnicodeDecodeError:
            continue
        if codec == "gb18030":
            sample = head if len(head) < 1 << 18 else head[: head.rfind(b"\n") + 1] or head
            guess = guess_legacy_encoding(sample)
            if guess is not None:
                hint = {"Big5": "big5", "Shift-JIS": "shift_jis"}.get(guess)
                looks = f"looks like {guess}" if hint else "does not look like UTF-8 or GB18030"
                raise ValueError(f"{path}: {looks}; pass --encoding {hint or 'CODEC'}")
        return codec
    raise ValueError(f"{path}: neither UTF-8 nor GB18030; pass --encoding (e.g. --encoding big5)")


def read_table(path: str, encoding: str | None = None) -> Any:
    """Read a table by extension; a clean one-line error on failure.

    CSV and TSV files are decoded with ``encoding``, else the ``--encoding`` option of
    the running command, else detected: UTF-8 (with or without BOM), UTF-16 with a BOM,
    then GB18030 (which covers GBK and GB2312, the usual Chinese Excel export); bytes
    that look like Big5 or Shift-JIS give an error naming the ``--encoding`` to pass.
    """
    import pandas as pd

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in READERS:
        _fail(f"{path}: unsupported file type {suffix!r} (use one of {sorted(READERS)})")
    if not p.is_file():
        _fail(f"{path}: no such file")
    if encoding is None:
        encoding = _context_value(ENCODING_KEY)
    try:
        if suffix in (".csv", ".tsv"):
            codec = detect_encoding(p, encoding)
            return pd.read_csv(p, sep="\t" if suffix == ".tsv" else ",", encoding=codec)
        if suffix in (".jsonl", ".json"):
            return pd.read_json(p, lines=suffix == ".jsonl")
        if suffix == ".parquet":
            return pd.read_parquet(p)
        return pd.read_excel(p)
    except ValueError as e:
        if str(e).startswith(f"{path}: "):  # decoding: already one line naming the fix
            _fail(str(e))
        _fail(f"{path}: could not read: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    except Exception as e:  # noqa: BLE001 - any reader failure becomes one line
        _fail(f"{path}: could not read: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")


def write_table(df: Any, path: str, *, escape_formulas: bool | None = None, bom: bool | None = None) -> None:
    """Write a table by extension (lists/dicts become JSON strings in CSV and Excel).

    The file is written atomically (a temporary file in the same folder, renamed when
    complete). In CSV and Excel, text cells that a spreadsheet would run as a formula
    (``=``, ``+``, ``-``, ``@`` ...) get a leading ``'`` unless ``escape_formulas`` is
    False; CSV rows end with CRLF so that a lone ``\\r`` inside a text is quoted; Excel
    cells lose the control characters ``.xlsx`` cannot hold (U+FFFD instead).

    Args:
        df: The table.
        path: Output file; ``.csv``, ``.jsonl``, ``.json``, ``.parquet``, ``.xlsx``.
        escape_formulas: Neutralise spreadsheet formulas in CSV/Excel text cells
            (default: True unless ``voc --keep-formulas`` was given).
        bom: Start a CSV with a UTF-8 byte-order mark (Excel on Windows then reads it
            as UTF-8); default: the ``--bom`` option of the running command.
    """
    from voc._write import atomic_write, escape_formula, excel_safe

    if escape_formulas is None:
        ctx = click.get_current_context(silent=True)
        escape_formulas = not (ctx is not None and ctx.find_root().meta.get("voc.keep_formulas", False))
    if bom is None:
        bom = bool(_context_value(BOM_KEY))
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".jsonl", ".json", ".csv", ".parquet", ".xlsx", ".xls"):
        _fail(f"{path}: unsupported output type {suffix!r}")
    if suffix in (".jsonl", ".json"):
        atomic_write(p, lambda t: df.to_json(t, orient="records", lines=suffix == ".jsonl", force_ascii=False))
        return
    require_writer(path)
    if suffix == ".parquet":
        from voc.frame import write_parquet

        # evidence / score mappings as lists of {label, ...}, not sparse structs
        atomic_write(p, lambda t: write_parquet(df, t))
        return
    flat = df.copy()
    excel = suffix in (".xlsx", ".xls")
    for col in flat.columns:
        if flat[col].dtype != object:
            continue
        if flat[col].map(lambda v: isinstance(v, (list, dict))).any():
            flat[col] = flat[col].map(lambda v: json.dumps(v, ensure_ascii=False)
                                      if isinstance(v, (list, dict)) else v)
        if escape_formulas:
            flat[col] = flat[col].map(escape_formula)
        if excel:
            flat[col] = flat[col].map(excel_safe)
    if suffix == ".csv":
        encoding = "utf-8-sig" if bom else "utf-8"
        atomic_write(p, lambda t: flat.to_csv(t, index=False, lineterminator="\r\n", encoding=encoding))
    else:
        atomic_write(p, lambda t: flat.to_excel(t, index=False))


def require_writer(path: str) -> None:
    """Fail with one line (exit code 2) when the writer of ``path``'s format is not installed."""
    from voc._extras import require

    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        require("pyarrow", "parquet", "writing .parquet")
    elif suffix in (".xlsx", ".xls"):
        require("openpyxl", "excel", "writing .xlsx")


class _LazyGroup(click.Group):
    """A group whose sub-groups live in their own modules, imported only when used."""

    lazy = {"customers": "voc.cli_customers:customers", "journey": "voc.cli_journey:journey",
            "churn": "voc.cli_churn:churn", "label": "voc.cli_label:label"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, attr = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a missing optional dependency becomes one line on stderr and exit code 2."""
        from voc._extras import MissingExtra

        try:
            return super().invoke(ctx)
        except MissingExtra as e:
            click.echo(f"error: {e}", err=True)
            ctx.exit(2)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="voc")
@click.option("--keep-formulas", is_flag=True,
              help="Write CSV/Excel text cells starting with = + - @ as they are (default: a leading ' "
                   "so that spreadsheets show them as text, not run them as formulas).")
@click.pass_context
def main(ctx: click.Context, keep_formulas: bool) -> None:
    """voc: mine Chinese voice-of-customer text."""
    ctx.meta["voc.keep_formulas"] = keep_formulas


def check_paths(output: str, *inputs: str | None) -> None:
    """Before any work: refuse to overwrite an input, and check the output can be written."""
    from voc._write import check_output_path, refuse_input_overwrite

    try:
        refuse_input_overwrite(output, inputs)
        check_output_path(output)
    except ValueError as e:
        _fail(str(e))
    require_writer(output)


@main.command()
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


@main.command()
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


@main.command()
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


@main.command()
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


@main.command()
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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port.")
@click.option("--model", default=None, help="Model directory (default: the shipped models).")
@click.option("--max-batch", default=256, show_default=True, type=click.IntRange(min=1),
              help="Most texts per POST /analyze (more: 413).")
@click.option("--max-text-chars", default=10_000, show_default=True, type=click.IntRange(min=1),
              help="Longest text in characters (single text over it: 422).")
@click.option("--max-body-bytes", default=2_000_000, show_default=True, type=click.IntRange(min=1),
              help="Largest request body in bytes (more: 413).")
def serve(host: str, port: int, model: str | None, max_batch: int, max_text_chars: int,
          max_body_bytes: int) -> None:
    """Run the HTTP service (FastAPI + uvicorn): POST /analyze, GET /health, GET /labels, /docs."""
    if model and not (Path(model) / "config.json").is_file():
        _fail(f"{model}: not a voc model directory (no config.json)")
    try:
        import uvicorn

        from voc.service import create_app
    except ImportError as e:
        from voc._extras import install_hint

        _fail(f"voc serve needs fastapi and uvicorn ({e.name} is missing): {install_hint('serve')}")
    app = create_app(max_batch=max_batch, max_text_chars=max_text_chars, max_body_bytes=max_body_bytes,
                     model=model)
    click.echo(f"voc service on http://{host}:{port} (docs: /docs); Ctrl+C to stop", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info")


if __name__ == "__main__":  # pragma: no cover
    main()
