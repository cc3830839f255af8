"""Command line for churn risk, per-issue forecasts and win-back lists: ``voc churn ...``.

A click group with four commands on the four tables of :mod:`voc.customers`
(feedback, contacts, events and the optional customers table)::

    voc churn train    --feedback fb.csv --contacts ct.csv --events ev.csv [--customers cu.csv] \\
                       --as-of 2024-03-15 --as-of 2024-04-15 [--test-as-of 2024-08-15] -o churn_model/
    voc churn score    --model churn_model/ --feedback ... [--as-of 2024-12-31] -o scores.csv
    voc churn forecast --model churn_model/ --feedback ... -o forecast.csv --chart forecast.png
    voc churn winback  --issue 2 --feedback ... [--fixed-at 2024-12-31] -o winback.csv

Inputs are CSV / TSV / JSONL / Parquet / Excel (:func:`voc.cli.read_table`);
outputs are written by the extension of ``-o`` (:func:`voc.cli.write_table`).
``--assignment`` is a table with ``customer_id``, ``issue_id`` and optionally
``timestamp`` (and ``--issues`` one with ``issue_id`` and ``label``); without
it, ``forecast`` and ``winback`` discover the issues in the feedback
(:func:`voc.issues.discover_issues`, ``--n-issues``), and ``winback`` adds the
silent customers found through events (:func:`voc.issues.who_else`). Bad input
ends with a one-line ``error: ...`` on stderr and exit code 2.

The group is added to the main command in :mod:`voc.cli`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from voc.cli._io import clean_errors as _clean_errors
from voc.cli._io import decode_nested, headless_pyplot, input_options, save_chart
from voc.cli._io import fail as _fail
from voc.cli._io import first_line as _first_line
from voc.cli._tables import bom_option, read_table, write_table

__all__ = ["churn"]


# --------------------------------------------------------------------------- helpers
def _read_feedback(path: str) -> Any:
    """Read feedback as is (no column check, no analysis), with its nested columns decoded."""
    return decode_nested(read_table(path))


def _read_inputs(feedback: str, contacts: str, events: str, customers: str | None) -> dict[str, Any]:
    return {
        "feedback": _read_feedback(feedback),
        "contacts": read_table(contacts),
        "events": read_table(events),
        "customers": read_table(customers) if customers else None,
    }


def _read_assignment(path: str | None) -> Any:
    if path is None:
        return None
    a = read_table(path)
    missing = [c for c in ("customer_id", "issue_id") if c not in a.columns]
    if missing:
        _fail(f"{path}: assignment has no column(s) {missing} (expected customer_id, issue_id[, timestamp])")
    if "row" in a.columns:
        a = a.set_index("row")
    return a


def _date(value: str | None, name: str) -> Any:
    import pandas as pd

    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        _fail(f"{name}: not a date: {value!r} (use e.g. 2024-08-15)")
    if ts is pd.NaT:
        _fail(f"{name}: not a date: {value!r}")
    return ts


def _latest(data: dict[str, Any]) -> Any:
    """Just after the latest timestamp of the inputs (so that every row is 'before as_of')."""
    import pandas as pd

    from voc.customers import validate_contacts, validate_events, validate_feedback

    stamps = []
    for key, fn in (("feedback", validate_feedback), ("contacts", validate_contacts), ("events", validate_events)):
        s = fn(data[key])["timestamp"]
        if s.notna().any():
            stamps.append(s.max())
    if not stamps:
        raise ValueError("the inputs have no valid timestamp")
    return max(stamps) + pd.Timedelta(seconds=1)


def _load_model(path: str) -> Any:
    from voc.churn import ChurnModel

    if not Path(path).is_dir():
        _fail(f"{path}: no such model directory")
    try:
        return ChurnModel.from_disk(path)
    except ValueError as e:
        _fail(_first_line(e))


#: The four input tables as options.
_inputs = input_options(
    model=False,
    metavar=None,
    help_texts={
        "feedback": "Feedback table (analyzed or not).",
        "contacts": "Contacts table.",
        "events": "Events table.",
        "customers": "Customers table (optional).",
    },
)


def _discover(feedback: Any, n_issues: int | None, before: Any) -> tuple[Any, Any, Any]:
    from voc.issues import discover_issues

    fb = feedback
    if before is not None:
        from voc.customers import validate_feedback

        ts = validate_feedback(fb)["timestamp"]
        fb = fb[(ts < before).to_numpy()]
    return discover_issues(fb, n_issues=n_issues, return_model=True)


def _issues_from(path: str | None) -> Any:
    if path is None:
        return None
    t = read_table(path)
    if "issue_id" not in t.columns:
        _fail(f"{path}: issues table has no column 'issue_id'")
    return t


# --------------------------------------------------------------------------- commands
@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def churn() -> None:
    """Churn risk, per-issue churn forecast and win-back lists (seed 004)."""


@churn.command()
@_inputs
@click.option("--assignment", "assignment_path", default=None,
              help="Issue assignment (customer_id, issue_id[, timestamp]) for the issue-exposure features.")
@click.option("--as-of", "as_of", multiple=True, required=True,
              help="Training snapshot date; repeat for several (stacked) snapshots.")
@click.option("--test-as-of", default=None, help="Later snapshot to evaluate on (time-aware split).")
@click.option("--horizon", default=90.0, show_default=True, type=click.FloatRange(min=1), help="Days.")
@click.option("--model", "kind", type=click.Choice(["auto", "logistic", "gbm"]), default="auto", show_default=True)
@click.option("-o", "--output", required=True, help="Model directory to write.")
@click.option("--metrics-out", default=None, help="Write the test metrics (and calibration) as JSON.")
def train(feedback_path: str, contacts_path: str, events_path: str, customers_path: str | None,
          assignment_path: str | None, as_of: tuple[str, ...], test_as_of: str | None, horizon: float,
          kind: str, output: str, metrics_out: str | None) -> None:
    """Train a churn-risk model on snapshots of your history and save it (JSON + safetensors)."""
    import pandas as pd

    from voc.churn import ChurnModel, fit_time_split, snapshots

    data = _read_inputs(feedback_path, contacts_path, events_path, customers_path)
    assignment = _read_assignment(assignment_path)
    times = [_date(t, "--as-of") for t in as_of]
    test = _date(test_as_of, "--test-as-of")
    with _clean_errors():
        end = _latest(data)
        if test is None:
            if max(times) + pd.Timedelta(days=horizon) > end:
                raise ValueError(
                    f"--as-of {max(times).date()} + {horizon:g} days is after the end of the data "
                    f"({end.date()}): the labels would be incomplete; use an earlier --as-of"
                )
            X, y = snapshots(data["feedback"], data["contacts"], data["events"], data["customers"],
                             as_of=times, horizon_days=horizon, assignment=assignment)
            model = ChurnModel(model=kind, horizon_days=horizon).fit(X, y)
            model.metadata_ = {"train_as_of": [str(t) for t in times], "horizon_days": horizon}
            result = None
        else:
            split = fit_time_split({**data, "assignment": assignment}, times, test, horizon_days=horizon, model=kind)
            model, result = split.model, split.evaluation
        model.to_disk(output)
    msg = f"churn model ({model.kind_}) -> {output}"
    if model.validation_scores_:
        msg += " · validation ROC-AUC " + ", ".join(f"{k} {v:.3f}" for k, v in model.validation_scores_.items())
    click.echo(msg)
    if result is not None:
        click.echo(
            f"test {test.date()}: ROC-AUC {result.roc_auc:.3f} · PR-AUC {result.pr_auc:.3f} · "
            f"Brier {result.brier:.4f} (base rate {result.base_rate:.3f}, {result.n_positive}/{result.n} churned)"
        )
        if metrics_out:
            Path(metrics_out).write_text(json.dumps(result.to_dict(), indent=1, default=str), encoding="utf-8")


@churn.command()
@click.option("--model", "model_path", required=True, help="Model directory (from `voc churn train`).")
@_inputs
@click.option("--assignment", "assignment_path", default=None, help="Issue assignment (as used in training).")
@click.option("--as-of", default=None, help="Snapshot date (default: just after the latest timestamp).")
@click.option("--top", default=3, show_default=True, type=click.IntRange(min=0), help="Features explained per customer.")
@click.option("-o", "--output", required=True, help="Output table (.csv, .jsonl, .parquet, .xlsx).")
@bom_option
def score(model_path: str, feedback_path: str, contacts_path: str, events_path: str, customers_path: str | None,
          assignment_path: str | None, as_of: str | None, top: int, output: str) -> None:
    """Churn risk of every active customer with the features behind it."""
    from voc.churn import churn_features

    model = _load_model(model_path)
    data = _read_inputs(feedback_path, contacts_path, events_path, customers_path)
    assignment = _read_assignment(assignment_path)
    at = _date(as_of, "--as-of")
    with _clean_errors():
        at = at if at is not None else _latest(data)
        X, _ = churn_features(data["feedback"], data["contacts"], data["events"], data["customers"],
                              as_of=at, horizon_days=None, assignment=assignment)
        out = model.explain(X, top=top).drop(columns=["top_features"])
        out.insert(1, "monetary", X["monetary"])
        out.insert(2, "silent", X["silent"].astype(bool))
        out = out.sort_values("churn_risk", ascending=False).reset_index()
    write_table(out, output)
    click.echo(f"{len(out)} customers scored at {at} -> {output} (mean risk {out['churn_risk'].mean():.3f})")


@churn.command()
@click.option("--model", "model_path", required=True, help="Model directory (from `voc churn train`).")
@_inputs
@click.option("--assignment", "assignment_path", default=None, help="Issue assignment (default: discover issues).")
@click.option("--issues", "issues_path", default=None, help="Issues table with issue_id, label.")
@click.option("--n-issues", default=None, type=click.IntRange(min=2), help="Issues to discover (default: chosen).")
@click.option("--open-issue", "open_issue", multiple=True, type=int, help="An open issue id (repeat; default all).")
@click.option("--as-of", default=None, help="Snapshot date (default: just after the latest timestamp).")
@click.option("--horizon", default=None, type=click.FloatRange(min=1), help="Days (default: the model's).")
@click.option("-o", "--output", required=True, help="Output table.")
@click.option("--chart", default=None, help="Also draw the forecast to this image (.png, .svg, .pdf).")
@bom_option
def forecast(model_path: str, feedback_path: str, contacts_path: str, events_path: str, customers_path: str | None,
             assignment_path: str | None, issues_path: str | None, n_issues: int | None,
             open_issue: tuple[int, ...], as_of: str | None, horizon: float | None, output: str,
             chart: str | None) -> None:
    """Per open issue: affected customers, expected further churn if unfixed, value at risk."""
    from voc.churn import churn_features, issue_forecast, plot_issue_forecast

    model = _load_model(model_path)
    data = _read_inputs(feedback_path, contacts_path, events_path, customers_path)
    assignment = _read_assignment(assignment_path)
    issues = _issues_from(issues_path)
    at = _date(as_of, "--as-of")
    with _clean_errors():
        at = at if at is not None else _latest(data)
        if assignment is None:
            issues, assignment, _ = _discover(data["feedback"], n_issues, at)
        opened = list(open_issue) or None
        X, _ = churn_features(data["feedback"], data["contacts"], data["events"], data["customers"],
                              as_of=at, horizon_days=None, assignment=assignment, open_issues=opened,
                              include_churned=True)
        table = issue_forecast(model, X, assignment, issues, horizon_days=horizon, open_issues=opened)
    write_table(table, output)
    if chart:
        headless_pyplot()
        save_chart(plot_issue_forecast(table), chart)
    click.echo(
        f"{len(table)} open issues -> {output}: expected churn {table['expected_churn'].sum():.1f}, "
        f"value at risk {table['value_at_risk'].sum():,.0f} over {table.attrs['horizon_days']:g} days"
    )


@churn.command()
@click.option("--issue", "issue_id", required=True, type=int, multiple=True, help="The fixed issue id (repeatable).")
@_inputs
@click.option("--assignment", "assignment_path", default=None, help="Issue assignment (default: discover issues).")
@click.option("--issues", "issues_path", default=None, help="Issues table with issue_id, label.")
@click.option("--n-issues", default=None, type=click.IntRange(min=2), help="Issues to discover (default: chosen).")
@click.option("--who-else/--no-who-else", default=True, show_default=True,
              help="Add customers found through events (only when issues are discovered here).")
@click.option("--fixed-at", default=None, help="When the issue was fixed (default: the latest timestamp).")
@click.option("--model", "model_path", default=None, help="Churn model, to rank quiet customers by risk.")
@click.option("--quiet-days", default=60.0, show_default=True, type=click.FloatRange(min=1))
@click.option("--top", default=None, type=click.IntRange(min=1), help="Keep the first N customers.")
@click.option("-o", "--output", required=True, help="Output table.")
@bom_option
def winback(issue_id: tuple[int, ...], feedback_path: str, contacts_path: str, events_path: str,
            customers_path: str | None, assignment_path: str | None, issues_path: str | None,
            n_issues: int | None, who_else: bool, fixed_at: str | None, model_path: str | None,
            quiet_days: float, top: int | None, output: str) -> None:
    """Customers a fixed issue drove away (churned or quiet), ranked, with the message to send."""
    import pandas as pd

    from voc.churn import churn_features, winback_list
    from voc.customers import profile_customers
    from voc.issues import who_else as find_others
    from voc.personas import assign_personas

    model = _load_model(model_path) if model_path else None
    data = _read_inputs(feedback_path, contacts_path, events_path, customers_path)
    assignment = _read_assignment(assignment_path)
    issues = _issues_from(issues_path)
    fixed = _date(fixed_at, "--fixed-at")
    with _clean_errors():
        fb = data["feedback"]
        prof = profile_customers(fb, data["contacts"], data["events"], data["customers"])
        pers = assign_personas(prof, fb, data["events"])
        if assignment is None:
            issues, assignment, issue_model = _discover(fb, n_issues, None)
            known = set(assignment["issue_id"])
            bad = [i for i in issue_id if i not in known]
            if bad:
                raise ValueError(f"--issue {bad}: no such issue (discovered ids {sorted(known)})")
            if who_else:
                extra = [
                    find_others(i, fb, prof, data["events"], assignment=assignment, model=issue_model).as_assignment(i)
                    for i in issue_id
                ]
                assignment = pd.concat([assignment.reset_index(drop=True), *extra], ignore_index=True)
        elif not set(issue_id) & set(assignment["issue_id"]):
            raise ValueError(f"--issue {list(issue_id)}: not in the assignment")
        features = None
        if model is not None:  # full features (the raw-table ones too) for the quiet customers' risk
            features, _ = churn_features(fb, data["contacts"], data["events"], data["customers"],
                                         as_of=_latest(data), horizon_days=None, assignment=assignment)
        out = winback_list(list(issue_id), assignment, prof, pers, model, fixed_at=fixed, issues=issues,
                           features=features, quiet_days=quiet_days, top=top)
    write_table(out, output)
    n_ch = int((out["state"] == "churned").sum())
    click.echo(f"{len(out)} customers to win back ({n_ch} churned, {len(out) - n_ch} quiet) -> {output}")
