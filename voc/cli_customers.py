"""Command line for customers, personas and issues: ``voc customers ...``.

A click group with six commands on the four tables of :mod:`voc.customers`
(feedback, contacts, events and the optional customers table)::

    voc customers synth -o demo/                       # a synthetic history to try things out
    voc customers profile   --feedback demo/feedback.csv --contacts demo/contacts.csv \\
                            --events demo/events.csv --customers demo/customers.csv -o profiles.csv
    voc customers personas  ... -o personas.jsonl --segments segments.csv
    voc customers issues    --feedback demo/feedback.csv -o issues.csv --assignment assignment.csv
    voc customers churn-by-issue ... -o churn.csv --chart churn.png
    voc customers proactive ... -o todo.xlsx --top 100

Inputs are CSV / TSV / JSONL / Parquet / Excel (read with :func:`voc.cli.read_table`);
outputs are written by the extension of ``-o`` (CSV / JSONL / Parquet / XLSX, via
:func:`voc.cli.write_table`). Nested values (tags with evidence, keyword lists)
become JSON strings in CSV, Parquet and Excel, and JSON values in JSONL. Feedback
without the analyzer's columns (``sentiment`` ...) is analyzed first, with a
progress bar from 1,000 rows on. Bad input (missing file, unreadable file,
missing column, bad dtype) ends with a one-line ``error: ...`` on stderr and exit
code 2.

The group is registered lazily in ``voc.cli._LazyGroup.lazy`` (imported only when used).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

# Module import (not ``from voc.cli import ...``): voc.cli may import this module to register
# the group, and the helpers are looked up when a command runs.
import voc.cli as _cli

__all__ = ["customers"]

#: Feedback columns that hold lists of codes (JSON lists, or ``a|b`` strings, in flat files).
LIST_COLUMNS = ("non_complaint_reasons", "behaviors", "aspects")
#: Feedback columns that hold a dict (JSON object in flat files).
DICT_COLUMNS = ("evidence",)
#: Output formats accepted by ``synth``.
SYNTH_FORMATS = ("csv", "jsonl", "parquet", "xlsx")


# --------------------------------------------------------------------------- helpers
def _fail(msg: str) -> NoReturn:
    """Print ``error: msg`` on stderr and exit with code 2 (:func:`voc.cli._fail`)."""
    _cli._fail(msg)
    raise SystemExit(2)  # pragma: no cover - _cli._fail exits


def _first_line(e: BaseException) -> str:
    """The first line of an exception message (``KeyError`` quotes stripped)."""
    msg = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
    return msg.strip().splitlines()[0] if msg.strip() else type(e).__name__


def _decode_cell(v: Any, want: type) -> Any:
    """Turn a flat-file cell back into a list or dict (JSON text, ``a|b`` text, arrays, NaN)."""
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
        if want is list:
            return [x.strip() for x in s.replace(";", "|").replace(",", "|").split("|") if x.strip()]
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
            out[col] = out[col].map(lambda v: _decode_cell(v, list)).astype(object)
    for col in DICT_COLUMNS:
        if col in out.columns:
            out[col] = out[col].map(lambda v: _decode_cell(v, dict)).astype(object)
    return out


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


WRITERS = (".csv", ".jsonl", ".json", ".parquet", ".xlsx", ".xls")


def _check_output(*paths: str | None) -> None:
    """Refuse an output path with an unsupported extension before any work is done."""
    for path in paths:
        if path is not None and Path(path).suffix.lower() not in WRITERS:
            _fail(
                f"{path}: unsupported output type {Path(path).suffix.lower()!r} "
                "(use .csv, .jsonl, .parquet or .xlsx)"
            )


def _write(df: Any, path: str) -> None:
    """Write ``df`` to ``path`` (parent folders created); one-line error on failure."""
    _check_output(path)
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        _cli.write_table(prepare_output(df, path), path)
    except (OSError, ValueError, TypeError, ImportError) as e:
        _fail(f"{path}: could not write: {type(e).__name__}: {_first_line(e)}")


def _load(path: str, table: str, required: tuple[str, ...]) -> Any:
    """Read one input table and check its required columns (one-line error naming the file)."""
    df = _cli.read_table(path)
    missing = [c for c in required if c not in df.columns]
    if missing:
        _fail(
            f"{path}: {table} table has no column(s) {', '.join(map(repr, missing))} "
            f"(columns: {', '.join(map(str, df.columns))})"
        )
    return df


class _Steps:
    """A tqdm bar over the named steps of a command (on stderr, shown only on a terminal)."""

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
def _guard(steps: _Steps | None = None) -> Iterator[None]:
    """Turn library errors into one-line exits and warnings into one-line notes on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except (ValueError, KeyError, TypeError, FileNotFoundError) as e:
            _fail(_first_line(e))
        finally:
            if steps is not None:
                steps.close()
    seen: set[str] = set()
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning, FutureWarning)):
            continue
        msg = _first_line(w.message) if isinstance(w.message, BaseException) else str(w.message)
        if msg not in seen:
            seen.add(msg)
            click.echo(f"warning: {msg}", err=True)


# --------------------------------------------------------------------------- shared options
def _input_options(*, contacts: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--feedback/--contacts/--events/--customers/--model`` options."""

    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        opts = [
            click.option(
                "--feedback",
                "feedback_path",
                required=True,
                metavar="FILE",
                help="Feedback: customer_id, channel, timestamp, text (+ analyzer columns).",
            ),
        ]
        if contacts:
            opts += [
                click.option(
                    "--contacts",
                    "contacts_path",
                    required=True,
                    metavar="FILE",
                    help="Service contacts: customer_id, channel, timestamp (+ topic, resolved).",
                ),
                click.option(
                    "--events",
                    "events_path",
                    required=True,
                    metavar="FILE",
                    help="Events: customer_id, timestamp, type (+ amount, score, detail).",
                ),
                click.option(
                    "--customers",
                    "customers_path",
                    default=None,
                    metavar="FILE",
                    help="Optional customers: customer_id (+ signup_date, verified).",
                ),
            ]
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
        return f

    return deco


def _profile_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--silent-window-days",
        default=180,
        show_default=True,
        type=click.IntRange(min=1),
        help="Problems in this many days before --as-of count for the silent flag.",
    )(f)
    return click.option(
        "--as-of",
        default=None,
        metavar="DATE",
        help="Reference date (default: the last timestamp in the data).",
    )(f)


def _issue_options(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--n-issues",
        default=None,
        type=click.IntRange(min=2),
        help="Number of issues (default: chosen by silhouette).",
    )(f)


def _output_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("-o", "--output", required=True, metavar="FILE", help=help_text)


# --------------------------------------------------------------------------- pipeline pieces
def _feedback(path: str, model: str | None, *, need_customer: bool) -> Any:
    """Read feedback, decode nested columns and analyze it if the analysis columns are missing."""
    from voc.customers import FEEDBACK

    required = (*FEEDBACK.required, "customer_id") if need_customer else ("text",)
    df = decode_nested(_load(path, "feedback", required))
    if "sentiment" not in df.columns:
        import voc

        with _guard():
            nlp = voc.load(model) if model else voc.load()
            df = voc.analyze_frame(df, text_col="text", nlp=nlp, progress=len(df) >= 1000)
    return df


def _tables(
    feedback_path: str, contacts_path: str, events_path: str, customers_path: str | None, model: str | None
) -> tuple[Any, Any, Any, Any]:
    from voc.customers import CONTACTS, CUSTOMERS, EVENTS

    contacts = _load(contacts_path, "contacts", tuple(CONTACTS.required))
    events = _load(events_path, "events", tuple(EVENTS.required))
    custs = _load(customers_path, "customers", tuple(CUSTOMERS.required)) if customers_path else None
    feedback = _feedback(feedback_path, model, need_customer=True)
    return feedback, contacts, events, custs


def _profiles(fb: Any, ct: Any, ev: Any, cu: Any, as_of: str | None, window: int) -> Any:
    from voc.customers import profile_customers

    if as_of is not None:
        import pandas as pd

        try:
            pd.Timestamp(as_of)
        except (ValueError, TypeError):
            _fail(f"--as-of: not a date: {as_of!r}")
    return profile_customers(fb, ct, ev, cu, as_of=as_of, silent_window_days=window)


# --------------------------------------------------------------------------- commands
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def customers() -> None:
    """Customers, personas and issues: silent customers, churn per issue, whom to call first.

    Every command reads the feedback / contacts / events / customers tables
    (CSV, TSV, JSONL, Parquet or Excel; schemas in docs/customers.md) and writes
    -o by its extension (.csv, .jsonl, .parquet, .xlsx). Try it with
    `synth -o demo/`, which writes a synthetic history to demo/.
    """


@customers.command()
@click.option("-o", "--output", required=True, metavar="DIR", help="Folder to write the tables to.")
@click.option("--n-customers", default=2000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--format", "fmt", type=click.Choice(SYNTH_FORMATS), default="csv", show_default=True)
@click.option(
    "--raw",
    is_flag=True,
    help="Feedback without the gold analysis columns (the other commands then run the analyzer).",
)
def synth(output: str, n_customers: int, seed: int, fmt: str, raw: bool) -> None:
    """Write a synthetic customer history (with its ground truth) to the folder -o.

    Files: customers, feedback, contacts, events (the inputs of the other
    commands) and truth, text_truth (what the generator planted: silent or not,
    issue, churn caused by the issue ...). Same seed, same files.
    """
    from voc.synthetic import generate_history

    out = Path(output)
    if out.exists() and not out.is_dir():
        _fail(f"{output}: exists and is not a folder")
    with _guard():
        h = generate_history(n_customers=n_customers, seed=seed)
    if raw:
        h["feedback"] = h["feedback"][["customer_id", "channel", "timestamp", "text"]]
    from tqdm.auto import tqdm

    for name in tqdm(
        ("customers", "feedback", "contacts", "events", "truth", "text_truth"),
        desc="writing",
        disable=None,
        leave=False,
    ):
        _write(h[name], str(out / f"{name}.{fmt}"))
    sizes = ", ".join(f"{len(h[n])} {n}" for n in ("customers", "feedback", "contacts", "events"))
    click.echo(f"synthetic history (seed {seed}): {sizes} -> {out}/")


@customers.command()
@_input_options()
@_profile_options
@_output_option("Profiles, one row per customer (.csv, .jsonl, .parquet, .xlsx).")
def profile(
    feedback_path: str,
    contacts_path: str,
    events_path: str,
    customers_path: str | None,
    model: str | None,
    as_of: str | None,
    silent_window_days: int,
    output: str,
) -> None:
    """One row per customer: RFM, contacts, tenure, NPS, problem signals, silent flag, problem level 1-4."""
    _check_output(output)
    fb, ct, ev, cu = _tables(feedback_path, contacts_path, events_path, customers_path, model)
    steps = _Steps(1, "profile")
    with _guard(steps):
        steps("profiling")
        prof = _profiles(fb, ct, ev, cu, as_of, silent_window_days)
    _write(prof, output)
    levels = prof["problem_level"].value_counts().sort_index().to_dict()
    click.echo(
        f"{len(prof)} customers: {int(prof['has_problem'].sum())} with a problem, "
        f"{int(prof['silent'].sum())} silent, {int(prof['vocal'].sum())} vocal; "
        f"problem levels {json.dumps({int(k): int(v) for k, v in levels.items()})} -> {output}"
    )


@customers.command()
@_input_options()
@_profile_options
@click.option(
    "--mapping",
    default=None,
    metavar="FILE",
    help="Persona map CSV (signal,type_tags,archetypes,weight,description); default: shipped.",
)
@click.option(
    "--segments",
    default=None,
    metavar="FILE",
    help="Also write the segment view: archetypes among silent vs vocal customers to FILE, "
    "non-complaint reasons to FILE with a '_reasons' suffix.",
)
@_output_option("Personas, one row per customer, tags with evidence (.jsonl keeps them nested).")
def personas(
    feedback_path: str,
    contacts_path: str,
    events_path: str,
    customers_path: str | None,
    model: str | None,
    as_of: str | None,
    silent_window_days: int,
    mapping: str | None,
    segments: str | None,
    output: str,
) -> None:
    """Type tags and a primary archetype per customer, each with its evidence; optional segment view."""
    from voc.personas import assign_personas, segment_view

    _check_output(output, segments)
    if mapping is not None and not Path(mapping).is_file():
        _fail(f"{mapping}: no such file")
    fb, ct, ev, cu = _tables(feedback_path, contacts_path, events_path, customers_path, model)
    steps = _Steps(3, "personas")
    with _guard(steps):
        steps("profiling")
        prof = _profiles(fb, ct, ev, cu, as_of, silent_window_days)
        steps("personas")
        pers = assign_personas(prof, fb, ev, mapping=mapping)
        steps("segments")
        view = segment_view(prof, pers)
    out = prof[["silent", "vocal", "problem_level"]].join(pers)
    _write(out, output)
    if segments:
        _write(view.archetypes, segments)
        p = Path(segments)
        _write(view.reasons, str(p.with_name(f"{p.stem}_reasons{p.suffix}")))
    a = view.archetypes.drop(index="unassigned", errors="ignore")
    top = a[a["silent_n"] > 0].head(3)
    silent_mix = ", ".join(f"{k} {v:.0%}" for k, v in top["silent_share"].items())
    click.echo(
        f"{int(pers['primary_archetype'].notna().sum())} of {len(pers)} customers with an archetype; "
        f"among silent customers: {silent_mix or 'none'} -> {output}"
    )


@customers.command()
@_input_options(contacts=False)
@_issue_options
@click.option(
    "--assignment",
    default=None,
    metavar="FILE",
    help="Also write which issue each negative feedback row belongs to.",
)
@_output_option("Issues, one row per issue: label, keywords, examples, size (.csv, .jsonl, ...).")
def issues(
    feedback_path: str, model: str | None, n_issues: int | None, assignment: str | None, output: str
) -> None:
    """Cluster negative feedback into issues with readable labels (keywords + example texts)."""
    from voc.issues import discover_issues

    _check_output(output, assignment)
    fb = _feedback(feedback_path, model, need_customer=False)
    steps = _Steps(1, "issues")
    with _guard(steps):
        steps("clustering")
        iss, asg = discover_issues(fb, n_issues)
    _write(iss, output)
    if assignment:
        _write(asg.rename_axis("row"), assignment)
    for r in iss.head(5).itertuples():
        click.echo(f"  issue {r.issue_id}: {r.label} ({r.size} texts)")
    click.echo(f"{len(iss)} issues from {len(asg)} negative texts -> {output}")


@customers.command("churn-by-issue")
@_input_options()
@_profile_options
@_issue_options
@click.option(
    "--confidence",
    default=0.95,
    show_default=True,
    type=click.FloatRange(0.5, 0.999),
    help="Confidence level of the intervals.",
)
@click.option(
    "--chart", default=None, metavar="PNG", help="Also draw the table as a bar chart (PNG, SVG, PDF)."
)
@_output_option("Churn per issue: affected, churned, churn rates, difference with CI, customers lost.")
def churn_by_issue_cmd(
    feedback_path: str,
    contacts_path: str,
    events_path: str,
    customers_path: str | None,
    model: str | None,
    as_of: str | None,
    silent_window_days: int,
    n_issues: int | None,
    confidence: float,
    chart: str | None,
    output: str,
) -> None:
    """Per issue: churn of affected customers vs the others, and how many customers it cost."""
    from voc.issues import churn_by_issue, discover_issues

    _check_output(output)
    fb, ct, ev, cu = _tables(feedback_path, contacts_path, events_path, customers_path, model)
    steps = _Steps(3, "churn")
    with _guard(steps):
        steps("profiling")
        prof = _profiles(fb, ct, ev, cu, as_of, silent_window_days)
        steps("issues")
        iss, asg = discover_issues(fb, n_issues)
        steps("churn")
        table = churn_by_issue(asg, prof, issues=iss, confidence=confidence)
    _write(table, output)
    if chart:
        _draw_churn_chart(table, chart)
    sig = table[table["significant"] & (table["diff"] > 0)]
    lost = float(sig["excess_churned"].sum())
    click.echo(
        f"{len(table)} issues, {len(sig)} with significantly higher churn "
        f"(~{lost:.0f} customers lost to them) -> {output}"
    )


def _draw_churn_chart(table: Any, path: str) -> None:
    """Save :func:`voc.issues.plot_churn_by_issue` to ``path`` (headless)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        _fail("--chart needs matplotlib: pip install matplotlib")
    from voc.issues import plot_churn_by_issue

    try:
        ax = plot_churn_by_issue(table)
        ax.figure.tight_layout()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        ax.figure.savefig(path, dpi=120)
        plt.close(ax.figure)
    except (OSError, ValueError) as e:
        _fail(f"{path}: could not draw the chart: {_first_line(e)}")


@customers.command()
@_input_options()
@_profile_options
@_issue_options
@click.option("--mapping", default=None, metavar="FILE", help="Persona map CSV (default: shipped).")
@click.option("--top", default=None, type=click.IntRange(min=1), help="Keep the first N customers.")
@_output_option("Ranked list: customer, priority, problem level, issue, suggested action (zh / en).")
def proactive(
    feedback_path: str,
    contacts_path: str,
    events_path: str,
    customers_path: str | None,
    model: str | None,
    as_of: str | None,
    silent_window_days: int,
    n_issues: int | None,
    mapping: str | None,
    top: int | None,
    output: str,
) -> None:
    """Silent customers with an open problem, ranked, with the suggested action: whom to call first."""
    from voc.issues import discover_issues, proactive_list
    from voc.personas import assign_personas

    _check_output(output)
    if mapping is not None and not Path(mapping).is_file():
        _fail(f"{mapping}: no such file")
    fb, ct, ev, cu = _tables(feedback_path, contacts_path, events_path, customers_path, model)
    steps = _Steps(4, "proactive")
    with _guard(steps):
        steps("profiling")
        prof = _profiles(fb, ct, ev, cu, as_of, silent_window_days)
        steps("personas")
        pers = assign_personas(prof, fb, ev, mapping=mapping)
        steps("issues")
        iss, asg = discover_issues(fb, n_issues)
        steps("ranking")
        todo = proactive_list(prof, pers, asg, issues=iss, top=top)
    _write(todo, output)
    click.echo(f"{len(todo)} silent customers with an open problem to contact -> {output}")
