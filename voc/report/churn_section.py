"""The churn risk and win-back section (:mod:`voc.churn`): model test scores, customers at risk,
forecast per open issue and the win-back list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from voc.plotting import ChartStyle, forecast_chart
from voc.report.customer_data import _call_quiet, _customer_feedback, _History, _lookup, _one_line
from voc.report.html import Chart, Section, _cards, _e, _fmt, _pct, _table

#: Churn horizons tried in turn (days): the first one the history is long enough for is used.
_HORIZONS = (90, 30)
_TRAIN_SNAPSHOTS = 4
_ROWS = 10


@dataclass
class _ChurnPlan:
    """Snapshots of the time-aware churn model: train on the earlier ones, test on the later one."""

    horizon: int
    train_as_of: list[pd.Timestamp]
    test_as_of: pd.Timestamp
    now: pd.Timestamp


def _churn_plan(cf: pd.DataFrame, history: _History) -> _ChurnPlan | str:
    """Pick the horizon and the snapshots from the span of the data.

    The test snapshot is one horizon before the last event (its labels are complete); the
    training snapshots are one horizon before it and then monthly earlier (their labels end
    by the test snapshot), each with at least one horizon of history before it. The first
    horizon of :data:`_HORIZONS` that fits is used.
    """
    stamps = [cf["timestamp"], history.contacts["timestamp"], history.events["timestamp"]]
    start = min(t.min() for t in stamps if len(t))
    end = max(t.max() for t in stamps if len(t))
    last_event = history.events["timestamp"].max()
    for h in _HORIZONS:
        test = (last_event - pd.Timedelta(days=h)).normalize()
        train = [test - pd.Timedelta(days=h + 30 * k) for k in range(_TRAIN_SNAPSHOTS)]
        train = sorted(t for t in train if t - pd.Timedelta(days=h) >= start)
        if train:
            return _ChurnPlan(h, train, test, end + pd.Timedelta(seconds=1))
    return (f"The history ({start:%Y-%m-%d} → {last_event:%Y-%m-%d}) is too short for a time-aware churn "
            f"model: it needs at least {3 * _HORIZONS[-1]} days (history, training labels and test labels "
            f"of a {_HORIZONS[-1]}-day horizon).")


def _timed_assignment(raw: pd.DataFrame, times: pd.Series) -> pd.DataFrame | None:
    """Issue rows with the parsed time of their feedback row (the churn features only read rows before a snapshot)."""
    if not {"customer_id", "issue_id"} <= set(raw.columns):
        return None
    a = raw.copy()
    if a.index.isin(times.index).all():
        a["timestamp"] = times.reindex(a.index)
    elif "timestamp" in a.columns:
        a["timestamp"] = pd.to_datetime(a["timestamp"], errors="coerce")
    else:
        return None
    a = a[a["customer_id"].notna() & a["timestamp"].notna()]
    return a if len(a) else None


def _churn_section(sec: Section, style: ChartStyle, *, fb: pd.DataFrame, times: pd.Series | None,
                   history: _History, profiles: pd.DataFrame | None, personas: pd.DataFrame | None,
                   found: tuple[pd.DataFrame, pd.DataFrame] | None, has_customers: bool) -> None:
    """Churn risk per customer, forecast per open issue and win-back list (:mod:`voc.churn`).

    Every step is guarded: a failing step leaves a note and the steps that do not depend
    on it still run.
    """
    sec.notes.extend(history.notes)
    if not has_customers:
        sec.notes.append("Churn risk needs a customer_id column (one customer per row of feedback).")
        return
    if times is None:
        sec.notes.append("Churn risk needs a time column to place feedback before or after a snapshot.")
        return
    if "events" not in history.given:
        sec.notes.append("No events table, so no churn to learn from: churn risk, the forecast per issue and the "
                         "win-back list need events with type=churn (build_report(events=...) or voc report "
                         "--events); a feedback file alone has none.")
        return
    n_churn = int((history.events["type"] == "churn").sum())
    if n_churn == 0:
        sec.notes.append("The events table has no type=churn row, so there is no churn to learn from.")
        return
    api = _lookup("voc.churn", "churn_features", "fit_time_split", "issue_forecast", "winback_list")
    if isinstance(api, str):
        sec.notes.append(api)
        return
    churn_features, fit_time_split, issue_forecast, winback_list = api
    cf = _customer_feedback(fb, times)
    if cf.empty:
        sec.notes.append("No analyzed row has both a customer_id and a usable time.")
        return
    issues, assignment = (found[0], _timed_assignment(found[1], times)) if found is not None else (None, None)
    plan = _churn_plan(cf, history)
    if isinstance(plan, str):
        sec.notes.append(plan)
        return
    data = {"feedback": cf, "contacts": history.contacts, "events": history.events}
    try:
        split = _call_quiet(fit_time_split, sec.notes, data, plan.train_as_of, plan.test_as_of,
                            horizon_days=plan.horizon, assignment=assignment)
    except Exception as e:  # noqa: BLE001 - an optional section must not sink the report
        sec.notes.append(f"The churn model could not be trained: {_one_line(e)}")
        return
    parts = [_evaluation_html(split, plan, sec)]
    x_now = None
    try:
        tables = (history.history,) if history.history is not None else (cf, history.contacts, history.events)
        x_now, _ = _call_quiet(churn_features, sec.notes, *tables, as_of=plan.now,
                               horizon_days=None, assignment=assignment, include_churned=True)
        active = x_now[~x_now["churned"].fillna(False).astype(bool)] if "churned" in x_now.columns else x_now
        if len(active):
            parts.append(_at_risk_html(split.model.explain(active, top=3), active, plan))
    except Exception as e:  # noqa: BLE001
        sec.notes.append(f"The churn risk of today's customers could not be computed: {_one_line(e)}")
    forecast = None
    if assignment is None or issues is None:
        sec.notes.append("No issue was found in the feedback, so there is no forecast per issue and no win-back list.")
    elif x_now is not None:
        try:
            forecast = _call_quiet(issue_forecast, sec.notes, split.model, x_now, assignment, issues)
        except Exception as e:  # noqa: BLE001
            sec.notes.append(f"The churn forecast per issue could not be computed: {_one_line(e)}")
    if forecast is not None and len(forecast):
        try:
            sec.charts.append(Chart("churn_forecast", "Expected churn per open issue if unfixed, with value at risk",
                                    forecast_chart(forecast, style)))
        except Exception as e:  # noqa: BLE001
            sec.notes.append(f"The forecast chart could not be drawn: {_one_line(e)}")
        parts.append(_forecast_html(forecast, plan))
        if profiles is None:
            sec.notes.append("The win-back list needs the customer profiles (see Personas), which are missing.")
        else:
            top_issue = forecast["issue_id"].iloc[0]
            try:
                wb = _call_quiet(winback_list, sec.notes, top_issue, assignment, profiles, personas, split.model,
                                 issues=issues, features=x_now)
                parts.append(_winback_html(wb, top_issue, forecast))
            except Exception as e:  # noqa: BLE001
                sec.notes.append(f"The win-back list could not be computed: {_one_line(e)}")
    sec.body = "".join(parts)


def _evaluation_html(split: Any, plan: _ChurnPlan, sec: Section) -> str:
    ev = split.evaluation
    kind = getattr(split.model, "kind_", None) or getattr(ev, "model", None) or "?"
    train = ", ".join(f"{t:%Y-%m-%d}" for t in plan.train_as_of)
    n_pos = int(getattr(ev, "n_positive", 0))
    if n_pos < 20:
        sec.notes.append(f"Only {n_pos} customer(s) churned in the test window: the test scores are noisy.")
    if not ev.roc_auc >= 0.7:  # also NaN (one class only)
        sec.notes.append(f"The model separates churners poorly on this data (test ROC-AUC {_fmt(ev.roc_auc, '.2f')} "
                         "< 0.70): treat the risks and the forecast as rough indications.")
    cards = [("ROC-AUC (0.5 = chance)", _fmt(ev.roc_auc, ".3f")),
             ("PR-AUC", f"{_fmt(ev.pr_auc, '.3f')} (base {_pct(ev.base_rate)})"),
             ("Brier", f"{_fmt(ev.brier, '.4f')} (base {_fmt(ev.brier_base, '.4f')})"),
             ("test customers", f"{int(getattr(ev, 'n', 0)):,}"),
             ("churned in the test window", f"{n_pos:,}")]
    return (f"<p>Churn risk = the probability of a <code>churn</code> event in the next {plan.horizon} days "
            f"(<code>voc.churn.ChurnModel</code>, chosen: <code>{_e(kind)}</code>). Time-aware: trained on the "
            f"customers active at {_e(train)} (labels: churn in the {plan.horizon} days after each date), then "
            f"tested once on the customers active at {plan.test_as_of:%Y-%m-%d} and their churn in the "
            f"{plan.horizon} days after it, which training never saw. Test scores:</p>" + _cards(cards))


def _at_risk_html(expl: pd.DataFrame, active: pd.DataFrame, plan: _ChurnPlan) -> str:
    top = expl.sort_values("churn_risk", ascending=False).head(_ROWS)
    rows = []
    for cid, r in top.iterrows():
        value = active["monetary"].get(cid) if "monetary" in active.columns else None
        status = active["problem_status"].get(cid) if "problem_status" in active.columns else None
        rows.append([_e(cid), _pct(float(r["churn_risk"])), _fmt(value, ",.0f"),
                     "–" if status is None or pd.isna(status) else _e(status), _e(r.get("explanation", ""))])
    n_high = int((expl["churn_risk"] >= 0.3).sum())
    return (f"<h3>Customers at risk now ({n_high} of {len(expl):,} active customers at 30 % or more)</h3>"
            f"<p>Risk of churning in the {plan.horizon} days after {plan.now:%Y-%m-%d}, with the features that "
            "push it up the most (model contributions).</p>"
            + _table(["customer", "risk", "value", "problem", "top contributing features"], rows, "wide"))


def _forecast_html(forecast: pd.DataFrame, plan: _ChurnPlan) -> str:
    rows = []
    for _, r in forecast.head(_ROWS).iterrows():
        rows.append([_e(r.get("issue_id", "")), _e(r.get("label", "")), _fmt(r.get("affected"), ".0f"),
                     _fmt(r.get("silent"), ".0f"), _fmt(r.get("already_churned"), ".0f"),
                     _fmt(r.get("active"), ".0f"),
                     f"{_fmt(r.get('expected_churn'))} [{_fmt(r.get('expected_churn_low'))}, "
                     f"{_fmt(r.get('expected_churn_high'))}]",
                     _fmt(r.get("expected_excess_churn"), "+.1f"), _fmt(r.get("value_at_risk"), ",.0f"),
                     _fmt(r.get("high_value_at_risk"), ".0f")])
    return (f"<h3>Churn forecast per open issue (next {plan.horizon} days if unfixed)</h3>"
            "<p>Affected customers (vocal and silent), the expected further churn among the active ones with "
            "a 95 % interval of the outcome noise (not the model's error), the excess over customers without "
            "an open issue, and the value at risk (risk × RFM monetary value). Largest value at risk first.</p>"
            + _table(["issue", "keywords", "affected", "silent", "already churned", "active", "expected churn",
                      "excess", "value at risk", "high-value at risk"], rows, "wide num"))


def _winback_html(wb: pd.DataFrame, issue_id: Any, forecast: pd.DataFrame) -> str:
    label = forecast.set_index("issue_id")["label"].get(issue_id, "") if "label" in forecast.columns else ""
    states = wb["state"].value_counts() if "state" in wb.columns else pd.Series(dtype="int64")
    rows = []
    for _, r in wb.head(_ROWS).iterrows():
        msg = f"{_e(r.get('message_zh', ''))}<br><small>{_e(r.get('message_en', ''))}</small>"
        rows.append([_e(r.get("rank", "")), _e(r.get("customer_id", "")), _e(r.get("state", "")),
                     _fmt(r.get("value"), ",.0f"), _fmt(r.get("likelihood"), ".2f"), msg])
    head = (f"<h3>Win-back list once issue {_e(issue_id)} ({_e(label)}) is fixed</h3>"
            f"<p>The issue with the largest value at risk. {len(wb):,} customers it affected churned "
            f"({int(states.get('churned', 0)):,}) or went quiet ({int(states.get('quiet', 0)):,}), ranked by "
            "value × win-back likelihood, with the suggested message per archetype and non-complaint reason "
            "(the date in the message is the end of the data; <code>voc churn winback --fixed-at</code> "
            "exports the full list).</p>")
    if not rows:
        return head
    return head + _table(["rank", "customer", "state", "value", "likelihood", "suggested message"], rows, "wide")
