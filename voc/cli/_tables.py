"""Table readers and writers of the command line, and their ``--encoding`` / ``--bom`` options.

Shared by every command module of :mod:`voc.cli`; imports nothing from the other CLI modules.
"""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from voc.tables import READERS as READERS
from voc.tables import detect_encoding as detect_encoding
from voc.tables import read_frame

__all__ = [
    "BOM_KEY",
    "ENCODING_KEY",
    "READERS",
    "bom_option",
    "check_paths",
    "detect_encoding",
    "encoding_option",
    "read_table",
    "require_writer",
    "write_table",
]

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


def read_table(path: str, encoding: str | None = None) -> Any:
    """Read a table by extension (:func:`voc.tables.read_frame`); a clean one-line error on failure.

    CSV and TSV files are decoded with ``encoding``, else the ``--encoding`` option of
    the running command, else detected: UTF-8 (with or without BOM), UTF-16 with a BOM,
    then GB18030 (which covers GBK and GB2312, the usual Chinese Excel export); bytes
    that look like Big5 or Shift-JIS give an error naming the ``--encoding`` to pass.
    """
    if encoding is None:
        encoding = _context_value(ENCODING_KEY)
    try:
        return read_frame(path, encoding)
    except ValueError as e:
        _fail(str(e))


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


def check_paths(output: str, *inputs: str | None) -> None:
    """Before any work: refuse to overwrite an input, and check the output can be written."""
    from voc._write import check_output_path, refuse_input_overwrite

    try:
        refuse_input_overwrite(output, inputs)
        check_output_path(output)
    except ValueError as e:
        _fail(str(e))
    require_writer(output)
