"""Input, output and error helpers shared by the ``voc customers / journey / churn`` command groups.

Private to :mod:`voc.cli.customers`, :mod:`voc.cli.journey` and :mod:`voc.cli.churn`:

* reading the feedback / contacts / events / customers tables (required columns
  checked, nested JSON-list columns decoded, feedback analyzed when needed);
* writing result tables by the extension of ``-o`` (nested cells made JSON-safe);
* the shared click option decorators (inputs, ``--as-of``, ``-o``);
* one-line errors (``error: ...`` on stderr, exit code 2) and warnings, and a
  progress bar over the named steps of a command.

The table readers and writers come from :mod:`voc.cli._tables`; nothing here imports
:mod:`voc.cli` itself or a command module, so there is no import cycle.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from voc.cli import _tables
from voc.results import MULTI_TASKS

__all__ = [
    "DICT_COLUMNS",
    "INPUT_HELP",
    "LIST_COLUMNS",
    "WRITERS",
    "Steps",
    "as_of_option",
    "check_date",
    "check_file",
    "check_output",
    "clean_errors",
    "decode_cell",
    "decode_nested",
    "fail",
    "first_line",
    "guard",
    "headless_pyplot",
    "input_options",
    "load_table",
    "output_option",
    "prepare_output",
    "read_feedback",
    "read_optional",
    "save_chart",
    "write_output",
]

#: Feedback columns that hold lists of codes (JSON lists, or ``a|b`` strings, in flat files).
LIST_COLUMNS = MULTI_TASKS
#: Feedback columns that hold a dict (JSON object in flat files).
DICT_COLUMNS = ("evidence",)
#: Output extensions :func:`write_output` accepts.
WRITERS = (".csv", ".jsonl", ".json", ".parquet", ".xlsx", ".xls")
#: Help texts of the input options (``--feedback``, ``--contacts``, ``--events``, ``--customers``).
INPUT_HELP: Mapping[str, str] = {
    "feedback": "Feedback: customer_id, channel, timestamp, text (+ analyzer columns).",
    "contacts": "Service contacts: customer_id, channel, timestamp (+ topic, resolved).",
    "events": "Events: customer_id, timestamp, type (+ amount, score, detail).",
    "customers": "Optional customers: customer_id (+ phone, nickname, preferred_channel).",
}

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


# --------------------------------------------------------------------------- errors
def fail(msg: str) -> NoReturn:
    """Print ``error: msg`` on stderr and exit with code 2 (:func:`voc.cli._fail`).

    Args:
        msg: The one-line message.

    Raises:
        SystemExit: Always, with code 2.
    """
    _tables._fail(msg)
    raise SystemExit(2)  # pragma: no cover - _tables._fail exits


def first_line(e: BaseException) -> str:
    """The first line of an exception message (``KeyError`` quotes stripped).

    Args:
        e: The exception.

    Returns:
        Its first non-empty message line, or the exception's type name.
    """
    msg = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
    return msg.strip().splitlines()[0] if msg.strip() else type(e).__name__


class Steps:
    """A tqdm bar over the named steps of a command (on stderr, shown only on a terminal).

    Args:
        total: Number of steps.
        desc: Name of the command, shown before the current step.
    """

    def __init__(self, total: int, desc: str) -> None:
        from tqdm.auto import tqdm

        self.desc = desc
        self.started = False
        self.bar = tqdm(total=total, desc=desc, unit="step", disable=None, leave=False)

    def __call__(self, name: str) -> None:
        """Start step ``name``; the previous step counts as done."""
        if self.started:
            self.bar.update(1)
        self.started = True
        self.bar.set_description(f"{self.desc}: {name}")

    def close(self) -> None:
        """Remove the bar."""
        self.bar.close()


@contextmanager
def guard(steps: Steps | None = None) -> Iterator[None]:
    """Turn library errors into one-line exits and warnings into one-line notes on stderr.

    ``ValueError``, ``KeyError``, ``TypeError`` and ``FileNotFoundError`` end with
    ``error: <first line>``; other warnings than deprecations are printed once each
    after the block.

    Args:
        steps: A progress bar to close when the block ends.

    Yields:
        Nothing.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except (ValueError, KeyError, TypeError, FileNotFoundError) as e:
            fail(first_line(e))
        finally:
            if steps is not None:
                steps.close()
    seen: set[str] = set()
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning, FutureWarning)):
            continue
        msg = first_line(w.message) if isinstance(w.message, BaseException) else str(w.message)
        if msg not in seen:
            seen.add(msg)
            click.echo(f"warning: {msg}", err=True)


@contextmanager
def clean_errors() -> Iterator[None]:
    """Turn data errors into ``error: <one line>`` and exit code 2; warnings go to stderr on one line.

    Unlike :func:`guard`, ``ImportError`` and ``OSError`` are caught too, and only
    ``UserWarning`` / ``RuntimeWarning`` are printed (also when the block fails).

    Yields:
        Nothing.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except (ValueError, KeyError, TypeError, ImportError, OSError) as e:
            _tables._fail(first_line(e))
        finally:
            seen = set()
            for w in caught:
                line = first_line(Exception(str(w.message)))
                if issubclass(w.category, (UserWarning, RuntimeWarning)) and line not in seen:
                    seen.add(line)
                    click.echo(f"warning: {line}", err=True)


def check_file(path: str | None) -> None:
    """Exit with ``error: PATH: no such file`` unless ``path`` is ``None`` or an existing file.

    Args:
        path: An optional input file.
    """
    if path is not None and not Path(path).is_file():
        fail(f"{path}: no such file")


def check_date(as_of: str | None) -> None:
    """Exit with a one-line error when ``--as-of`` is given and is not a date.

    Args:
        as_of: The option value, or ``None``.
    """
    if as_of is None:
        return
    import pandas as pd

    try:
        pd.Timestamp(as_of)
    except (ValueError, TypeError):
        fail(f"--as-of: not a date: {as_of!r}")


# --------------------------------------------------------------------------- reading
def decode_cell(v: Any, want: type) -> Any:
    """Turn a flat-file cell back into a list or dict (JSON text, ``a|b`` text, arrays, NaN).

    Args:
        v: The cell.
        want: ``list`` or ``dict``.

    Returns:
        A value of type ``want`` (empty when the cell cannot be decoded).
    """
    if want is list:
        from voc.schema import parse_list

        return v if isinstance(v, list) else parse_list(v)  # the one list-cell parser
    if isinstance(v, want):
        return v
    if hasattr(v, "tolist") and not isinstance(v, str):  # numpy arrays from Parquet
        v = v.tolist()
        return v if isinstance(v, want) else want()
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return want()
    if isinstance(v, str):
        s = v.strip()
        if not s:
            return want()
        if s[0] in "[{":
            try:
                out = json.loads(s)
            except ValueError:
                out = None
            if isinstance(out, want):
                return out
    return want()


def decode_nested(df: Any) -> Any:
    """Restore the list and dict columns of analyzed feedback read from a flat file.

    CSV and Excel store ``non_complaint_reasons``, ``behaviors``, ``aspects`` and
    ``evidence`` as JSON text (what :func:`voc.cli.write_table` writes); Parquet
    returns arrays. The customer functions expect Python lists and dicts.

    Args:
        df: A feedback DataFrame.

    Returns:
        A copy with those columns decoded (other columns untouched).
    """
    out = df.copy()
    for col in LIST_COLUMNS:
        if col in out.columns:
            out[col] = out[col].map(lambda v: decode_cell(v, list)).astype(object)
    for col in DICT_COLUMNS:
        if col in out.columns:
            out[col] = out[col].map(lambda v: decode_cell(v, dict)).astype(object)
    return out


def load_table(path: str, table: str, required: tuple[str, ...]) -> Any:
    """Read one input table and check its required columns (one-line error naming the file).

    Args:
        path: The file (CSV, TSV, JSONL, Parquet or Excel).
        table: Name of the table in the error message (``"contacts"`` ...).
        required: Columns it must have.

    Returns:
        The DataFrame.
    """
    df = _tables.read_table(path)
    missing = [c for c in required if c not in df.columns]
    if missing:
        fail(
            f"{path}: {table} table has no column(s) {', '.join(map(repr, missing))} "
            f"(columns: {', '.join(map(str, df.columns))})"
        )
    return df


def read_optional(path: str | None, table: str) -> Any:
    """Read a contacts / events / customers table with its schema's required columns.

    Args:
        path: The file, or ``None`` when the option was not given.
        table: ``"contacts"``, ``"events"`` or ``"customers"``.

    Returns:
        The DataFrame, or ``None`` when ``path`` is ``None``.
    """
    if path is None:
        return None
    from voc.customers import CONTACTS, CUSTOMERS, EVENTS

    schema = {"contacts": CONTACTS, "events": EVENTS, "customers": CUSTOMERS}[table]
    return load_table(path, table, tuple(schema.required))


def read_feedback(path: str, model: str | None, required: tuple[str, ...], *, require_rows: bool = False) -> Any:
    """Read feedback, decode nested columns and analyze it if the analysis columns are missing.

    Args:
        path: The feedback file.
        model: Analyzer directory for unanalyzed feedback (``None``: the shipped models).
        required: Columns the file must have.
        require_rows: Exit with a one-line error when the table has no rows.

    Returns:
        The analyzed feedback DataFrame.
    """
    df = decode_nested(load_table(path, "feedback", required))
    if require_rows and df.empty:
        fail(f"{path}: feedback table has no rows")
    if "sentiment" not in df.columns:
        import voc

        with guard():
            nlp = voc.load(model) if model else voc.load()
            df = voc.analyze_frame(df, text_col="text", nlp=nlp, progress=len(df) >= 1000)
    elif "text" in df.columns:  # analyzed elsewhere: mask the texts this command may write out
        from voc.frame import mask_column

        df["text"] = mask_column(df["text"])
    return df


# --------------------------------------------------------------------------- writing
def _jsonable(v: Any) -> Any:
    """A JSON-safe copy of a nested value (timestamps as ISO text, numpy scalars as numbers)."""
    import pandas as pd

    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):  # numpy arrays and scalars
        return _jsonable(v.tolist())
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


def _is_nested(v: Any) -> bool:
    """Whether a cell holds a list, dict, tuple, set or array."""
    return isinstance(v, (list, dict, tuple, set)) or (hasattr(v, "ndim") and getattr(v, "ndim", 0) >= 1)


def prepare_output(df: Any, path: str) -> Any:
    """Make a result table writable by :func:`voc.cli.write_table` for the extension of ``path``.

    The index is made a column when it is named (``customer_id``). Nested cells
    become JSON-safe values for JSON/JSONL and JSON text elsewhere (Parquet and
    Excel cannot hold lists of dicts with varying keys). For JSON/JSONL,
    datetimes become ISO 8601 text instead of epoch milliseconds.

    Args:
        df: The table.
        path: The output path.

    Returns:
        A new DataFrame.
    """
    import pandas as pd

    named = df.index.name is not None and df.index.name not in df.columns
    out = df.reset_index() if named else df.reset_index(drop=True)
    as_json = Path(path).suffix.lower() in (".jsonl", ".json")
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            if as_json:
                out[col] = s.map(lambda t: None if pd.isna(t) else t.isoformat()).astype(object)
            continue
        if s.dtype != object or not s.map(_is_nested).any():
            continue
        if as_json:
            out[col] = s.map(lambda v: _jsonable(v) if _is_nested(v) else v)
        else:
            out[col] = s.map(lambda v: json.dumps(_jsonable(v), ensure_ascii=False) if _is_nested(v) else v)
    return out


def check_output(*paths: str | None) -> None:
    """Before any work: refuse an unsupported extension, an output that is an input file
    (any ``*_path`` parameter of the running command), or a folder that cannot be written.

    Args:
        *paths: Output paths (``None`` for options not given).
    """
    from voc._write import check_output_path, refuse_input_overwrite

    ctx = click.get_current_context(silent=True)
    inputs = [v for k, v in (ctx.params.items() if ctx is not None else ())
              if isinstance(v, str) and k.endswith("_path")]
    for path in paths:
        if path is None:
            continue
        if Path(path).suffix.lower() not in WRITERS:
            fail(
                f"{path}: unsupported output type {Path(path).suffix.lower()!r} "
                "(use .csv, .jsonl, .parquet or .xlsx)"
            )
        try:
            refuse_input_overwrite(path, inputs)
            check_output_path(path)
        except ValueError as e:
            fail(str(e))
        _tables.require_writer(path)


def write_output(df: Any, path: str, *, drop_attrs: bool = False) -> None:
    """Write ``df`` to ``path`` (parent folders created); one-line error on failure.

    Args:
        df: The table (see :func:`prepare_output`).
        path: The output file; its extension chooses the format.
        drop_attrs: Write a shallow copy without ``attrs`` (they may hold
            DataFrames the writers do not need).
    """
    if drop_attrs:
        df = df.copy(deep=False)
        df.attrs = {}
    check_output(path)
    try:
        _tables.write_table(prepare_output(df, path), path)
    except (OSError, ValueError, TypeError, ImportError) as e:
        fail(f"{path}: could not write: {type(e).__name__}: {first_line(e)}")


def headless_pyplot() -> Any:
    """:func:`voc.plotting.headless_pyplot`, with a one-line error when matplotlib is not installed.

    Returns:
        The pyplot module.
    """
    from voc._extras import MissingExtra
    from voc.plotting import headless_pyplot as pyplot

    try:
        return pyplot()
    except MissingExtra:
        fail("--chart needs matplotlib: pip install matplotlib")


def save_chart(ax: Any, path: str) -> None:
    """Save the figure of ``ax`` to ``path`` (headless); one-line error on failure.

    Args:
        ax: A matplotlib Axes.
        path: The image file (PNG, SVG, PDF); parent folders are created.
    """
    from voc.plotting import save_figure

    try:
        save_figure(ax, path)
    except (OSError, ValueError) as e:
        fail(f"{path}: could not draw the chart: {first_line(e)}")


# --------------------------------------------------------------------------- options
def _table_option(name: str, required: bool, help_text: str, metavar: str | None, *, none_default: bool) -> Decorator:
    """The ``--NAME`` option of one input table (parameter ``NAME_path``)."""
    kwargs: dict[str, Any] = {"required": required}
    if none_default:
        kwargs["default"] = None
    if metavar is not None:
        kwargs["metavar"] = metavar
    return click.option(f"--{name}", f"{name}_path", help=help_text, **kwargs)


def input_options(
    *,
    contacts: bool | None = True,
    events: bool | None = True,
    customers: bool = True,
    model: bool = True,
    help_texts: Mapping[str, str] | None = None,
    metavar: str | None = "FILE",
    explicit_default: bool = False,
) -> Decorator:
    """``--feedback`` (required) and ``--contacts/--events/--customers/--model``.

    Args:
        contacts: ``True`` required, ``False`` optional (``" Optional."`` added to
            its help), ``None`` not offered.
        events: As ``contacts``.
        customers: Offer the (always optional) ``--customers`` option.
        model: Offer ``--model`` (analyzer for feedback without analysis columns).
        help_texts: Help per table name, overriding :data:`INPUT_HELP`.
        metavar: Metavar of the file options (``None``: click's default).
        explicit_default: Give ``--contacts`` / ``--events`` an explicit ``None``
            default also when they are required (optional ones always have it).

    Returns:
        A decorator adding the options, in the order above.
    """
    helps = {**INPUT_HELP, **(help_texts or {})}

    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        opts = [_table_option("feedback", True, helps["feedback"], metavar, none_default=False)]
        for name, want in (("contacts", contacts), ("events", events)):
            if want is not None:
                help_text = helps[name] + ("" if want else " Optional.")
                opts.append(
                    _table_option(name, want, help_text, metavar, none_default=explicit_default or not want)
                )
        if customers:
            opts.append(_table_option("customers", False, helps["customers"], metavar, none_default=True))
        if model:
            opts.append(
                click.option(
                    "--model",
                    default=None,
                    metavar="DIR",
                    help="Analyzer for feedback without analysis columns (default: shipped models).",
                )
            )
        for opt in reversed(opts):
            f = opt(f)
        return _tables.encoding_option(f)  # --encoding of CSV/TSV inputs (read_table uses it)

    return deco


def as_of_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--as-of DATE`` option (reference date, default: the last timestamp in the data)."""
    return click.option(
        "--as-of",
        default=None,
        metavar="DATE",
        help="Reference date (default: the last timestamp in the data).",
    )(f)


def output_option(help_text: str) -> Decorator:
    """The required ``-o/--output FILE`` option, and ``--bom`` (CSV written as ``utf-8-sig``).

    Args:
        help_text: Its help text.

    Returns:
        The option decorator.
    """
    option = click.option("-o", "--output", required=True, metavar="FILE", help=help_text)
    return lambda f: option(_tables.bom_option(f))
