"""Churn risk, per-issue churn forecast and win-back lists (seed 004).

Seed 004: about 98 % of dissatisfied customers never speak up, 91 % of those
whose problem stays unsolved after contacting service leave, and a lost
customer costs 6-7 times a new one. This module predicts churn *before* it
happens, says how many customers an unfixed issue will still cost, and lists
the customers an issue drove away once it is fixed.

* :func:`churn_features` builds one row of features per active customer from
  the four tables of :mod:`voc.customers`, using **only rows strictly before**
  ``as_of``, and the label "churn event in ``[as_of, as_of + horizon_days)``".
* :class:`ChurnModel` (scikit-learn estimator) is a logistic regression or a
  histogram gradient boosting classifier, chosen by validation ROC-AUC;
  :meth:`ChurnModel.evaluate` gives ROC-AUC, PR-AUC, Brier score and a
  calibration table, :meth:`ChurnModel.explain` the top contributing features
  of each score, :meth:`ChurnModel.save` / :meth:`ChurnModel.load` persist it
  without pickle.
* :func:`fit_time_split` is the time-aware protocol: features and labels at an
  earlier snapshot for training, at a later one for testing.
* :func:`issue_forecast` (+ :func:`plot_issue_forecast`): per open issue, the
  customers affected (vocal + silent), the expected further churn if it stays
  unfixed, the value at risk and the high-value customers at risk.
* :func:`winback_list`: once an issue is fixed, the customers it affected who
  churned or went quiet, ranked by value x win-back likelihood, with a message
  per archetype and non-complaint reason (seed 000 strategies).

Example:
    >>> from voc.synthetic import generate_history
    >>> from voc.churn import churn_features
    >>> h = generate_history(n_customers=300, seed=1)
    >>> X, y = churn_features(h["feedback"], h["contacts"], h["events"], h["customers"],
    ...                       as_of="2024-10-01", horizon_days=60)
    >>> bool(X.index.is_unique) and len(X) == len(y)
    True
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from voc.customers import (
    ERROR_COL,
    ensure_analyzed,
    profile_customers,
    validate_contacts,
    validate_customers,
    validate_events,
    validate_feedback,
)

__all__ = [
    "FEATURES",
    "INFO_COLUMNS",
    "REASON_CODES",
    "SKOPS_TRUSTED",
    "ChurnModel",
    "ChurnEvaluation",
    "TimeSplit",
    "churn_features",
    "churn_labels",
    "evaluate_risk",
    "features_from_profiles",
    "fit_time_split",
    "snapshots",
    "issue_forecast",
    "plot_issue_forecast",
    "winback_list",
]

#: Non-complaint reason codes (seed 000) turned into ``reason_<code>`` counts.
REASON_CODES: tuple[str, ...] = (
    "channel_blocked",
    "self_reliance",
    "distrust_service",
    "let_it_go",
    "not_bother",
    "conflict_avoidance",
    "fear_retaliation",
    "privacy_concern",
)
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
    if value is None:
        raise ValueError("as_of is required (a date or timestamp)")
    ts = pd.Timestamp(value)
    if ts.tz is not None:
        ts = ts.tz_convert(None)
    return ts


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
    feedback: pd.DataFrame,
    contacts: pd.DataFrame,
    events: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    as_of: Any,
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
        feedback: Feedback texts (analysed or not; see :mod:`voc.customers`).
        contacts: Contacts with customer service.
        events: Orders, returns, NPS, churn and other events.
        customers: Optional master table (``signup_date``, ``verified``).
        as_of: Snapshot time: features use what happened before it.
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
    as_of = _as_of(as_of)
    fb, ct, ev, cu = _prepare(feedback, contacts, events, customers, text_col)
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


# --------------------------------------------------------------------------- model
MODEL_FORMAT = "voc-churn-1"
_JSON_NAME = "churn_model.json"
_ARRAYS_NAME = "churn_model.safetensors"
_NPZ_NAME = "churn_model.npz"
_GBM_NAME = "churn_gbm.skops"
#: The only types (besides skops' defaults: numpy, builtins, scikit-learn estimators) a saved
#: gradient boosting model may contain; anything else makes :meth:`ChurnModel.load` refuse the file.
SKOPS_TRUSTED: tuple[str, ...] = ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",)
KINDS = ("logistic", "gbm")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return np.asarray(expit(z), dtype=float)


class ChurnModel(ClassifierMixin, BaseEstimator):
    """Churn risk over a horizon: logistic regression or histogram gradient boosting.

    Follows the scikit-learn estimator contract (hyper-parameters in
    ``__init__``, learned state in attributes ending in ``_``). ``X`` is the
    output of :func:`churn_features` (any DataFrame with the :data:`FEATURES`
    columns; extra columns are ignored) or a numeric array in that column order.

    With ``model="auto"`` both models are fitted on a stratified
    ``1 - validation_fraction`` part of the training rows (or on all of them
    when ``fit`` gets ``X_val`` / ``y_val``, e.g. a later snapshot), the one with
    the higher validation ROC-AUC is kept and refitted on all training rows.

    Args:
        model: ``"auto"``, ``"logistic"`` or ``"gbm"``.
        horizon_days: Horizon of the label the model is trained on (metadata,
            used by :func:`issue_forecast` to rescale risks).
        C: Inverse L2 strength of the logistic regression (on standardised features).
        learning_rate: Gradient boosting learning rate.
        max_iter: Boosting iterations.
        max_leaf_nodes: Leaves per tree.
        min_samples_leaf: Minimum rows per leaf.
        l2_regularization: L2 penalty of the leaf values.
        validation_fraction: Share of the training rows held out for ``"auto"``.
        features: Feature columns (default :data:`FEATURES`).
        random_state: Seed of the split, the boosting and the permutations.
        n_threads: OpenMP threads of gradient boosting (default 1: on small
            inputs and busy machines more threads were up to 7x slower).

    Attributes:
        kind_: ``"logistic"`` or ``"gbm"``.
        feature_names_in_: Feature columns, in order.
        fill_: Training median per feature (replaces missing values; the
            reference value of the gradient boosting explanations).
        mean_, scale_: Standardisation of the logistic model.
        coef_, intercept_: Logistic coefficients (on standardised features).
        estimator_: The fitted ``HistGradientBoostingClassifier`` (``"gbm"``).
        validation_scores_: ``{kind: validation ROC-AUC}`` (``"auto"`` only).
        feature_importances_: Global importance per feature (a Series):
            ``|coef|`` for the logistic model, permutation importance (mean drop
            in ROC-AUC over 2 permutations, on the validation rows or a
            stratified sample of at most 2,000 training rows) for gradient boosting.
        classes_: ``[0, 1]`` (1 = churn).

    Example:
        >>> from voc.synthetic import generate_history
        >>> h = generate_history(n_customers=400, seed=0)
        >>> X, y = churn_features(h["feedback"], h["contacts"], h["events"], as_of="2024-10-01",
        ...                       horizon_days=60)
        >>> m = ChurnModel(model="logistic").fit(X, y)
        >>> bool(m.risk(X).between(0, 1).all())
        True
    """

    def __init__(
        self,
        model: str = "auto",
        horizon_days: float = 90,
        *,
        C: float = 0.3,
        learning_rate: float = 0.05,
        max_iter: int = 150,
        max_leaf_nodes: int = 8,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        validation_fraction: float = 0.25,
        features: tuple[str, ...] | list[str] | None = None,
        random_state: int = 0,
        n_threads: int | None = 1,
    ) -> None:
        self.model = model
        self.horizon_days = horizon_days
        self.C = C
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.validation_fraction = validation_fraction
        self.features = features
        self.random_state = random_state
        self.n_threads = n_threads

    # ---- matrices
    def _names(self) -> list[str]:
        return list(self.features) if self.features is not None else list(FEATURES)

    def _matrix(self, X: Any, names: list[str] | None = None) -> np.ndarray:
        names = names if names is not None else list(self.feature_names_in_)
        if isinstance(X, pd.DataFrame):
            missing = [c for c in names if c not in X.columns]
            if missing:
                raise ValueError(
                    f"ChurnModel: X lacks feature column(s) {missing[:8]}{' ...' if len(missing) > 8 else ''}; "
                    "build X with voc.churn.churn_features"
                )
            A = X[names].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        else:
            A = np.asarray(X, dtype=float)
            if A.ndim != 2 or A.shape[1] != len(names):
                raise ValueError(f"ChurnModel: expected a 2-D array with {len(names)} columns, got {A.shape}")
        return A

    def _filled(self, A: np.ndarray) -> np.ndarray:
        bad = ~np.isfinite(A)
        if bad.any():
            A = A.copy()
            A[bad] = np.broadcast_to(self.fill_, A.shape)[bad]
        return A

    # ---- fitting
    def _fit_logistic(self, A: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        from sklearn.linear_model import LogisticRegression

        mean = A.mean(axis=0)
        scale = A.std(axis=0)
        scale[scale < 1e-12] = 1.0
        lr = LogisticRegression(C=self.C, max_iter=5000).fit((A - mean) / scale, y)
        return {
            "mean": mean,
            "scale": scale,
            "coef": lr.coef_[0].astype(float),
            "intercept": np.asarray(lr.intercept_, dtype=float),
        }

    def _threads(self) -> Any:
        """Context limiting OpenMP threads to ``n_threads`` (no limit when ``None``)."""
        if self.n_threads is None:
            return contextlib.nullcontext()
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=self.n_threads)

    def _fit_gbm(self, A: np.ndarray, y: np.ndarray) -> Any:

        with self._threads():
            return self._new_gbm().fit(A, y)

    def _new_gbm(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=self.random_state,
        )

    @staticmethod
    def _proba_logistic(state: dict[str, np.ndarray], A: np.ndarray) -> np.ndarray:
        z = ((A - state["mean"]) / state["scale"]) @ state["coef"] + state["intercept"][0]
        return _sigmoid(z)

    def fit(
        self, X: Any, y: Any, *, X_val: Any = None, y_val: Any = None
    ) -> ChurnModel:
        """Fit on features ``X`` and churn labels ``y`` (bool / 0-1).

        Args:
            X: Features (see the class docstring).
            y: Labels, 1 = churned within the horizon.
            X_val: Optional validation features for ``model="auto"`` (e.g. a
                later snapshot); default a stratified hold-out of ``X``.
            y_val: Labels of ``X_val``.

        Returns:
            ``self``.

        Raises:
            ValueError: Unknown ``model``, a single class in ``y``, or missing features.
        """
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import train_test_split

        if self.model not in ("auto", *KINDS):
            raise ValueError(f"ChurnModel: model must be 'auto', 'logistic' or 'gbm', got {self.model!r}")
        names = (
            self._names()
            if isinstance(X, pd.DataFrame) or self.features is not None
            else [f"x{i}" for i in range(np.asarray(X).shape[1])]
        )
        A = self._matrix(X, names)
        yy = np.asarray(y, dtype=float).astype(int).ravel()
        if len(yy) != len(A):
            raise ValueError(f"ChurnModel: X and y have different lengths: {len(A)} != {len(yy)}")
        if len(np.unique(yy)) < 2:
            raise ValueError("ChurnModel: y needs both churned and retained customers")
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        med = np.nanmedian(np.where(np.isfinite(A), A, np.nan), axis=0) if len(A) else np.zeros(len(names))
        self.fill_ = np.where(np.isfinite(med), med, 0.0)
        A = self._filled(A)
        self.classes_ = np.array([0, 1])
        self.validation_scores_: dict[str, float] = {}

        kind = self.model
        val_A: np.ndarray | None = None
        val_y: np.ndarray | None = None
        if kind == "auto":
            if X_val is not None and y_val is not None:
                fit_A, fit_y = A, yy
                val_A, val_y = self._filled(self._matrix(X_val)), np.asarray(y_val, dtype=float).astype(int)
            elif min(np.bincount(yy)) >= 10:
                groups = _customer_groups(X)
                if groups is not None and groups.duplicated().any():
                    # stacked snapshots: hold out whole customers, so none is on both sides
                    uniq = groups.unique()
                    rng = np.random.default_rng(self.random_state)
                    held = set(rng.permutation(uniq)[: int(round(self.validation_fraction * len(uniq)))])
                    is_val = groups.isin(held).to_numpy()
                    fit_A, val_A, fit_y, val_y = A[~is_val], A[is_val], yy[~is_val], yy[is_val]
                else:
                    fit_A, val_A, fit_y, val_y = train_test_split(
                        A, yy, test_size=self.validation_fraction, stratify=yy, random_state=self.random_state
                    )
            else:
                fit_A = fit_y = None
            if fit_A is not None and val_A is not None and len(np.unique(val_y)) == 2:
                p_lr = self._proba_logistic(self._fit_logistic(fit_A, fit_y), val_A)
                gb = self._fit_gbm(fit_A, fit_y)
                with self._threads():
                    p_gb = gb.predict_proba(val_A)[:, 1]
                self.validation_scores_ = {
                    "logistic": float(roc_auc_score(val_y, p_lr)),
                    "gbm": float(roc_auc_score(val_y, p_gb)),
                }
                kind = max(self.validation_scores_, key=lambda k: self.validation_scores_[k])
            else:
                warnings.warn("ChurnModel: too few churners to compare models; using logistic", stacklevel=2)
                kind = "logistic"
        self.kind_ = kind
        if kind == "logistic":
            st = self._fit_logistic(A, yy)
            self.mean_, self.scale_ = st["mean"], st["scale"]
            self.coef_, self.intercept_ = st["coef"], st["intercept"]
            self.estimator_ = None
            imp = np.abs(self.coef_)
        else:
            self.estimator_ = self._fit_gbm(A, yy)
            imp = self._permutation_importance(
                val_A if val_A is not None else A, val_y if val_y is not None else yy
            )
        self.feature_importances_ = pd.Series(imp, index=list(names), name="importance")
        return self

    def _permutation_importance(self, A: np.ndarray, y: np.ndarray) -> np.ndarray:
        from sklearn.inspection import permutation_importance

        if len(np.unique(y)) < 2:
            return np.zeros(A.shape[1])
        if len(A) > 2000:  # a stratified sample keeps the cost at ~100 predictions of 2,000 rows
            from sklearn.model_selection import train_test_split

            A, _, y, _ = train_test_split(A, y, train_size=2000, stratify=y, random_state=self.random_state)
        with self._threads():
            r = permutation_importance(
                self.estimator_, A, y, scoring="roc_auc", n_repeats=2, random_state=self.random_state, n_jobs=1
            )
        return np.asarray(r.importances_mean, dtype=float)

    # ---- prediction
    def _check_fitted(self) -> None:
        if not hasattr(self, "kind_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("ChurnModel is not fitted yet; call fit() or ChurnModel.load()")

    def _proba_matrix(self, A: np.ndarray) -> np.ndarray:
        if self.kind_ == "logistic":
            st = {"mean": self.mean_, "scale": self.scale_, "coef": self.coef_, "intercept": self.intercept_}
            return self._proba_logistic(st, A)
        with self._threads():
            return np.asarray(self.estimator_.predict_proba(A)[:, 1], dtype=float)

    def predict_proba(self, X: Any) -> np.ndarray:
        """``[P(stay), P(churn)]`` per row."""
        self._check_fitted()
        p = self._proba_matrix(self._filled(self._matrix(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any, threshold: float = 0.5) -> np.ndarray:
        """1 where the churn risk reaches ``threshold``."""
        return (self.predict_proba(X)[:, 1] >= threshold).astype(int)

    def risk(self, X: Any) -> pd.Series:
        """Churn risk over the horizon, a Series named ``churn_risk`` (indexed like ``X``)."""
        p = self.predict_proba(X)[:, 1]
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.Series(p, index=index, name="churn_risk")

    # ---- evaluation and explanations
    def evaluate(self, X: Any, y: Any, *, bins: int = 10, strategy: str = "quantile") -> ChurnEvaluation:
        """ROC-AUC, PR-AUC, Brier score and a calibration table on ``(X, y)``.

        Args:
            X: Features.
            y: True labels.
            bins: Calibration bins.
            strategy: ``"quantile"`` (equal-count bins of predicted risk) or
                ``"uniform"`` (equal-width bins over [0, 1]).

        Returns:
            A :class:`ChurnEvaluation`.
        """
        return evaluate_risk(y, self.predict_proba(X)[:, 1], bins=bins, strategy=strategy, model=self.kind_)

    def contributions(self, X: Any) -> pd.DataFrame:
        """Per row and feature, the contribution to the score.

        Logistic: ``coef x standardised value`` (log-odds relative to the
        average training customer). Gradient boosting: the change in churn
        risk when the feature is replaced by its training median
        (``risk(x) - risk(x with x_j = median_j)``; probability points).

        Returns:
            DataFrame indexed like ``X`` with one column per feature.
        """
        self._check_fitted()
        A = self._filled(self._matrix(X))
        if self.kind_ == "logistic":
            C = (A - self.mean_) / self.scale_ * self.coef_
        else:
            base = self._proba_matrix(A)
            C = np.zeros_like(A)
            for j in range(A.shape[1]):
                col = A[:, j]
                diff = col != self.fill_[j]
                if not diff.any():
                    continue
                B = A[diff].copy()
                B[:, j] = self.fill_[j]
                C[diff, j] = base[diff] - self._proba_matrix(B)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(C, index=index, columns=list(self.feature_names_in_))

    def explain(self, X: Any, top: int = 3) -> pd.DataFrame:
        """Churn risk and the ``top`` features that push it up the most, per customer.

        See :meth:`contributions` for the units (log-odds for the logistic
        model, probability points for gradient boosting). Only positive
        contributions are listed (a customer with a low risk may have none).

        Args:
            X: Features (indexed by ``customer_id``).
            top: Features per customer.

        Returns:
            DataFrame indexed like ``X``: ``churn_risk``, ``explanation``
            (``"silent_unsolved=1 (+0.84); days_since_problem=12 (+0.51)"``),
            ``top_features`` (list of ``{"feature", "value", "contribution"}``)
            and flat ``feature_<i>`` / ``value_<i>`` / ``contribution_<i>`` columns.
        """
        C = self.contributions(X)
        A = self._filled(self._matrix(X))
        names = list(self.feature_names_in_)
        risk = self._proba_matrix(A)
        order = np.argsort(-C.to_numpy(), axis=1, kind="stable")[:, :top]
        cvals = C.to_numpy()
        rows_tf: list[list[dict[str, Any]]] = []
        text: list[str] = []
        for i in range(len(A)):
            items = []
            for j in order[i]:
                if cvals[i, j] <= 0:
                    break
                items.append(
                    {"feature": names[j], "value": float(A[i, j]), "contribution": round(float(cvals[i, j]), 4)}
                )
            rows_tf.append(items)
            text.append("; ".join(f"{d['feature']}={_fmt(d['value'])} (+{d['contribution']:.2f})" for d in items))
        out = pd.DataFrame({"churn_risk": risk, "explanation": text, "top_features": rows_tf}, index=C.index)
        for k in range(top):
            out[f"feature_{k + 1}"] = [r[k]["feature"] if len(r) > k else None for r in rows_tf]
            out[f"value_{k + 1}"] = [r[k]["value"] if len(r) > k else np.nan for r in rows_tf]
            out[f"contribution_{k + 1}"] = [r[k]["contribution"] if len(r) > k else np.nan for r in rows_tf]
        return out

    # ---- persistence
    def save(self, path: str | Path) -> Path:
        """Save to the directory ``path`` without pickle.

        Files: ``churn_model.json`` (parameters, feature names, scores) and
        ``churn_model.safetensors`` (arrays; ``.npz`` when safetensors is not
        installed); a gradient boosting model adds ``churn_gbm.skops``, loaded
        back with an explicit allow-list of types (:data:`SKOPS_TRUSTED`).

        Returns:
            The directory.
        """
        self._check_fitted()
        d = Path(path)
        d.mkdir(parents=True, exist_ok=True)
        arrays = {
            "fill": np.asarray(self.fill_, dtype=float),
            "importances": self.feature_importances_.to_numpy(dtype=float),
        }
        if self.kind_ == "logistic":
            arrays.update(mean=self.mean_, scale=self.scale_, coef=self.coef_, intercept=self.intercept_)
        else:
            import skops.io as sio

            sio.dump(self.estimator_, d / _GBM_NAME)
        params = self.get_params(deep=False)
        if params.get("features") is not None:
            params["features"] = list(params["features"])
        meta = {
            "format": MODEL_FORMAT,
            "kind": self.kind_,
            "params": params,
            "features": [str(f) for f in self.feature_names_in_],
            "validation_scores": self.validation_scores_,
            "metadata": getattr(self, "metadata_", {}),
        }
        arrays = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in arrays.items()}
        try:
            from safetensors.numpy import save_file
        except ImportError:  # pragma: no cover - safetensors is a dependency of voc
            np.savez(d / _NPZ_NAME, **arrays)
            meta["arrays"] = _NPZ_NAME
        else:
            save_file(arrays, str(d / _ARRAYS_NAME))
            meta["arrays"] = _ARRAYS_NAME
        (d / _JSON_NAME).write_text(json.dumps(meta, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        return d

    @classmethod
    def load(cls, path: str | Path) -> ChurnModel:
        """Load a model written by :meth:`save` (nothing is unpickled).

        Raises:
            ValueError: The directory does not hold a voc churn model, or the
                gradient boosting file contains types outside :data:`SKOPS_TRUSTED`.
        """
        d = Path(path)
        try:
            meta = json.loads((d / _JSON_NAME).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{d}: not a voc churn model ({type(e).__name__}: {e})") from e
        if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
            raise ValueError(f"{d}: not a voc churn model (format {meta.get('format') if isinstance(meta, dict) else None!r})")
        arrays = _load_arrays(d / str(meta.get("arrays", _ARRAYS_NAME)))
        params = dict(meta["params"])
        if params.get("features") is not None:
            params["features"] = tuple(params["features"])
        m = cls(**params)
        m.kind_ = meta["kind"]
        m.feature_names_in_ = np.asarray(meta["features"], dtype=object)
        m.n_features_in_ = len(m.feature_names_in_)
        m.fill_ = arrays["fill"]
        m.classes_ = np.array([0, 1])
        m.validation_scores_ = {str(k): float(v) for k, v in meta.get("validation_scores", {}).items()}
        m.feature_importances_ = pd.Series(arrays["importances"], index=list(meta["features"]), name="importance")
        m.metadata_ = meta.get("metadata", {})
        if m.kind_ == "logistic":
            m.mean_, m.scale_ = arrays["mean"], arrays["scale"]
            m.coef_, m.intercept_ = arrays["coef"], arrays["intercept"]
            m.estimator_ = None
        elif m.kind_ == "gbm":
            m.estimator_ = _load_gbm(d / _GBM_NAME)
        else:
            raise ValueError(f"{d}: unknown model kind {m.kind_!r}")
        return m


def _customer_groups(X: Any) -> pd.Series | None:
    """Customer id per row of a feature frame (the last index level of stacked snapshots)."""
    if not isinstance(X, pd.DataFrame):
        return None
    return pd.Series(X.index.get_level_values(-1))


def _load_arrays(path: Path) -> dict[str, np.ndarray]:
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return {k: np.asarray(z[k]) for k in z.files}
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        try:
            return load_file(str(path))
        except SafetensorError as e:
            raise ValueError(f"{path}: not a safetensors file ({e})") from e
    except (OSError, ValueError) as e:
        raise ValueError(f"{path.parent}: not a voc churn model ({type(e).__name__}: {e})") from e


def _load_gbm(path: Path) -> Any:
    import skops.io as sio
    from sklearn.ensemble import HistGradientBoostingClassifier

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as e:  # noqa: BLE001 - any parse failure means "not our file"
        raise ValueError(f"{path}: not a skops file ({type(e).__name__}: {e})") from e
    extra = sorted(set(untrusted) - set(SKOPS_TRUSTED))
    if extra:
        raise ValueError(f"{path}: refusing to load types outside the allow-list: {extra}")
    est = sio.load(path, trusted=sorted(set(untrusted)))
    if not isinstance(est, HistGradientBoostingClassifier):
        raise ValueError(f"{path}: expected a HistGradientBoostingClassifier, got {type(est).__name__}")
    return est


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.3g}"


# --------------------------------------------------------------------------- evaluation
@dataclass
class ChurnEvaluation:
    """Scores of churn risks against outcomes.

    Attributes:
        roc_auc: Area under the ROC curve.
        pr_auc: Average precision (area under the precision-recall curve).
        brier: Brier score (mean squared error of the risk).
        brier_base: Brier score of predicting the base rate for everyone.
        base_rate: Share of churners.
        n: Customers.
        n_positive: Churners.
        ece: Expected calibration error over the bins (|mean risk - observed|, weighted).
        calibration: One row per bin: ``bin``, ``n``, ``risk_min``, ``risk_max``,
            ``mean_risk``, ``observed_rate``, ``churned``.
        model: Model kind, if known.
    """

    roc_auc: float
    pr_auc: float
    brier: float
    brier_base: float
    base_rate: float
    n: int
    n_positive: int
    ece: float
    calibration: pd.DataFrame = field(repr=False)
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (the calibration table as a list of records)."""
        out = {k: getattr(self, k) for k in ("roc_auc", "pr_auc", "brier", "brier_base", "base_rate", "n",
                                              "n_positive", "ece", "model")}
        out["calibration"] = json.loads(self.calibration.to_json(orient="records"))
        return out


def evaluate_risk(
    y: Any, risk: Any, *, bins: int = 10, strategy: str = "quantile", model: str | None = None
) -> ChurnEvaluation:
    """ROC-AUC, PR-AUC, Brier score and calibration of ``risk`` against outcomes ``y``.

    Args:
        y: True labels (1 = churned).
        risk: Predicted churn risks.
        bins: Calibration bins.
        strategy: ``"quantile"`` (equal-count bins) or ``"uniform"`` (equal width).
        model: Label stored in the result.

    Returns:
        A :class:`ChurnEvaluation`.
    """
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    yy = np.asarray(y, dtype=float).astype(int).ravel()
    p = np.asarray(risk, dtype=float).ravel()
    if len(yy) != len(p):
        raise ValueError(f"evaluate_risk: y and risk have different lengths: {len(yy)} != {len(p)}")
    both = len(np.unique(yy)) == 2
    base = float(yy.mean()) if len(yy) else float("nan")
    if strategy == "quantile":
        edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    elif strategy == "uniform":
        edges = np.linspace(0, 1, bins + 1)
    else:
        raise ValueError("strategy must be 'quantile' or 'uniform'")
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    df = pd.DataFrame({"bin": which, "risk": p, "y": yy})
    cal = df.groupby("bin").agg(
        n=("y", "size"), risk_min=("risk", "min"), risk_max=("risk", "max"), mean_risk=("risk", "mean"),
        observed_rate=("y", "mean"), churned=("y", "sum"),
    ).reset_index()
    ece = float((cal["n"] * (cal["mean_risk"] - cal["observed_rate"]).abs()).sum() / max(len(p), 1))
    return ChurnEvaluation(
        roc_auc=float(roc_auc_score(yy, p)) if both else float("nan"),
        pr_auc=float(average_precision_score(yy, p)) if both else float("nan"),
        brier=float(brier_score_loss(yy, p)) if len(p) else float("nan"),
        brier_base=float(np.mean((yy - base) ** 2)) if len(p) else float("nan"),
        base_rate=base,
        n=int(len(yy)),
        n_positive=int(yy.sum()),
        ece=ece,
        calibration=cal,
        model=model,
    )


# --------------------------------------------------------------------------- time split
@dataclass
class TimeSplit:
    """Result of :func:`fit_time_split`.

    Attributes:
        model: The fitted :class:`ChurnModel` (trained on the earlier snapshots).
        evaluation: Its :class:`ChurnEvaluation` on the later snapshot.
        X_train, y_train: Features and labels of the training snapshots (index
            ``(as_of, customer_id)``; a customer appears once per snapshot).
        X_test, y_test: Features and labels at ``test_as_of``.
        train_as_of: The training snapshot times.
        test_as_of: The test snapshot time.
    """

    model: ChurnModel
    evaluation: ChurnEvaluation
    X_train: pd.DataFrame = field(repr=False)
    y_train: pd.Series = field(repr=False)
    X_test: pd.DataFrame = field(repr=False)
    y_test: pd.Series = field(repr=False)
    train_as_of: list[pd.Timestamp] = field(default_factory=list)
    test_as_of: pd.Timestamp | None = None


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
    parts = [
        churn_features(feedback, contacts, events, customers, as_of=t, horizon_days=horizon_days, **kwargs)
        for t in times
    ]
    X = pd.concat([p[0] for p in parts], keys=times, names=["as_of", "customer_id"])
    y = pd.concat([p[1] for p in parts], keys=times, names=["as_of", "customer_id"])
    X.attrs.update(as_of=times[-1], snapshots=times, horizon_days=horizon_days)
    return X, y


def fit_time_split(
    data: Mapping[str, Any],
    train_as_of: Any,
    test_as_of: Any,
    *,
    horizon_days: float = 90,
    model: str | ChurnModel = "auto",
    assignment: pd.DataFrame | None = None,
    open_issues: Iterable[Any] | None = None,
    silent_window_days: float = 180,
    text_col: str = "text",
) -> TimeSplit:
    """Time-aware training and evaluation: fit on earlier snapshots, test on a later one.

    Features at a training snapshot use rows before it; its label is churn in
    ``[as_of, as_of + horizon_days)``, which must end by ``test_as_of``, so no
    training label overlaps the test period. Several training snapshots (e.g.
    monthly) are stacked. The test snapshot is built the same way at
    ``test_as_of``, from the customers still active then. Model selection
    (``model="auto"``) holds out 25 % of the training *customers*; the test
    snapshot is never seen before the evaluation.

    Args:
        data: ``{"feedback", "contacts", "events"[, "customers"][, "assignment"]}``
            (e.g. the output of :func:`voc.synthetic.generate_history`).
        train_as_of: Training snapshot time, or a list of them.
        test_as_of: Test snapshot (>= the last training snapshot + ``horizon_days``).
        horizon_days: Label horizon.
        model: ``"auto"`` / ``"logistic"`` / ``"gbm"`` or an unfitted :class:`ChurnModel`.
        assignment: Issue assignment (default ``data.get("assignment")``).
        open_issues: Issue ids that count as open.
        silent_window_days: Window of the silent flag.
        text_col: Text column.

    Returns:
        A :class:`TimeSplit`.

    Raises:
        ValueError: Missing tables, or training labels that reach past ``test_as_of``.
    """
    many = isinstance(train_as_of, (list, tuple, pd.Index, pd.Series, np.ndarray))
    trs = sorted(_as_of(t) for t in (train_as_of if many else [train_as_of]))
    te = _as_of(test_as_of)
    if not trs:
        raise ValueError("fit_time_split: no training snapshot")
    if trs[-1] + pd.Timedelta(days=horizon_days) > te:
        raise ValueError(
            f"fit_time_split: the training labels ({trs[-1].date()} + {horizon_days:g} days) reach past "
            f"test_as_of {te.date()}; move train_as_of earlier or shorten the horizon"
        )
    missing = [k for k in ("feedback", "contacts", "events") if k not in data]
    if missing:
        raise ValueError(f"fit_time_split: data lacks {missing}")
    ev = validate_events(data["events"])
    last = ev["timestamp"].max()
    if pd.notna(last) and te + pd.Timedelta(days=horizon_days) > last + pd.Timedelta(days=1):
        warnings.warn(
            f"fit_time_split: the data ends on {last.date()}, before the end of the test horizon "
            f"({(te + pd.Timedelta(days=horizon_days)).date()}); later churns are not in the labels",
            stacklevel=2,
        )
    if assignment is None:
        assignment = data.get("assignment")
    kw = {
        "horizon_days": horizon_days,
        "assignment": assignment,
        "open_issues": open_issues,
        "silent_window_days": silent_window_days,
        "text_col": text_col,
    }
    args = (data["feedback"], data["contacts"], data["events"], data.get("customers"))
    X_tr, y_tr = snapshots(*args, as_of=trs, **kw)
    X_te, y_te = churn_features(*args, as_of=te, **kw)
    assert y_te is not None
    m = ChurnModel(model=model, horizon_days=horizon_days) if isinstance(model, str) else model
    m.fit(X_tr, y_tr)
    result = m.evaluate(X_te, y_te)
    m.metadata_ = {
        "train_as_of": [str(t) for t in trs],
        "test_as_of": str(te),
        "horizon_days": horizon_days,
        "test": {k: v for k, v in result.to_dict().items() if k != "calibration"},
    }
    return TimeSplit(m, result, X_tr, y_tr, X_te, y_te, trs, te)


# --------------------------------------------------------------------------- per-issue forecast
def _risk_frame(
    model: ChurnModel | None,
    frame: pd.DataFrame,
    *,
    assignment: pd.DataFrame | None,
    open_issues: Iterable[Any] | None,
    as_of: Any,
) -> tuple[pd.DataFrame, pd.Series]:
    """Features (derived from profiles when needed) and the churn risk per row."""
    if model is None:
        if "churn_risk" not in frame.columns:
            raise ValueError("pass a fitted ChurnModel, or a frame with a 'churn_risk' column")
        return frame, frame["churn_risk"].astype(float)
    names = list(model.feature_names_in_)
    feats = frame
    if any(c not in frame.columns for c in names):
        at = as_of if as_of is not None else frame.attrs.get("as_of")
        if at is None:
            raise ValueError(
                "the frame has neither the model's features nor profiles.attrs['as_of']; pass as_of= "
                "or features from voc.churn.churn_features"
            )
        feats = features_from_profiles(frame, assignment=assignment, open_issues=open_issues, as_of=at)
        gaps = [c for c in names if c in feats.columns and feats[c].isna().all()]
        if gaps:
            warnings.warn(
                f"features {gaps} need the raw tables; filled with training medians "
                "(use voc.churn.churn_features for full features)",
                stacklevel=3,
            )
    return feats, model.risk(feats)


def _pairs(
    assignment: pd.DataFrame, index: pd.Index, open_issues: Iterable[Any] | None, before: pd.Timestamp | None
) -> pd.DataFrame:
    if not {"customer_id", "issue_id"} <= set(assignment.columns):
        raise ValueError("assignment needs 'customer_id' and 'issue_id' columns")
    a = assignment
    if before is not None and "timestamp" in a.columns:
        ts = pd.to_datetime(a["timestamp"], errors="coerce")
        a = a[ts.isna() | (ts < before)]
    a = a[["customer_id", "issue_id"]].dropna().drop_duplicates()
    if open_issues is not None:
        a = a[a["issue_id"].isin(list(open_issues))]
    return a[a["customer_id"].isin(index)]


def issue_forecast(
    model: ChurnModel | None,
    profiles_or_features: pd.DataFrame,
    assignment: pd.DataFrame,
    issues: pd.DataFrame | None = None,
    *,
    horizon_days: float | None = None,
    value_col: str = "monetary",
    open_issues: Iterable[Any] | None = None,
    high_value_quantile: float = 0.8,
    risk_threshold: float = 0.3,
    as_of: Any = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per open issue: who is affected, how many will still churn if it stays unfixed, what it costs.

    The churn risk of each active customer comes from ``model`` over its
    training horizon; for another ``horizon_days`` it is rescaled with a
    constant hazard (``1 - (1 - risk) ** (horizon / model horizon)``).
    "Affected" = customers with a row of the issue in ``assignment`` (texts from
    :func:`voc.issues.discover_issues`, extended with
    :meth:`voc.issues.WhoElse.as_assignment` for customers found through
    events only). Customers who already churned are counted but carry no
    further risk.

    * ``expected_churn`` = sum of the risks of the active affected customers,
      with a normal interval of the Poisson-binomial count (the uncertainty of
      the outcomes given calibrated risks, not of the model);
    * ``expected_excess_churn`` = ``expected_churn`` - active affected x
      ``baseline_risk`` (mean risk of active customers with no open issue):
      the churn attributable to the issue if it stays unfixed;
    * ``value_at_risk`` = sum of risk x value (``value_col``, default the
      monetary value of RFM); ``high_value`` = affected customers whose value is
      in the top ``1 - high_value_quantile`` of all active customers,
      ``high_value_at_risk`` those of them with a risk >= ``risk_threshold``.

    Args:
        model: A fitted :class:`ChurnModel` (``None``: use a ``churn_risk`` column).
        profiles_or_features: Output of :func:`churn_features` (best) or of
            :func:`voc.customers.profile_customers` (features are derived from
            it; those needing the raw tables are filled with training medians).
        assignment: ``customer_id`` / ``issue_id`` [/ ``timestamp``] rows.
        issues: Issues table (``label``), e.g. from :func:`voc.issues.discover_issues`.
        horizon_days: Forecast horizon (default: the model's).
        value_col: Column with the customer value.
        open_issues: Issue ids still open (default: every issue in ``assignment``).
        high_value_quantile: Value quantile from which a customer is high-value.
        risk_threshold: Risk from which a customer counts as "at risk".
        as_of: Snapshot time (default ``attrs["as_of"]`` of the frame); assignment
            rows at or after it are ignored.
        confidence: Level of the ``expected_churn`` interval.

    Returns:
        One row per issue, largest value at risk first: ``issue_id``, ``label``,
        ``affected``, ``vocal``, ``silent``, ``already_churned``, ``active``,
        ``expected_churn``, ``expected_churn_low``, ``expected_churn_high``,
        ``expected_churn_silent``, ``baseline_risk``, ``expected_excess_churn``,
        ``value_affected``, ``value_at_risk``, ``high_value``,
        ``high_value_at_risk``, ``expected_high_value_churn``. ``attrs`` has
        ``horizon_days``, ``risk_threshold`` and ``high_value_min``.
    """
    from scipy.stats import norm

    frame = profiles_or_features
    at = as_of if as_of is not None else frame.attrs.get("as_of")
    at = _as_of(at) if at is not None else None
    feats, risk = _risk_frame(model, frame, assignment=assignment, open_issues=open_issues, as_of=at)
    h0 = float(model.horizon_days) if model is not None else float(horizon_days or 90)
    h = float(horizon_days) if horizon_days is not None else h0
    if h != h0:
        risk = 1.0 - (1.0 - risk.clip(0, 1)) ** (h / h0)
    if value_col not in frame.columns and value_col not in feats.columns:
        raise ValueError(f"issue_forecast: no value column {value_col!r}")
    value = (frame[value_col] if value_col in frame.columns else feats[value_col]).astype(float).fillna(0.0)
    churned = (
        frame["churned"].fillna(False).astype(bool)
        if "churned" in frame.columns
        else pd.Series(False, index=frame.index)
    )
    active = ~churned
    risk = risk.where(active, 0.0)

    def flag(name: str) -> pd.Series:
        src = frame if name in frame.columns else feats
        return src[name].fillna(False).astype(bool) if name in src.columns else pd.Series(False, index=frame.index)

    silent, vocal = flag("silent"), flag("vocal")
    pairs = _pairs(assignment, frame.index, open_issues, at)
    hv_min = float(value[active].quantile(high_value_quantile)) if active.any() else float("inf")
    exposed = frame.index.isin(pairs["customer_id"])
    base_mask = active & ~exposed
    baseline = float(risk[base_mask].mean()) if base_mask.any() else float(risk[active].mean())
    z = float(norm.ppf(0.5 + confidence / 2))
    rows = []
    for iid, grp in pairs.groupby("issue_id", sort=False):
        ids = pd.Index(grp["customer_id"].unique())
        act = ids[active.reindex(ids).to_numpy()]
        r = risk.reindex(act)
        v = value.reindex(act)
        hv = act[(v >= hv_min).to_numpy()]
        exp = float(r.sum())
        sd = float(np.sqrt((r * (1 - r)).sum()))
        rows.append(
            {
                "issue_id": iid,
                "affected": len(ids),
                "vocal": int(vocal.reindex(ids).sum()),
                "silent": int(silent.reindex(ids).sum()),
                "already_churned": int(churned.reindex(ids).sum()),
                "active": len(act),
                "expected_churn": exp,
                "expected_churn_low": max(exp - z * sd, 0.0),
                "expected_churn_high": exp + z * sd,
                "expected_churn_silent": float(r[silent.reindex(act).to_numpy()].sum()),
                "baseline_risk": baseline,
                "expected_excess_churn": exp - len(act) * baseline,
                "value_affected": float(value.reindex(ids).sum()),
                "value_at_risk": float((r * v).sum()),
                "high_value": len(hv),
                "high_value_at_risk": int((risk.reindex(hv) >= risk_threshold).sum()),
                "expected_high_value_churn": float(risk.reindex(hv).sum()),
            }
        )
    cols = [
        "issue_id", "affected", "vocal", "silent", "already_churned", "active", "expected_churn",
        "expected_churn_low", "expected_churn_high", "expected_churn_silent", "baseline_risk",
        "expected_excess_churn", "value_affected", "value_at_risk", "high_value", "high_value_at_risk",
        "expected_high_value_churn",
    ]
    t = pd.DataFrame(rows, columns=cols)
    if issues is not None and "label" in issues.columns:
        lab = issues.set_index("issue_id")["label"] if "issue_id" in issues.columns else issues["label"]
        t.insert(1, "label", t["issue_id"].map(lab))
    t = t.sort_values("value_at_risk", ascending=False, kind="stable").reset_index(drop=True)
    t.attrs.update(horizon_days=h, risk_threshold=risk_threshold, high_value_min=hv_min, confidence=confidence)
    return t


def plot_issue_forecast(
    table: pd.DataFrame, ax: Any = None, top: int = 15, chinese_labels: bool | None = None
) -> Any:
    """Bar chart of :func:`issue_forecast`: expected churn per issue, silent vs vocal, with value at risk.

    Each bar is the expected further churn if the issue stays unfixed, split
    into silent (dark) and other customers, with the interval as an error bar
    and the value at risk and high-value customers at risk written beside it.

    Args:
        table: Output of :func:`issue_forecast`.
        ax: A matplotlib ``Axes`` (default: a new figure).
        top: Issues shown (the table's order: largest value at risk first).
        chinese_labels: Use the issue labels (default: only when a CJK font is
            installed; else ``issue <id>``).

    Returns:
        The ``Axes``.
    """
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from voc.issues import _CJK_FONTS

    installed = {f.name for f in font_manager.fontManager.ttflist}
    fonts = [f for f in _CJK_FONTS if f in installed]
    if chinese_labels is None:
        chinese_labels = bool(fonts)
    t = table.head(top).iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.45 * len(t) + 1.5))
    labels = t["label"] if "label" in t.columns and chinese_labels else [None] * len(t)
    names = [
        f"{i}: {lab}" if isinstance(lab, str) else f"issue {i}"
        for i, lab in zip(t["issue_id"], labels, strict=True)
    ]
    y = np.arange(len(t))
    silent = t["expected_churn_silent"].to_numpy(dtype=float)
    other = (t["expected_churn"] - t["expected_churn_silent"]).clip(lower=0).to_numpy(dtype=float)
    ax.barh(y, silent, color="#7f1d1d", label="silent customers")
    ax.barh(y, other, left=silent, color="#e57373", label="vocal / other customers")
    err = np.vstack(
        [
            (t["expected_churn"] - t["expected_churn_low"]).clip(lower=0),
            (t["expected_churn_high"] - t["expected_churn"]).clip(lower=0),
        ]
    )
    ax.errorbar(t["expected_churn"], y, xerr=err, fmt="none", ecolor="black", capsize=3, linewidth=0.8)
    xmax = float(t["expected_churn_high"].max()) if len(t) else 1.0
    for yi, (_, r) in zip(y, t.iterrows(), strict=True):
        ax.text(
            r["expected_churn_high"] + 0.02 * xmax,
            yi,
            f"value at risk {r['value_at_risk']:,.0f} · {int(r['high_value_at_risk'])} high-value",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontfamily=fonts[0] if fonts else None)
    ax.set_xlim(0, xmax * 1.6 + 1e-9)
    h = table.attrs.get("horizon_days")
    ax.set_xlabel(f"expected churn if unfixed{f' (next {h:g} days)' if h else ''}")
    ax.set_title("Churn forecast per open issue")
    ax.legend(loc="lower right", fontsize=8)
    return ax


# --------------------------------------------------------------------------- win-back list
def winback_list(
    issue_id: Any,
    assignment: pd.DataFrame,
    profiles: pd.DataFrame,
    personas: pd.DataFrame | None = None,
    model: ChurnModel | None = None,
    *,
    fixed_at: Any = None,
    issues: pd.DataFrame | None = None,
    features: pd.DataFrame | None = None,
    quiet_days: float = 60,
    value_col: str = "monetary",
    strategies: str | Path | pd.DataFrame | None = None,
    top: int | None = None,
) -> pd.DataFrame:
    """Customers a fixed issue drove away, ranked for a win-back message (seed 004 "主动服务").

    Candidates: customers with a row of ``issue_id`` in ``assignment`` (before
    ``fixed_at`` when the assignment has timestamps) who **churned**, or who
    went **quiet**: still customers, no order for ``quiet_days`` and none since
    they hit the issue.

    ``score = value x likelihood`` with ``likelihood = cause x recency x
    loyalty x state`` (0-1):

    * ``cause`` 1 when the churn / the last order came after the customer's
      first row of the issue (the loss followed the issue), else 0.4;
    * ``recency`` ``exp(-days since the loss / 180)`` (the loss = the churn date,
      or the last order of a quiet customer), counted at ``fixed_at``;
    * ``loyalty`` ``0.5 + 0.5 x`` the mean of the tenure and order-frequency
      percentiles among all profiled customers;
    * ``state`` 0.7 for churned customers, 1 for quiet ones; with ``model`` and
      ``features`` a quiet customer's state is ``0.5 + 0.5 x churn risk``
      (the likelier to leave, the more urgent the message).

    The message names the fixed issue, apologises and invites the customer
    back, then follows the strategy for the customer's non-complaint reason and
    archetype (``voc/data/persona_strategies.csv``, seed 000); without either,
    the strategy for the customer's problem level (seed 001).

    Args:
        issue_id: The fixed issue (or a list of ids).
        assignment: ``customer_id`` / ``issue_id`` [/ ``timestamp``] rows (from
            :func:`voc.issues.discover_issues`, plus
            :meth:`voc.issues.WhoElse.as_assignment` for silent customers).
        profiles: Output of :func:`voc.customers.profile_customers` (``churned``,
            ``churn_date``, ``recency_days``, ``tenure_days``, ``frequency``,
            ``top_reason`` and ``value_col``).
        personas: Output of :func:`voc.personas.assign_personas` (for
            ``primary_archetype``), or ``None``.
        model: Optional :class:`ChurnModel` to rank quiet customers by risk.
        fixed_at: When the issue was fixed (default ``profiles.attrs["as_of"]``).
        issues: Issues table, for the label.
        features: Features of the customers for ``model`` (default: derived
            from ``profiles``).
        quiet_days: Days without an order after which a customer is quiet.
        value_col: Customer value column.
        strategies: Strategy table (default shipped).
        top: Keep the first ``top`` rows.

    Returns:
        Ranked DataFrame (export with ``.to_csv``): ``rank``, ``customer_id``,
        ``issue_id``, ``issue_label``, ``state`` (``churned`` | ``quiet``),
        ``first_hit``, ``lost_at``, ``days_lost``, ``after_issue``, ``value``,
        ``likelihood``, ``score``, ``churn_risk``, ``primary_archetype``,
        ``top_reason``, ``problem_status``, ``message_zh``, ``message_en``.
    """
    from voc.personas import load_strategies

    ids = list(issue_id) if isinstance(issue_id, (list, tuple, set)) else [issue_id]
    ref = fixed_at if fixed_at is not None else profiles.attrs.get("as_of")
    if ref is None:
        raise ValueError("winback_list: pass fixed_at= (or profiles with attrs['as_of'])")
    ref = _as_of(ref)
    if not {"customer_id", "issue_id"} <= set(assignment.columns):
        raise ValueError("winback_list: assignment needs 'customer_id' and 'issue_id' columns")
    a = assignment[assignment["issue_id"].isin(ids) & assignment["customer_id"].notna()]
    ts = (
        pd.to_datetime(a["timestamp"], errors="coerce")
        if "timestamp" in a.columns
        else pd.Series(pd.NaT, index=a.index)
    )
    a = a.assign(_ts=ts)[ts.isna() | (ts <= ref)]
    a = a[a["customer_id"].isin(profiles.index)]
    first_hit = a.groupby("customer_id")["_ts"].min()
    issue_of = a.groupby("customer_id")["issue_id"].agg(lambda s: s.mode().iloc[0])
    p = profiles.reindex(first_hit.index)
    as_of = _as_of(profiles.attrs.get("as_of", ref))

    churned = p["churned"].fillna(False).astype(bool) & (p["churn_date"] <= ref)
    last_order = as_of - pd.to_timedelta(p["recency_days"].astype(float), unit="D")
    no_order_since = last_order.isna() | first_hit.isna() | (last_order < first_hit)
    quiet = ~churned & ((ref - last_order.fillna(p.get("first_seen", pd.NaT))) / pd.Timedelta(days=1) >= quiet_days)
    quiet &= no_order_since
    keep = churned | quiet
    p, first_hit, issue_of = p[keep], first_hit[keep], issue_of[keep]
    state = np.where(churned[keep], "churned", "quiet")
    lost_at = pd.Series(np.where(state == "churned", p["churn_date"], last_order[keep]), index=p.index)
    lost_at = pd.to_datetime(lost_at)
    days_lost = ((ref - lost_at) / pd.Timedelta(days=1)).clip(lower=0)
    after = first_hit.isna() | lost_at.isna() | (lost_at >= first_hit - pd.Timedelta(days=1))

    ten_pct = profiles["tenure_days"].rank(pct=True).reindex(p.index).fillna(0.5)
    freq_pct = profiles["frequency"].rank(pct=True).reindex(p.index).fillna(0.5)
    loyalty = 0.5 + 0.5 * (ten_pct + freq_pct) / 2
    recency = np.exp(-days_lost.fillna(365) / 180.0)
    cause = np.where(after, 1.0, 0.4)
    st_factor = pd.Series(np.where(state == "churned", 0.7, 1.0), index=p.index)
    risk = pd.Series(np.nan, index=p.index)
    if model is not None and (state == "quiet").any():
        qids = p.index[state == "quiet"]
        if features is not None:
            r = model.risk(features.reindex(qids))
        else:
            _, r_all = _risk_frame(model, profiles, assignment=assignment, open_issues=None, as_of=as_of)
            r = r_all.reindex(qids)
        risk.loc[qids] = r.to_numpy()
        st_factor.loc[qids] = 0.5 + 0.5 * r.to_numpy()
    likelihood = (cause * recency * loyalty * st_factor).clip(0, 1)
    if value_col not in p.columns:
        raise ValueError(f"winback_list: profiles have no value column {value_col!r}")
    value = p[value_col].astype(float).fillna(0.0)

    st = load_strategies(strategies)
    lookup = {
        (k, str(key)): (zh, en)
        for k, key, zh, en in zip(st["kind"], st["key"], st["strategy_zh"], st["strategy_en"], strict=True)
    }
    labels: dict[Any, str] = {}
    if issues is not None and "label" in issues.columns:
        lab = issues.set_index("issue_id")["label"] if "issue_id" in issues.columns else issues["label"]
        labels = {k: str(v) for k, v in lab.items() if isinstance(v, str)}
    arche = (
        personas["primary_archetype"].reindex(p.index)
        if personas is not None and "primary_archetype" in personas.columns
        else pd.Series(None, index=p.index, dtype=object)
    )
    reason = p["top_reason"] if "top_reason" in p.columns else pd.Series(None, index=p.index, dtype=object)
    level = p["problem_level"] if "problem_level" in p.columns else pd.Series(np.nan, index=p.index)
    day = ref.strftime("%Y-%m-%d")
    zh, en = [], []
    for cid in p.index:
        iid = issue_of[cid]
        name_zh = f"「{labels[iid]}」" if iid in labels else "您之前遇到的"
        name_en = f"'{labels[iid]}'" if iid in labels else f"issue {iid}"
        parts = []
        rs = reason.get(cid)
        if isinstance(rs, str) and ("reason", rs) in lookup:
            parts.append(lookup[("reason", rs)])
        ar = arche.get(cid)
        if isinstance(ar, str) and ("archetype", ar) in lookup:
            parts.append(lookup[("archetype", ar)])
        lvl = level.get(cid)
        if not parts and pd.notna(lvl) and ("level", str(int(lvl))) in lookup:
            parts.append(lookup[("level", str(int(lvl)))])
        head_zh = f"告知{name_zh}问题已于{day}修复，致歉并邀请回来（可附补偿券）"
        head_en = f"Tell them {name_en} was fixed on {day}, apologise and invite them back (with a voucher)"
        zh.append("；".join([head_zh, *(s[0] for s in parts)]))
        en.append("; ".join([head_en, *(s[1] for s in parts)]))
    out = pd.DataFrame(
        {
            "customer_id": p.index,
            "issue_id": issue_of.to_numpy(),
            "issue_label": [labels.get(i) for i in issue_of],
            "state": state,
            "first_hit": first_hit.to_numpy(),
            "lost_at": lost_at.to_numpy(),
            "days_lost": days_lost.round(1).to_numpy(),
            "after_issue": np.asarray(after, dtype=bool),
            "value": value.to_numpy(),
            "likelihood": np.round(np.asarray(likelihood, dtype=float), 4),
            "churn_risk": risk.to_numpy(),
            "primary_archetype": arche.to_numpy(),
            "top_reason": reason.to_numpy(),
            "problem_status": p["problem_status"].to_numpy() if "problem_status" in p.columns else None,
            "message_zh": zh,
            "message_en": en,
        }
    )
    out["score"] = np.round(out["value"] * out["likelihood"], 4)
    out = out.sort_values(["score", "customer_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    order = [
        "rank", "customer_id", "issue_id", "issue_label", "state", "first_hit", "lost_at", "days_lost",
        "after_issue", "value", "likelihood", "score", "churn_risk", "primary_archetype", "top_reason",
        "problem_status", "message_zh", "message_en",
    ]
    out = out[order]
    out.attrs.update(fixed_at=ref, issue_id=ids)
    return out.head(top) if top else out
