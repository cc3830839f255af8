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

The group is added to the main command in :mod:`voc.cli`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial, wraps
from pathlib import Path
from typing import Any

import click

# ``X as X``: re-exported, importable from voc.cli.customers as before.
from voc.cli._io import DICT_COLUMNS as DICT_COLUMNS
from voc.cli._io import LIST_COLUMNS as LIST_COLUMNS
from voc.cli._io import WRITERS as WRITERS
from voc.cli._io import (
    Steps,
    as_of_option,
    check_date,
    check_file,
    check_output,
    fail,
    first_line,
    guard,
    headless_pyplot,
    input_options,
    output_option,
    read_feedback,
    read_optional,
    save_chart,
    write_output,
)
from voc.cli._io import decode_nested as decode_nested
from voc.cli._io import prepare_output as prepare_output
from voc.cli._tables import bom_option

__all__ = ["customers"]

#: Output formats accepted by ``synth``.
SYNTH_FORMATS = ("csv", "jsonl", "parquet", "xlsx")


# --------------------------------------------------------------------------- shared options
_input_options = partial(
    input_options, help_texts={"customers": "Optional customers: customer_id (+ signup_date, verified)."}
)


def _profile_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--silent-window-days",
        default=None,
        type=click.IntRange(min=1),
        help="Only problems in this many days before --as-of count for the silent flag "
             "(default: the whole history).",
    )(f)
    return as_of_option(f)


def _issue_options(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--n-issues",
        default=None,
        type=click.IntRange(min=2),
        help="Number of issues (default: chosen by silhouette).",
    )(f)


# --------------------------------------------------------------------------- pipeline pieces
def _feedback(path: str, model: str | None, *, need_customer: bool) -> Any:
    """Read feedback, decode nested columns and analyze it if the analysis columns are missing."""
    from voc.customers import FEEDBACK

    required = (*FEEDBACK.required, "customer_id") if need_customer else ("text",)
    return read_feedback(path, model, required)


def _history(
    feedback_path: str,
    contacts_path: str | None = None,
    events_path: str | None = None,
    customers_path: str | None = None,
    model: str | None = None,
    *,
    as_of: str | None = None,
    window: int | None = None,
    need_customer: bool = True,
) -> Any:
    """The one way in: read the tables (contacts, events, customers first, then the feedback,
    analyzed once) and check them once as a :class:`voc.History`; one-line errors."""
    from voc.history import History

    check_date(as_of)
    contacts = read_optional(contacts_path, "contacts")
    events = read_optional(events_path, "events")
    custs = read_optional(customers_path, "customers")
    feedback = _feedback(feedback_path, model, need_customer=need_customer)
    options = {} if window is None else {"silent_window_days": window}
    with guard():
        return History.from_frames(feedback, contacts, events, custs, as_of=as_of, profile_options=options)


def _on_history(*, outputs: tuple[str, ...] = (), files: tuple[str, ...] = ()) -> Callable[..., Any]:
    """Command decorator: the table and profile options become one checked :class:`voc.History`.

    The wrapped command gets ``h`` instead of ``--feedback/--contacts/--events/--customers/--model/
    --as-of/--silent-window-days``; ``-o`` and the options named in ``outputs`` / ``files`` are
    checked first, before anything is read or analyzed.
    """

    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(f)
        def command(feedback_path: str, contacts_path: str, events_path: str, customers_path: str | None,
                    model: str | None, as_of: str | None, silent_window_days: int | None, output: str,
                    **options: Any) -> Any:
            check_output(output, *(options.get(o) for o in outputs))
            for name in files:
                check_file(options.get(name))
            h = _history(feedback_path, contacts_path, events_path, customers_path, model,
                         as_of=as_of, window=silent_window_days)
            return f(h, output=output, **options)

        return command

    return deco


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
@bom_option
def synth(output: str, n_customers: int, seed: int, fmt: str, raw: bool) -> None:
    """Write a synthetic customer history (with its ground truth) to the folder -o.

    Files: customers, feedback, contacts, events (the inputs of the other
    commands) and truth, text_truth (what the generator planted: silent or not,
    issue, churn caused by the issue ...). Same seed, same files.
    """
    from voc.synthetic import generate_history

    out = Path(output)
    if out.exists() and not out.is_dir():
        fail(f"{output}: exists and is not a folder")
    with guard():
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
        write_output(h[name], str(out / f"{name}.{fmt}"))
    sizes = ", ".join(f"{len(h[n])} {n}" for n in ("customers", "feedback", "contacts", "events"))
    click.echo(f"synthetic history (seed {seed}): {sizes} -> {out}/")


@customers.command()
@_input_options()
@_profile_options
@output_option("Profiles, one row per customer (.csv, .jsonl, .parquet, .xlsx).")
@_on_history()
def profile(h: Any, output: str) -> None:
    """One row per customer: RFM, contacts, tenure, NPS, problem signals, silent flag, problem level 1-4."""
    steps = Steps(1, "profile")
    with guard(steps):
        steps("profiling")
        prof = h.profiles
    write_output(prof, output)
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
@output_option("Personas, one row per customer, tags with evidence (.jsonl keeps them nested).")
@_on_history(outputs=("segments",), files=("mapping",))
def personas(h: Any, mapping: str | None, segments: str | None, output: str) -> None:
    """Type tags and a primary archetype per customer, each with its evidence; optional segment view."""
    from voc.personas import assign_personas, segment_view

    steps = Steps(3, "personas")
    with guard(steps):
        steps("profiling")
        prof = h.profiles
        steps("personas")
        pers = assign_personas(h, mapping=mapping)
        steps("segments")
        view = segment_view(prof, pers)
    out = prof[["silent", "vocal", "problem_level"]].join(pers)
    write_output(out, output)
    if segments:
        write_output(view.archetypes, segments)
        p = Path(segments)
        write_output(view.reasons, str(p.with_name(f"{p.stem}_reasons{p.suffix}")))
    a = view.archetypes.drop(index="unassigned", errors="ignore")
    top = a[a["silent_n"] > 0].head(3)
    silent_mix = ", ".join(f"{k} {v:.0%}" for k, v in top["silent_share"].items())
    click.echo(
        f"{int(pers['primary_archetype'].notna().sum())} of {len(pers)} customers with an archetype; "
        f"among silent customers: {silent_mix or 'none'} -> {output}"
    )


@customers.command()
@_input_options(contacts=None, events=None, customers=False)
@_issue_options
@click.option(
    "--assignment",
    default=None,
    metavar="FILE",
    help="Also write which issue each negative feedback row belongs to.",
)
@output_option("Issues, one row per issue: label, keywords, examples, size (.csv, .jsonl, ...).")
def issues(
    feedback_path: str, model: str | None, n_issues: int | None, assignment: str | None, output: str
) -> None:
    """Cluster negative feedback into issues with readable labels (keywords + example texts)."""
    from voc.issues import discover_issues

    check_output(output, assignment)
    h = _history(feedback_path, model=model, need_customer=False)
    steps = Steps(1, "issues")
    with guard(steps):
        steps("clustering")
        found = discover_issues(h, n_issues)
        iss, asg = found.issues_, found.assignment_
    write_output(iss, output)
    if assignment:
        write_output(asg.rename_axis("row"), assignment)
    for r in iss.head(5).itertuples():
        click.echo(f"  issue {r.issue_id}: {r.label} ({r.size} texts)")
    import pandas as pd

    other = iss["is_other"].astype(bool) if "is_other" in iss.columns else pd.Series(False, index=iss.index)
    n_other = int(iss.loc[other, "size"].sum())
    tail = f" (+ {n_other} texts in 'other': no shared topic)" if other.any() else ""
    click.echo(f"{int((~other).sum())} issues from {len(asg)} negative texts{tail} -> {output}")


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
@output_option("Churn per issue: affected, churned, churn rates, difference with CI, customers lost.")
@_on_history()
def churn_by_issue_cmd(
    h: Any,
    n_issues: int | None,
    confidence: float,
    chart: str | None,
    output: str,
) -> None:
    """Per issue: churn of affected customers vs the others, and how many customers it cost."""
    from voc.issues import churn_by_issue, discover_issues

    steps = Steps(3, "churn")
    with guard(steps):
        steps("profiling")
        _ = h.profiles  # computed here so the step shows
        steps("issues")
        found = discover_issues(h, n_issues)
        steps("churn")
        table = churn_by_issue(h, found, confidence=confidence)
    write_output(table, output)
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
    headless_pyplot()
    from voc.issues import plot_churn_by_issue

    try:
        ax = plot_churn_by_issue(table)
    except (OSError, ValueError) as e:
        fail(f"{path}: could not draw the chart: {first_line(e)}")
    save_chart(ax, path)


@customers.command()
@_input_options()
@_profile_options
@_issue_options
@click.option("--mapping", default=None, metavar="FILE", help="Persona map CSV (default: shipped).")
@click.option("--top", default=None, type=click.IntRange(min=1), help="Keep the first N customers.")
@output_option("Ranked list: customer, priority, problem level, issue, suggested action (zh / en).")
@_on_history(files=("mapping",))
def proactive(h: Any, n_issues: int | None, mapping: str | None, top: int | None, output: str) -> None:
    """Silent customers with an open problem, ranked, with the suggested action: whom to call first."""
    from voc.issues import discover_issues, proactive_list
    from voc.personas import assign_personas

    steps = Steps(4, "proactive")
    with guard(steps):
        steps("profiling")
        _ = h.profiles  # computed here so the step shows
        steps("personas")
        pers = assign_personas(h, mapping=mapping)
        steps("issues")
        found = discover_issues(h, n_issues)
        steps("ranking")
        todo = proactive_list(h, pers, found, top=top)
    write_output(todo, output)
    click.echo(f"{len(todo)} silent customers with an open problem to contact -> {output}")
