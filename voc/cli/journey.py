"""Command line for journeys, demands, routing, repair, solutions and compensation: ``voc journey ...``.

A click group with six commands on the four tables of :mod:`voc.customers`
(feedback, contacts, events and the optional customers table; schemas in
docs/customers.md and docs/journey.md)::

    voc customers synth -o demo/                        # a synthetic history to try things out
    voc journey funnel --feedback demo/feedback.csv --contacts demo/contacts.csv \\
                       --events demo/events.csv -o funnel.csv --paths paths.csv --curve curve.csv
    voc journey queue  --feedback demo/feedback.csv --contacts demo/contacts.csv \\
                       --events demo/events.csv -o queue.jsonl --common common.csv --top 200
    voc journey alerts --feedback demo/feedback.csv --events demo/events.csv -o alerts.csv
    voc journey route  --feedback demo/feedback.csv --contacts demo/contacts.csv -o tickets.csv
    voc journey solutions new_cases.csv -o solutions.csv           # bundled sample solution table
    voc journey compensation --feedback ... --contacts ... --events ... -o decisions.csv

Inputs are CSV / TSV / JSONL / Parquet / Excel (``solutions`` also reads a .txt
file, one text per line); outputs are written by the extension of ``-o`` (CSV /
JSONL / Parquet / XLSX). Nested values (queue sources, evidence, urgency parts)
become JSON text in CSV and JSON values in JSONL. Feedback without the analyzer's
columns is analyzed first. Bad input ends with a one-line ``error: ...`` on
stderr and exit code 2.

The group is added to the main command in :mod:`voc.cli`.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import click

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
    load_table,
    output_option,
    read_feedback,
    read_optional,
    save_chart,
    write_output,
)
from voc.cli._tables import encoding_option, read_table

__all__ = ["journey"]


# --------------------------------------------------------------------------- helpers
#: ``--feedback`` (required) and ``--contacts/--events/--customers/--model`` (see :func:`input_options`).
_inputs = partial(input_options, explicit_default=True)
#: Results keep DataFrames in ``attrs`` that the writers do not need.
_write = partial(write_output, drop_attrs=True)


def _feedback(path: str, model: str | None, *, need_customer: bool = True) -> Any:
    """Read feedback (required columns checked, rows required), decode nested columns, analyze when needed."""
    from voc.customers import FEEDBACK

    required = (*FEEDBACK.required, "customer_id") if need_customer else tuple(FEEDBACK.required)
    return read_feedback(path, model, required, require_rows=True)


def _check_issue_col(feedback_path: str, fb: Any, issue_col: str | None) -> None:
    """One-line error when ``--issue-col`` names no column of the feedback."""
    if issue_col and issue_col not in fb.columns:
        fail(
            f"{feedback_path}: no column {issue_col!r} for --issue-col (columns: {', '.join(map(str, fb.columns))})"
        )


# --------------------------------------------------------------------------- group
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def journey() -> None:
    """Journeys, demands, routing, the repair queue, solutions and compensation (seeds 001-003).

    Every command reads the feedback / contacts / events / customers tables
    (CSV, TSV, JSONL, Parquet or Excel; schemas in docs/customers.md) and writes
    -o by its extension (.csv, .jsonl, .parquet, .xlsx). Try them on
    `voc customers synth -o demo/`.
    """


@journey.command()
@_inputs()
@as_of_option
@click.option(
    "--paths", "paths_out", default=None, metavar="FILE", help="Also write the path of each customer."
)
@click.option(
    "--curve", "curve_out", default=None, metavar="FILE", help="Also write the emotion curve table."
)
@click.option("--chart", default=None, metavar="PNG", help="Also draw the emotion curve (PNG, SVG, PDF).")
@output_option("The funnel: customers per path (solved first time, recurred, escalated, churned ...).")
def funnel(
    feedback_path: str,
    contacts_path: str,
    events_path: str,
    customers_path: str | None,
    model: str | None,
    as_of: str | None,
    paths_out: str | None,
    curve_out: str | None,
    chart: str | None,
    output: str,
) -> None:
    """The funnel of journey paths (counts of customers per path), the paths and the emotion curve."""
    from voc.journey import emotion_curve, journey_funnel, journey_paths, plot_emotion_curve

    check_output(output, paths_out, curve_out)
    check_date(as_of)
    ct, ev = read_optional(contacts_path, "contacts"), read_optional(events_path, "events")
    cu = read_optional(customers_path, "customers")
    fb = _feedback(feedback_path, model)
    steps = Steps(3, "funnel")
    with guard(steps):
        steps("paths")
        paths = journey_paths(fb, ct, ev, cu, as_of=as_of)
        steps("funnel")
        table = journey_funnel(paths)
        curve = emotion_curve(fb) if (curve_out or chart) else None
    _write(table, output)
    if paths_out:
        _write(paths, paths_out)
    if curve_out:
        _write(curve, curve_out)
    if chart:
        headless_pyplot()
        with guard():
            ax = plot_emotion_curve(curve)
        save_chart(ax, chart)
    st = table.attrs["stages"]
    mix = ", ".join(f"{p} {n}" for p, n in table["n_customers"].items() if n)
    click.echo(
        f"{st['had_problem']} customers with a problem, {st['contacted_service']} contacted service, "
        f"{st['solved']} solved ({st['solved_first_contact']} in one contact); paths: {mix or 'none'} -> {output}"
    )


@journey.command()
@_inputs(contacts=False, events=False)
@as_of_option
@click.option(
    "--issue-col", default=None, help="Feedback / contacts column naming the issue (same issue key)."
)
@click.option(
    "--discover-issues",
    "discover",
    is_flag=True,
    help="Cluster the negative texts into issues (voc.issues) and use them as the issue key.",
)
@click.option("--open-only", is_flag=True, help="Leave out resolved items (only the work to do).")
@click.option("--top", default=None, type=click.IntRange(min=1), help="Keep the first N items.")
@click.option("--common", default=None, metavar="FILE", help="Also write the common-issue summary.")
@output_option("The queue, one item per customer and issue, by priority (.jsonl keeps sources nested).")
def queue(
    feedback_path: str,
    contacts_path: str | None,
    events_path: str | None,
    customers_path: str | None,
    model: str | None,
    as_of: str | None,
    issue_col: str | None,
    discover: bool,
    open_only: bool,
    top: int | None,
    common: str | None,
    output: str,
) -> None:
    """The centralized repair queue: dissatisfied customers of every channel, merged and ranked.

    Rows without customer_id are linked by order number, masked phone or nickname
    plus issue similarity; every item keeps links to all its source rows, the
    evidence, a priority and a repair suggestion adapted to the temperament.
    """
    from voc.repair import build_repair_queue, common_issues

    check_output(output, common)
    check_date(as_of)
    if issue_col and discover:
        fail("use either --issue-col or --discover-issues, not both")
    ct, ev = read_optional(contacts_path, "contacts"), read_optional(events_path, "events")
    cu = read_optional(customers_path, "customers")
    fb = _feedback(feedback_path, model, need_customer=False)
    _check_issue_col(feedback_path, fb, issue_col)
    steps = Steps(3 if discover else 2, "queue")
    with guard(steps):
        assignment = None
        if discover:
            from voc.issues import discover_issues

            steps("issues")
            _, assignment = discover_issues(fb)
        steps("queue")
        q = build_repair_queue(
            fb,
            ct,
            ev,
            cu,
            issue_col=issue_col,
            assignment=assignment,
            as_of=as_of,
            include_resolved=not open_only,
        )
        steps("common issues")
        summary = common_issues(q) if common else None
    n_all = len(q)
    status = q["status"].value_counts().to_dict() if n_all else {}
    fuzzy = int((q["identity"] == "fuzzy").sum()) if n_all else 0
    if top:
        q = q.head(top)
    _write(q, output)
    if common:
        _write(summary, common)
    n_rows = int(q["n_sources"].sum()) if len(q) else 0
    click.echo(
        f"{n_all} queue items ({json.dumps(status)}; {fuzzy} with fuzzy identity), "
        f"{len(q)} written with {n_rows} source rows -> {output}"
    )


@journey.command()
@_inputs(contacts=None, events=False, customers=False)
@as_of_option
@click.option(
    "--progression", default=None, metavar="FILE", help="Also write the complaint-stage path per customer."
)
@output_option("Alerts: customer, time, alert kind, from / to stage, source row, evidence.")
def alerts(
    feedback_path: str,
    events_path: str | None,
    model: str | None,
    as_of: str | None,
    progression: str | None,
    output: str,
) -> None:
    """Complaint-stage progression alerts (潜在抱怨 → 显在抱怨 → 潜在投诉 → 投诉) and dissatisfaction behaviours."""
    from voc.repair import complaint_progression, dissatisfaction_alerts

    check_output(output, progression)
    check_date(as_of)
    ev = read_optional(events_path, "events")
    fb = _feedback(feedback_path, model)
    steps = Steps(2, "alerts")
    with guard(steps):
        steps("alerts")
        al = dissatisfaction_alerts(fb, ev, as_of=as_of)
        steps("progression")
        prog = complaint_progression(fb) if progression else None
    _write(al, output)
    if progression:
        _write(prog, progression)
    kinds = al["alert"].value_counts().to_dict() if len(al) else {}
    n_cust = al["customer_id"].nunique() if len(al) else 0
    click.echo(f"{len(al)} alerts for {n_cust} customers ({json.dumps(kinds)}) -> {output}")


@journey.command()
@_inputs(contacts=False, events=None)
@click.option(
    "--rules",
    default=None,
    metavar="FILE",
    help="Routing rule table (CSV); default voc/data/routing_rules.csv.",
)
@click.option("--issue-col", default=None, help="Feedback column naming the issue of a ticket.")
@click.option(
    "--all-channels",
    is_flag=True,
    help="Score every text, also chat / hotline transcripts (default: informal channels only).",
)
@output_option("Tickets with routed channel, queue, rule and explanation.")
def route(
    feedback_path: str,
    contacts_path: str | None,
    customers_path: str | None,
    model: str | None,
    rules: str | None,
    issue_col: str | None,
    all_channels: bool,
    output: str,
) -> None:
    """Informal texts with a demand (诉求) → tickets with urgency, routed by the rule table with explanations."""
    from voc.demands import detect_demands, to_tickets
    from voc.routing import preferred_channels
    from voc.routing import route as route_tickets

    check_output(output)
    check_file(rules)
    ct, cu = read_optional(contacts_path, "contacts"), read_optional(customers_path, "customers")
    fb = _feedback(feedback_path, model)
    _check_issue_col(feedback_path, fb, issue_col)
    steps = Steps(3, "route")
    with guard(steps):
        steps("demands")
        demands = detect_demands(fb, ct, informal_only=not all_channels)
        steps("tickets")
        tickets = to_tickets(demands, issue_col=issue_col)
        steps("routing")
        routed = route_tickets(tickets, rules, preferred=preferred_channels(ct, cu))
    _write(routed, output)
    queues = routed["queue"].value_counts().to_dict() if len(routed) else {}
    click.echo(
        f"{len(routed)} tickets from {len(fb)} texts; queues {json.dumps(queues, ensure_ascii=False)} -> {output}"
    )


def _read_queries(path: str, text_col: str) -> Any:
    """Texts to recommend for: a .txt file (one per line) or a table with ``text_col`` (or queue items)."""
    import pandas as pd

    p = Path(path)
    if p.suffix.lower() == ".txt":
        if not p.is_file():
            fail(f"{path}: no such file")
        try:
            lines = [s.strip() for s in p.read_text(encoding="utf-8").splitlines()]
        except (OSError, UnicodeDecodeError) as e:
            fail(f"{path}: could not read: {type(e).__name__}: {first_line(e)}")
        return pd.DataFrame({text_col: [s for s in lines if s]})
    df = read_table(path)
    if text_col not in df.columns and not ({"evidence", "summary"} & set(df.columns)):
        fail(f"{path}: no column {text_col!r} (columns: {', '.join(map(str, df.columns))})")
    return df


@journey.command()
@click.argument("input_path", type=click.Path(dir_okay=False))
@click.option("--text-col", default="text", show_default=True, help="Column with the case texts.")
@click.option(
    "--solutions",
    "solutions_path",
    default=None,
    metavar="FILE",
    help="Solution table: case_text, solution, contacts_to_close / first_contact_resolution "
    "(default: the bundled sample, unless --contacts is given).",
)
@click.option(
    "--contacts",
    "contacts_path",
    default=None,
    metavar="FILE",
    help="Contacts with a resolution note (resolved cases); case texts from their text column or --feedback.",
)
@click.option(
    "--feedback",
    "feedback_path",
    default=None,
    metavar="FILE",
    help="Feedback for the case texts of --contacts.",
)
@click.option(
    "--resolution-col", default="resolution", show_default=True, help="Resolution column of --contacts."
)
@click.option("--top", default=3, show_default=True, type=click.IntRange(min=1), help="Solutions per text.")
@click.option(
    "-k",
    "--k",
    "k",
    default=20,
    show_default=True,
    type=click.IntRange(min=1),
    help="Similar cases per text.",
)
@click.option(
    "--min-similarity",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Smallest cosine for a case to count.",
)
@output_option("Recommendations: text, rank, solution, one-contact score, evidence cases, explanation.")
@encoding_option
def solutions(
    input_path: str,
    text_col: str,
    solutions_path: str | None,
    contacts_path: str | None,
    feedback_path: str | None,
    resolution_col: str,
    top: int,
    k: int,
    min_similarity: float,
    output: str,
) -> None:
    """Recommend solutions for the texts of INPUT_PATH from the most similar resolved cases.

    INPUT_PATH is a table with a text column (or a repair queue written by
    `voc journey queue`), or a .txt file with one text per line. Solutions are
    ranked by how often they closed similar cases in one contact.
    """
    from voc.solutions import recommend_solutions

    check_output(output)
    if feedback_path and not contacts_path:
        fail("--feedback is only used with --contacts (case texts of resolved contacts)")
    queries = _read_queries(input_path, text_col)
    sol = read_table(solutions_path) if solutions_path else None
    ct = read_table(contacts_path) if contacts_path else None
    fb = read_table(feedback_path) if feedback_path else None
    steps = Steps(1, "solutions")
    with guard(steps):
        steps("recommending")
        rec = recommend_solutions(
            queries,
            sol,
            contacts=ct,
            feedback=fb,
            resolution_col=resolution_col,
            top=top,
            k=k,
            min_similarity=min_similarity,
            text_col=text_col,
        )
    _write(rec, output)
    n_q = rec["query_id"].nunique()
    none = int(rec["rank"].isna().sum())
    click.echo(
        f"solutions for {n_q} cases ({none} without a similar resolved case) "
        f"from {rec.attrs.get('n_cases', '?')} resolved cases -> {output}"
    )


@journey.command()
@_inputs()
@as_of_option
@click.option(
    "--table",
    default=None,
    metavar="FILE",
    help="Compensation table (CSV); default voc/data/compensation_table.csv.",
)
@click.option(
    "--cases",
    "cases_path",
    default=None,
    metavar="FILE",
    help="Case events (case_id, timestamp, step [, customer_id]): acceptance history and rates.",
)
@click.option(
    "--rates", default=None, metavar="FILE", help="Also write acceptance rates per group (needs --cases)."
)
@click.option(
    "--by",
    type=click.Choice(["kind", "flow", "path"]),
    default="flow",
    show_default=True,
    help="Grouping of --rates.",
)
@output_option("Per customer with a problem: grades, compensate or not, amount band, rule, note.")
def compensation(
    feedback_path: str,
    contacts_path: str,
    events_path: str,
    customers_path: str | None,
    model: str | None,
    as_of: str | None,
    table: str | None,
    cases_path: str | None,
    rates: str | None,
    by: str,
    output: str,
) -> None:
    """Compensate or not, and the amount band, per customer with a problem (value, level, mood, history)."""
    from voc.compensation import acceptance_rates, compensation_inputs, recommend_compensation, track_cases

    check_output(output, rates)
    check_date(as_of)
    if rates and not cases_path:
        fail("--rates needs --cases (the case events to follow)")
    check_file(table)
    ct, ev = read_optional(contacts_path, "contacts"), read_optional(events_path, "events")
    cu = read_optional(customers_path, "customers")
    case_events = (
        load_table(cases_path, "case events", ("case_id", "timestamp", "step")) if cases_path else None
    )
    fb = _feedback(feedback_path, model)
    steps = Steps(3, "compensation")
    with guard(steps):
        steps("profiling")
        from voc.customers import profile_customers

        prof = profile_customers(fb, ct, ev, cu, as_of=as_of)
        steps("cases")
        cases = track_cases(case_events) if case_events is not None else None
        steps("decisions")
        dec = recommend_compensation(compensation_inputs(prof, fb, cases), table)
        rate_table = acceptance_rates(cases, by=by) if (rates and cases is not None and len(cases)) else None
    _write(dec, output)
    if rates:
        if rate_table is None:
            fail(f"{cases_path}: no case to compute rates from")
        _write(rate_table, rates)
    n_yes = int(dec["compensate"].sum()) if len(dec) else 0
    low, high = (float(dec["amount_low"].sum()), float(dec["amount_high"].sum())) if len(dec) else (0.0, 0.0)
    click.echo(
        f"{len(dec)} customers with a problem: {n_yes} to compensate (total {low:.0f}-{high:.0f}) -> {output}"
    )
