"""Churn-risk features per customer at a snapshot, and the churn label over a horizon.

Everything here reads only rows strictly before ``as_of`` (see :func:`churn_features`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from voc.customers import (
    ERROR_COL,
    ensure_analyzed,
    profile_customers,
    validate_contacts,
    validate_customers,
    validate_events,
    validate_feedback,
)
from voc.history import History
from voc.personas import _REASON_CODES
from voc.schema import as_timestamp

#: Non-complaint reason codes (seed 000) turned into ``reason_<code>`` counts (those of :mod:`voc.personas`).
REASON_CODES: tuple[str, ...] = _REASON_CODES
#: Complaint stages (seed 003) counted per customer (``stage_<code>``); ``none`` is left out.
STAGE_CODES: tuple[str, ...] = ("latent_grumble", "explicit_grumble", "latent_complaint", "complaint")
#: Negative emotions flagged for the customer's latest text (``last_emotion_<code>``).
NEGATIVE_EMOTIONS: tuple[str, ...] = ("anger", "anxiety", "disappointment", "impatience", "resignation")
#: Days a "days since" feature is capped at (also its value when the thing never happened).
CAP_DAYS = 365.0

#: Model features, in column order. Everything is a number; see :func:`churn_features`.
FEATURES: tuple[str, ...] = (
    # RFM and activity
    "recency_days",
    "log_frequency",
    "log_monetary",
    "orders_90d",
    "order_trend",
    # tenure
    "tenure_days",
    "is_new",
    # contacts
    "contacts_per_year",
    "contacts_in_window",
    "days_since_contact",
    "contacts_since_problem",
    # NPS
    "has_nps",
    "nps",
    "n_low_nps",
    # problems
    "has_problem",
    "n_problem_signals",
    "n_problem_signals_window",
    "days_since_problem",
    "recent_problem",
    "n_negative_texts",
    "n_returns",
    "n_cancels",
    "n_self_service_fail",
    "n_episodes",
    "recurring",
    "problem_level",
    "problem_unsolved",
    "silent",
    "vocal",
    "silent_unsolved",
    # text signals
    "n_feedback",
    "sentiment_mean",
    "sentiment_trend",
    *(f"last_emotion_{e}" for e in NEGATIVE_EMOTIONS),
    *(f"stage_{s}" for s in STAGE_CODES),
    *(f"reason_{r}" for r in REASON_CODES),
    # open issues
    "n_issues",
    "issue_exposed",
    "days_since_issue",
    "issue_churn_lift",
)
#: Columns :func:`churn_features` adds for reports (not model inputs).
INFO_COLUMNS: tuple[str, ...] = ("monetary", "frequency", "last_order", "problem_status", "top_reason")


# --------------------------------------------------------------------------- features
def _as_of(value: Any) -> pd.Timestamp:
    """A required snapshot time as a naive timestamp (:func:`voc.schema.as_timestamp`)."""
    if value is None:
        raise ValueError("as_of is required (a date or timestamp)")
    return as_timestamp(value)


def _before(df: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Rows of a validated table strictly before ``as_of`` (flagged rows are kept for the warning)."""
    ok = df["timestamp"] < as_of
    return df[ok | df[ERROR_COL].notna()]


def _prepare(
    feedback: pd.DataFrame,
    contacts: pd.DataFrame,
    events: pd.DataFrame,
    customers: pd.DataFrame | None,
    text_col: str,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    fb = ensure_analyzed(validate_feedback(feedback), text_col=text_col)
    return (
        fb,
        validate_contacts(contacts),
        validate_events(events),
        validate_customers(customers) if customers is not None else None,
    )


def churn_labels(
    events: pd.DataFrame, index: pd.Index, *, as_of: Any, horizon_days: float = 90
) -> pd.Series:
    """Label per customer: a ``churn`` event in ``[as_of, as_of + horizon_days)``.

    Args:
        events: Events table (``type == "churn"`` rows are used).
        index: Customers to label (e.g. the index of :func:`churn_features`).
        as_of: Snapshot time.
        horizon_days: Prediction horizon.

    Returns:
        Boolean Series named ``churn`` indexed like ``index``.
    """
    as_of = _as_of(as_of)
    ev = validate_events(events)
    ev = ev[ev[ERROR_COL].isna() & (ev["type"] == "churn")]
    end = as_of + pd.Timedelta(days=horizon_days)
    hit = ev.loc[(ev["timestamp"] >= as_of) & (ev["timestamp"] < end), "customer_id"].unique()
    return pd.Series(index.isin(hit), index=index, name="churn")


def churn_features(
    feedback: pd.DataFrame | History,
    contacts: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    as_of: Any = None,
    horizon_days: float | None = 90,
    assignment: pd.DataFrame | None = None,
    open_issues: Iterable[Any] | None = None,
    silent_window_days: float = 180,
    text_col: str = "text",
    include_churned: bool = False,
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Churn-risk features per customer at ``as_of`` and the label over the horizon.

    Only rows with a timestamp strictly before ``as_of`` are read (feedback,
    contacts, events, assignment rows; ``customers`` rows signed up at or after
    ``as_of`` are dropped), so adding or removing anything later never changes
    a feature. The population is every customer seen before ``as_of`` who has
    not churned before it (``include_churned=True`` keeps the churned ones, e.g.
    for a win-back list).

    Features (:data:`FEATURES`; all numeric, no missing values):

    * **RFM and activity**: ``recency_days`` (days since the last order, the
      tenure when none), ``log_frequency`` / ``log_monetary`` (``log1p`` of the
      order count and amount), ``orders_90d``, ``order_trend`` (order rate in
      the last 90 days / the lifetime rate, smoothed; < 1 = slowing down).
    * **Tenure**: ``tenure_days``, ``is_new``.
    * **Contacts**: ``contacts_per_year``, ``contacts_in_window``,
      ``days_since_contact``, ``contacts_since_problem``.
    * **NPS**: ``has_nps``, ``nps`` (last score, 7 when none), ``n_low_nps``.
    * **Problems** (:func:`voc.customers.profile_customers`): signal counts,
      ``days_since_problem`` (capped at 365), ``recent_problem`` (a signal in
      the last 60 days), ``n_episodes``, ``recurring``, ``problem_level``
      (seed 001), ``problem_unsolved``, ``silent`` / ``vocal`` (seed 000/004)
      and ``silent_unsolved``.
    * **Texts**: ``n_feedback``, ``sentiment_mean``, ``sentiment_trend``
      (slope per 30 days), ``last_emotion_<negative emotion>``,
      ``stage_<complaint stage>`` counts, ``reason_<non-complaint reason>``
      counts.
    * **Open issues** (with ``assignment``, e.g. from
      :func:`voc.issues.discover_issues`): ``n_issues`` (distinct open issues
      the customer's rows belong to), ``issue_exposed``, ``days_since_issue``,
      ``issue_churn_lift`` (past churn rate of the customer's worst open issue
      over that of all issues, from churns before ``as_of`` only).

    Report columns (:data:`INFO_COLUMNS`, not model inputs): ``monetary``,
    ``frequency``, ``last_order``, ``problem_status``, ``top_reason``.

    Args:
        feedback: A :class:`voc.History` (its analyzed tables; ``as_of`` defaults to
            ``History.as_of``; pass no other table then), or feedback texts (analysed or
            not; see :mod:`voc.customers`) -- the old form.
        contacts: Contacts with customer service (required without a History).
        events: Orders, returns, NPS, churn and other events (required without a History).
        customers: Optional master table (``signup_date``, ``verified``).
        as_of: Snapshot time: features use what happened before it (required without a History).
        horizon_days: Label horizon; ``None`` returns no label (scoring).
        assignment: ``customer_id`` / ``issue_id`` rows (a ``timestamp`` column
            restricts them to rows before ``as_of``; rows without one, e.g. from
            :meth:`voc.issues.WhoElse.as_assignment`, are taken as known at
            ``as_of`` -- build them from data before ``as_of`` to avoid leakage).
        open_issues: Issue ids that count as open (default: all).
        silent_window_days: Window of the silent flag.
        text_col: Text column of ``feedback``.
        include_churned: Keep customers who churned before ``as_of``.

    Returns:
        ``(X, y)``: ``X`` indexed by ``customer_id`` with :data:`FEATURES` and
        :data:`INFO_COLUMNS` (``X.attrs`` has ``as_of`` and ``horizon_days``);
        ``y`` the boolean label (``None`` when ``horizon_days`` is ``None``).

    Raises:
        ValueError: A table fails validation or ``as_of`` is missing.
    """
    if isinstance(feedback, History):
        h = feedback
        feedback, contacts, events, customers = h.unpack("churn_features", contacts, events, customers)
        as_of = h.as_of if as_of is None else as_of
        text_col = "text"
        if assignment is not None and hasattr(assignment, "assignment_"):
            assignment = assignment.assignment_
    if contacts is None or events is None:
        raise ValueError("churn_features: contacts and events are required (or pass a History)")
    as_of = _as_of(as_of)
    return _features_at(_prepare(feedback, contacts, events, customers, text_col), as_of=as_of,
                        horizon_days=horizon_days, assignment=assignment, open_issues=open_issues,
                        silent_window_days=silent_window_days, text_col=text_col,
                        include_churned=include_churned)


def _features_at(
    prepared: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None],
    *,
    as_of: pd.Timestamp,
    horizon_days: float | None,
    assignment: pd.DataFrame | None,
    open_issues: Iterable[Any] | None,
    silent_window_days: float,
    text_col: str,
    include_churned: bool,
) -> tuple[pd.DataFrame, pd.Series | None]:
    """:func:`churn_features` from tables validated once by :func:`_prepare` (shared by several snapshots)."""
    fb, ct, ev, cu = prepared
    all_events = ev
    fb, ct, ev = _before(fb, as_of), _before(ct, as_of), _before(ev, as_of)
    if cu is not None and "signup_date" in cu.columns:
        cu = cu[~(cu["signup_date"] >= as_of)]
    prof = profile_customers(
        fb, ct, ev, cu, as_of=as_of, silent_window_days=silent_window_days, text_col=text_col
    )
    X = features_from_profiles(
        prof,
        feedback=fb[fb[ERROR_COL].isna()],
        events=ev[ev[ERROR_COL].isna()],
        assignment=assignment,
        open_issues=open_issues,
        as_of=as_of,
    )
    keep = ~(prof["first_seen"] >= as_of)  # customers only in `customers` count from their signup
    if not include_churned:
        keep &= ~prof["churned"].astype(bool)
    X = X[keep.reindex(X.index).to_numpy()]
    if not include_churned:
        X = X.drop(columns=["churned", "churn_date"])
    X.attrs.update(as_of=as_of, horizon_days=horizon_days)
    if horizon_days is None:
        return X, None
    return X, churn_labels(all_events, X.index, as_of=as_of, horizon_days=horizon_days)

def snapshots(
    feedback: pd.DataFrame,
    contacts: pd.DataFrame,
    events: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    as_of: Iterable[Any],
    horizon_days: float = 90,
    **kwargs: Any,
) -> tuple[pd.DataFrame, pd.Series]:
    """:func:`churn_features` at several snapshot times, stacked (more, and more varied, training rows).

    Args:
        feedback: Feedback texts.
        contacts: Contacts.
        events: Events.
        customers: Optional customers table.
        as_of: Snapshot times.
        horizon_days: Label horizon.
        **kwargs: More :func:`churn_features` arguments (``assignment`` ...).

    Returns:
        ``(X, y)`` indexed by ``(as_of, customer_id)``.
    """
    times = [_as_of(t) for t in as_of]
    if not times:
        raise ValueError("snapshots: as_of is empty")
    # the tables are validated once for all snapshots (what churn_features would do at each one)
    prepared = _prepare(feedback, contacts, events, customers, kwargs.get("text_col", "text"))
    return _stack(prepared, times, horizon_days, kwargs)


def _stack(prepared: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None],
           times: list[pd.Timestamp], horizon_days: float, kwargs: dict[str, Any]) -> tuple[pd.DataFrame, pd.Series]:
    """:func:`snapshots` from tables validated by :func:`_prepare`."""
    opts = {"assignment": None, "open_issues": None, "silent_window_days": 180, "text_col": "text",
            "include_churned": False, **kwargs}
    parts = [_features_at(prepared, as_of=t, horizon_days=horizon_days, **opts) for t in times]
    X = pd.concat([p[0] for p in parts], keys=times, names=["as_of", "customer_id"])
    y = pd.concat([p[1] for p in parts], keys=times, names=["as_of", "customer_id"])
    X.attrs.update(as_of=times[-1], snapshots=times, horizon_days=horizon_days)
    return X, y


def features_from_profiles(
    profiles: pd.DataFrame,
    *,
    feedback: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    assignment: pd.DataFrame | None = None,
    open_issues: Iterable[Any] | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """:data:`FEATURES` from the output of :func:`voc.customers.profile_customers`.

    :func:`churn_features` calls this on profiles of the data before ``as_of``.
    Called directly, the caller is responsible for that cut. Features that need
    the raw tables are ``NaN`` when the table is not given -- ``orders_90d`` and
    ``order_trend`` (``events``), ``stage_*`` (``feedback``) -- and
    :class:`ChurnModel` fills them with the training medians.

    Args:
        profiles: Profiles (all customers, churned ones included: their churn
            dates give the past churn rate of each issue).
        feedback: Validated feedback rows before ``as_of`` (for complaint stages).
        events: Validated events before ``as_of`` (for the recent order rate).
        assignment: ``customer_id`` / ``issue_id`` [/ ``timestamp``] rows.
        open_issues: Issue ids that count as open (default: all).
        as_of: Snapshot time (default ``profiles.attrs["as_of"]``).

    Returns:
        One row per profile with :data:`FEATURES`, :data:`INFO_COLUMNS`,
        ``churned`` and ``churn_date``.
    """
    prof = profiles
    as_of = _as_of(as_of if as_of is not None else prof.attrs.get("as_of"))
    idx = prof.index
    X = pd.DataFrame(index=idx)

    def col(name: str, default: Any = np.nan) -> pd.Series:
        if name in prof.columns:
            return prof[name]
        return pd.Series(default, index=idx)

    tenure = col("tenure_days", 0.0).astype(float).fillna(0.0)
    freq = col("frequency", 0).astype(float).fillna(0.0)
    X["recency_days"] = col("recency_days").astype(float).fillna(tenure).clip(lower=0)
    X["log_frequency"] = np.log1p(freq)
    X["log_monetary"] = np.log1p(col("monetary", 0.0).astype(float).fillna(0.0).clip(lower=0))
    if events is not None:
        orders = events[events["type"].astype(str).str.lower() == "order"]
        recent = orders[pd.to_datetime(orders["timestamp"]) >= as_of - pd.Timedelta(days=90)]
        X["orders_90d"] = recent.groupby("customer_id").size().reindex(idx, fill_value=0).astype(float)
        years = np.maximum(tenure.to_numpy(), 90.0) / 365.25
        life_rate = (freq.to_numpy() + 0.5) / (years + 0.25)
        recent_rate = (X["orders_90d"].to_numpy() + 0.5 * 90 / 365.25) / (90 / 365.25 + 0.25)
        X["order_trend"] = recent_rate / life_rate
    else:
        X["orders_90d"] = np.nan
        X["order_trend"] = np.nan
    X["tenure_days"] = tenure
    X["is_new"] = col("is_new", False).fillna(False).astype(float)

    X["contacts_per_year"] = col("contacts_per_year", 0.0).astype(float).fillna(0.0)
    X["contacts_in_window"] = col("contacts_in_window", 0).astype(float).fillna(0.0)
    X["days_since_contact"] = _days_since(col("last_contact", pd.NaT), as_of)
    X["contacts_since_problem"] = col("contacts_since_problem", 0).astype(float).fillna(0.0)

    nps = col("nps").astype(float)
    X["has_nps"] = nps.notna().astype(float)
    X["nps"] = nps.fillna(7.0)
    X["n_low_nps"] = col("n_low_nps", 0).astype(float).fillna(0.0)

    has_problem = col("has_problem", False).fillna(False).astype(bool)
    X["has_problem"] = has_problem.astype(float)
    for name in ("n_problem_signals", "n_problem_signals_window"):
        X[name] = col(name, 0).astype(float).fillna(0.0)
    X["days_since_problem"] = _days_since(col("last_problem", pd.NaT), as_of)
    X["recent_problem"] = (X["days_since_problem"] <= 60).astype(float)
    for name in ("n_negative_texts", "n_returns", "n_cancels", "n_self_service_fail", "n_episodes"):
        X[name] = col(name, 0).astype(float).fillna(0.0)
    X["recurring"] = col("recurring", False).fillna(False).astype(float)
    X["problem_level"] = col("problem_level", 0).astype(float).fillna(0.0)
    status = col("problem_status", None)
    X["problem_unsolved"] = (has_problem & (status != "solved")).astype(float)
    X["silent"] = col("silent", False).fillna(False).astype(float)
    X["vocal"] = col("vocal", False).fillna(False).astype(float)
    X["silent_unsolved"] = X["silent"] * X["problem_unsolved"]

    X["n_feedback"] = col("n_feedback", 0).astype(float).fillna(0.0)
    X["sentiment_mean"] = col("sentiment_mean").astype(float).fillna(0.0)
    X["sentiment_trend"] = col("sentiment_trend").astype(float).fillna(0.0).clip(-5, 5)
    last_emotion = col("last_emotion", None)
    for e in NEGATIVE_EMOTIONS:
        X[f"last_emotion_{e}"] = (last_emotion == e).astype(float)
    if feedback is not None and "complaint_stage" in feedback.columns:
        st = feedback.loc[feedback["customer_id"].notna(), ["customer_id", "complaint_stage"]]
        for code in STAGE_CODES:
            hit = st[st["complaint_stage"] == code]
            X[f"stage_{code}"] = hit.groupby("customer_id").size().reindex(idx, fill_value=0).astype(float)
    else:
        for code in STAGE_CODES:
            X[f"stage_{code}"] = 0.0 if feedback is not None else np.nan
    for r in REASON_CODES:
        X[f"reason_{r}"] = col(f"reason_{r}", 0).astype(float).fillna(0.0)

    churned = col("churned", False).fillna(False).astype(bool)
    churn_date = pd.to_datetime(col("churn_date", pd.NaT))
    churn_before = churn_date[churned & (churn_date < as_of)]
    n_iss, last_iss, rate = _issue_exposure(assignment, open_issues, as_of, churn_before)
    X["n_issues"] = n_iss.reindex(idx, fill_value=0).astype(float)
    X["issue_exposed"] = (X["n_issues"] > 0).astype(float)
    X["days_since_issue"] = _days_since(last_iss.reindex(idx), as_of)
    X.loc[X["issue_exposed"] == 0, "days_since_issue"] = CAP_DAYS
    X["issue_churn_lift"] = rate.reindex(idx, fill_value=0.0).astype(float)

    X["monetary"] = col("monetary", 0.0).astype(float).fillna(0.0)
    X["frequency"] = freq.astype(int)
    X["last_order"] = as_of - pd.to_timedelta(col("recency_days").astype(float), unit="D")
    X["problem_status"] = status
    X["top_reason"] = col("top_reason", None)
    X["churned"] = churned
    X["churn_date"] = churn_date
    X.attrs["as_of"] = as_of
    return X


def _days_since(ts: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    d = (as_of - pd.to_datetime(ts)) / pd.Timedelta(days=1)
    return d.astype(float).fillna(CAP_DAYS).clip(lower=0, upper=CAP_DAYS)


def _issue_exposure(
    assignment: pd.DataFrame | None,
    open_issues: Iterable[Any] | None,
    as_of: pd.Timestamp,
    churn_before: pd.Series,
    smoothing: float = 10.0,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per customer, before ``as_of``: distinct open issues, time of the latest issue row, and the
    highest past churn lift of an issue they have.

    The churn rate of an issue is the share of its customers (rows before ``as_of``) who churned
    after their first row of it and before ``as_of``, shrunk toward the rate over all issues with
    ``smoothing`` pseudo-customers; its lift is that rate over the rate of all issues (1 = an
    average issue). A ratio rather than a rate, so that it means the same at every snapshot (the
    rates themselves grow with the time customers had to leave).
    """
    empty = pd.Series(dtype=float), pd.Series(dtype="datetime64[ns]"), pd.Series(dtype=float)
    if assignment is None or len(assignment) == 0:
        return empty
    if not {"customer_id", "issue_id"} <= set(assignment.columns):
        raise ValueError("assignment needs 'customer_id' and 'issue_id' columns")
    a = assignment[assignment["customer_id"].notna() & assignment["issue_id"].notna()]
    a = a.assign(_ts=pd.to_datetime(a["timestamp"], errors="coerce") if "timestamp" in a.columns else pd.NaT)
    if a["_ts"].dt.tz is not None:
        a["_ts"] = a["_ts"].dt.tz_convert(None)
    a = a[a["_ts"].isna() | (a["_ts"] < as_of)]
    if a.empty:
        return empty
    first = a.groupby(["issue_id", "customer_id"])["_ts"].min().fillna(as_of).reset_index()
    cdate = churn_before.reindex(first["customer_id"]).to_numpy()
    first["lost"] = pd.notna(cdate) & (cdate >= first["_ts"].to_numpy())
    per_issue = first.groupby("issue_id")["lost"].agg(["sum", "size"])
    prior = float(per_issue["sum"].sum()) / max(float(per_issue["size"].sum()), 1.0)
    issue_rate = (per_issue["sum"] + smoothing * prior) / (per_issue["size"] + smoothing)
    issue_rate = issue_rate / prior if prior > 0 else issue_rate * 0.0 + 1.0
    if open_issues is not None:
        a = a[a["issue_id"].isin(list(open_issues))]
        if a.empty:
            return empty
    a = a.assign(_rate=issue_rate.reindex(a["issue_id"]).to_numpy())
    g = a.groupby("customer_id")
    last = g["_ts"].max().fillna(as_of)
    return g["issue_id"].nunique(), last, g["_rate"].max()
