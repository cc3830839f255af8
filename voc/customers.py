"""Customer profiles from feedback texts, service contacts and behavioural events.

This module turns four tables into one row per customer: RFM, contact frequency,
tenure, NPS, problem signals, the **silent** flag (seed 000 / 004: a problem but
no contact with customer service) and the **problem level** 1-4 (seed 001).

Input schemas (pandas DataFrames; extra columns are kept and ignored):

* ``feedback`` -- one row per text: ``text`` (str), ``timestamp`` (datetime or
  parseable string), ``channel`` (str), ``customer_id`` (optional; rows without
  one are anonymous and do not enter profiles). The per-text analysis columns of
  :func:`voc.analyze_frame` (``sentiment``, ``sentiment_score``, ``emotion``,
  ``non_complaint_reasons``, ``journey_stage``, ``evidence`` ...) are used when
  present; when ``sentiment`` is missing the analyzer is run (lazily imported).
* ``contacts`` -- one row per contact with customer service: ``customer_id``,
  ``channel`` (hotline, online_chat, app, email ...), ``timestamp``; optional
  ``topic`` (str) and ``resolved`` (bool).
* ``events`` -- behaviour: ``customer_id``, ``timestamp``, ``type`` (``order``,
  ``return``, ``cancel``, ``unsubscribe``, ``churn``, ``nps``,
  ``self_service_fail`` or any other string); optional ``amount`` (number,
  orders and returns), ``score`` (0-10, NPS) and ``detail`` (str, e.g. an error
  code; used by :func:`voc.issues.who_else` to match event patterns).
* ``customers`` (optional) -- ``customer_id``; optional ``signup_date``
  (datetime), ``verified`` (bool, 实名认证) and any attributes.

The way in is :class:`voc.History` (tables checked once by :mod:`voc.schema`, one ``as_of``,
the analyzer run once): ``profile_customers(history)``. Validation (:func:`voc.schema.validate`;
:func:`validate_feedback` & co. for the old signature) raises ``ValueError`` naming the
missing column or the column with a bad dtype; row-level problems (unparseable
timestamp, missing id, non-numeric amount ...) never drop a row: they are
written to a ``validation_error`` column, the row is left out of the
computation, and a warning says how many rows were affected.

Example:
    >>> import voc
    >>> from voc.synthetic import generate_history
    >>> g = generate_history(n_customers=300, seed=1)
    >>> h = voc.History.from_frames(g["feedback"], g["contacts"], g["events"], g["customers"])
    >>> prof = profile_customers(h)
    >>> int(prof["silent"].sum()) > 0
    True
    >>> sorted(prof["problem_level"].unique().tolist())
    [0, 1, 2, 3, 4]
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from voc.history import History
from voc.schema import (
    CONTACTS,
    CUSTOMERS,
    ERROR_COL,
    EVENTS,
    FEEDBACK,
    Schema,
    as_timestamp,
    default_as_of,
    empty_table,
    parse_list_column,
    usable,
    validate,
)

__all__ = [
    "Schema",
    "FEEDBACK",
    "CONTACTS",
    "EVENTS",
    "CUSTOMERS",
    "PROBLEM_EVENT_TYPES",
    "ROUTINE_INTENTS",
    "BENIGN_DETAILS",
    "CONTACT_FEEDBACK_CHANNELS",
    "validate",
    "validate_feedback",
    "validate_contacts",
    "validate_events",
    "validate_customers",
    "ensure_analyzed",
    "profile_customers",
]

#: Event types that count as a problem signal (besides negative texts and low NPS).
PROBLEM_EVENT_TYPES: tuple[str, ...] = ("return", "cancel", "unsubscribe", "churn", "self_service_fail")
#: Text intents that are routine rather than a complaint: a negative text with one of them is a weak signal.
ROUTINE_INTENTS: tuple[str, ...] = ("inquiry", "cancel")
#: Event details (lower case) that make a return / cancel no problem signal at all (decoys).
BENIGN_DETAILS: tuple[str, ...] = (
    "changed_mind",
    "size_exchange",
    "no_reason_7d",
    "no_reason",
    "ordered_by_mistake",
    "duplicate_order",
    "七天无理由",
    "不想要了",
    "拍错了",
    "多拍",
    "换尺码",
)
#: Feedback channels that are themselves a contact with customer service.
CONTACT_FEEDBACK_CHANNELS: tuple[str, ...] = ("chat", "online_chat", "hotline", "hotline_transcript", "email")
#: Journey stages (seed 001) read as "the problem is still open".
OPEN_STAGES = frozenset(
    {"problem_found", "seeking_help", "in_progress", "unresolved", "unsolvable", "recurred"}
)


def validate_feedback(df: pd.DataFrame) -> pd.DataFrame:
    """Validate a feedback table (see the module docstring). Returns a parsed copy."""
    return validate(df, FEEDBACK)


def validate_contacts(df: pd.DataFrame) -> pd.DataFrame:
    """Validate a contacts table (see the module docstring). Returns a parsed copy."""
    return validate(df, CONTACTS)


def validate_events(df: pd.DataFrame) -> pd.DataFrame:
    """Validate an events table (see the module docstring). Returns a parsed copy (``type`` in lower case)."""
    return validate(df, EVENTS)


def validate_customers(df: pd.DataFrame) -> pd.DataFrame:
    """Validate a customers table (see the module docstring); a repeated ``customer_id`` is flagged."""
    return validate(df, CUSTOMERS)


def _usable(df: pd.DataFrame, table: str) -> pd.DataFrame:
    return usable(df, table, stacklevel=4)


# --------------------------------------------------------------------------- analysis
def ensure_analyzed(
    feedback: pd.DataFrame, text_col: str = "text", required: Sequence[str] = ("sentiment",)
) -> pd.DataFrame:
    """Return ``feedback`` with the analyzer columns, running :func:`voc.analyze_frame` if needed.

    Args:
        feedback: Feedback rows.
        text_col: The text column.
        required: Columns that must exist; when any is missing the analyzer runs.

    Returns:
        ``feedback`` itself when the columns exist, else the analyzed frame.

    Raises:
        ImportError: The analyzer is not available.
    """
    if all(c in feedback.columns for c in required):
        return feedback
    try:
        from voc import analyze_frame
    except (ImportError, AttributeError) as e:
        raise ImportError(
            f"feedback lacks {[c for c in required if c not in feedback.columns]} and voc.analyze_frame "
            "is not available; pass analysed feedback (columns of voc.analyze_frame)"
        ) from e
    return analyze_frame(feedback, text_col=text_col)


def sentiment_values(feedback: pd.DataFrame) -> pd.Series:
    """Sentiment as a number in [-1, 1]: ``sentiment_score`` when present, else the label (-1/0/1)."""
    lab = feedback["sentiment"].map({"negative": -1.0, "neutral": 0.0, "positive": 1.0}).astype(float)
    if "sentiment_score" in feedback.columns:
        score = pd.to_numeric(feedback["sentiment_score"], errors="coerce")
        return score.fillna(lab)
    return lab


# --------------------------------------------------------------------------- profile
def _days(delta: pd.Series | pd.Timedelta) -> Any:
    return delta / pd.Timedelta(days=1)


def _slope(df: pd.DataFrame, key: str, x: str, y: str) -> pd.Series:
    """Least-squares slope of y on x per group, vectorised (NaN for < 2 distinct x)."""
    g = df.assign(_xx=df[x] * df[x], _xy=df[x] * df[y]).groupby(key)
    n = g[x].count()
    sx, sy, sxx, sxy = g[x].sum(), g[y].sum(), g["_xx"].sum(), g["_xy"].sum()
    den = n * sxx - sx * sx
    slope = (n * sxy - sx * sy) / den.where(den > 1e-9)
    return slope


def _all_contacts(fb: pd.DataFrame, ct: pd.DataFrame, channels: Iterable[str]) -> pd.DataFrame:
    """Contacts table plus contact-channel feedback rows that no contact row within a day explains."""
    base = ct[["customer_id", "timestamp"]]
    is_contact = fb["channel"].astype(str).str.lower().isin({c.lower() for c in channels})
    extra = fb.loc[is_contact, ["customer_id", "timestamp"]]
    if extra.empty:
        return base.reset_index(drop=True)
    if len(base):
        left = extra.sort_values("timestamp")
        right = base.rename(columns={"timestamp": "_ct"}).sort_values("_ct")
        left = left.assign(customer_id=left["customer_id"].astype(str))
        right = right.assign(customer_id=right["customer_id"].astype(str))
        m = pd.merge_asof(
            left,
            right,
            left_on="timestamp",
            right_on="_ct",
            by="customer_id",
            tolerance=pd.Timedelta(days=1),
            direction="nearest",
        )
        extra = extra.loc[left.index[m["_ct"].isna().to_numpy()]]
    return pd.concat([base, extra], ignore_index=True)


def _signal_table(
    fb: pd.DataFrame,
    ev: pd.DataFrame,
    low: pd.DataFrame,
    ptypes: set[str],
    benign_details: Iterable[str],
    routine_intents: Iterable[str],
) -> pd.DataFrame:
    """Problem signals with their evidence weight (2 strong, 1 weak); ignored ones are left out.

    Columns ``customer_id``, ``timestamp``, ``kind``, ``weight``. Weak signals of one kind on one
    day count once (they are not independent).
    """
    neg = fb[fb["sentiment"] == "negative"]
    weak_text = pd.Series(False, index=neg.index)
    if "intent" in neg.columns:
        weak_text = neg["intent"].astype(str).str.lower().isin({i.lower() for i in routine_intents})
        if "complaint_stage" in neg.columns:
            weak_text &= neg["complaint_stage"].astype(str) != "complaint"
    texts = pd.DataFrame(
        {
            "customer_id": neg["customer_id"],
            "timestamp": neg["timestamp"],
            "kind": "text",
            "weight": np.where(weak_text.to_numpy(), 1, 2),
        }
    )
    pev = ev[ev["type"].isin(ptypes - {"churn"})]
    if "detail" in pev.columns:
        det = pev["detail"].astype(object).where(pev["detail"].notna(), "").astype(str).str.strip().str.lower()
    else:
        det = pd.Series("", index=pev.index)
    has_detail = ~det.isin({"", "nan", "none"})
    benign = det.isin({str(d).strip().lower() for d in benign_details})
    events = pd.DataFrame(
        {
            "customer_id": pev["customer_id"],
            "timestamp": pev["timestamp"],
            "kind": pev["type"],
            "weight": np.where(benign.to_numpy(), 0, np.where(has_detail.to_numpy(), 2, 1)),
        }
    )
    nps = pd.DataFrame({"customer_id": low["customer_id"], "timestamp": low["timestamp"], "kind": "low_nps", "weight": 1})
    sig = pd.concat([texts, events, nps], ignore_index=True)
    sig = sig[sig["weight"] > 0]
    dup = (sig["weight"] == 1) & sig.assign(_d=sig["timestamp"].dt.floor("D")).duplicated(
        ["customer_id", "kind", "_d"]
    )
    return sig[~dup].reset_index(drop=True)


def _observations(fb: pd.DataFrame, ct: pd.DataFrame, ev: pd.DataFrame, routine_intents: Iterable[str]) -> pd.DataFrame:
    """Status observations: ``customer_id``, ``timestamp``, ``solved``, ``prio`` (contact 2, text 1, order 0)."""
    parts = []
    if "resolved" in ct.columns:
        r = ct[ct["resolved"].notna()]
        parts.append(
            pd.DataFrame(
                {"customer_id": r["customer_id"], "timestamp": r["timestamp"], "solved": r["resolved"].astype(bool), "prio": 2}
            )
        )
    sent = fb["sentiment"]
    good = sent == "positive"
    if "journey_stage" in fb.columns:
        good |= fb["journey_stage"] == "resolved"
        is_open = fb["journey_stage"].isin(OPEN_STAGES) & (sent == "negative") & ~good
        if "intent" in fb.columns:
            is_open &= ~fb["intent"].astype(str).str.lower().isin({i.lower() for i in routine_intents})
    else:
        is_open = pd.Series(False, index=fb.index)
    j = fb[good | is_open]
    parts.append(pd.DataFrame({"customer_id": j["customer_id"], "timestamp": j["timestamp"], "solved": good[j.index], "prio": 1}))
    o = ev[ev["type"] == "order"]
    parts.append(pd.DataFrame({"customer_id": o["customer_id"], "timestamp": o["timestamp"], "solved": True, "prio": 0}))
    return pd.concat(parts, ignore_index=True)


def _latest_before(left: pd.DataFrame, right: pd.DataFrame, col: str) -> pd.Series:
    """Per row of ``left`` (customer_id, timestamp), ``right[col]`` of the latest right row strictly before it."""
    if left.empty or right.empty:
        return pd.Series(pd.NaT, index=left.index, dtype="datetime64[ns]")
    lft = left[["customer_id", "timestamp"]].assign(_k=left["customer_id"].astype(str), _i=left.index)
    rgt = right[["customer_id", "timestamp", col]].assign(_k=right["customer_id"].astype(str))
    m = pd.merge_asof(
        lft.sort_values("timestamp").drop(columns="customer_id"),
        rgt.rename(columns={"timestamp": "_t"}).sort_values("_t").drop(columns="customer_id"),
        left_on="timestamp",
        right_on="_t",
        by="_k",
        direction="backward",
        allow_exact_matches=False,
    )
    return m.set_index("_i")[col].reindex(left.index)


def _evidence_problems(
    prof: pd.DataFrame,
    sig: pd.DataFrame,
    obs: pd.DataFrame,
    cts: pd.DataFrame,
    fb: pd.DataFrame,
    window_start: pd.Timestamp | None,
    as_of: pd.Timestamp,
    *,
    contact_grace_days: int,
    episode_gap_days: int,
    quiet_gap_days: int,
    solved_order_days: int | None,
    min_evidence: int,
) -> None:
    """The evidence rule (docs/customers.md): problem, silent, episodes, status and level; fills ``prof``."""
    all_ids = prof.index
    grace = pd.Timedelta(days=contact_grace_days)
    prof["n_problem_signals"] = sig.groupby("customer_id").size().reindex(all_ids, fill_value=0).astype(int)
    in_win = sig["timestamp"] <= as_of
    if window_start is not None:
        in_win &= sig["timestamp"] > window_start
    sig = sig[in_win].sort_values(["customer_id", "timestamp"]).reset_index(drop=True)
    # bursts: signals of one customer with gaps <= episode_gap_days; a problem needs a burst with evidence
    gap0 = sig.groupby("customer_id")["timestamp"].diff()
    burst = (gap0.isna() | (gap0 > pd.Timedelta(days=episode_gap_days))).cumsum()
    burst_evidence = sig["weight"].groupby(burst).transform("sum")
    used = sig[burst_evidence >= min_evidence]
    prof["n_problem_signals_window"] = (
        sig.groupby("customer_id").size().reindex(all_ids, fill_value=0).astype(int)
    )
    prof["problem_evidence"] = (
        used.groupby("customer_id")["weight"].sum().reindex(all_ids, fill_value=0).astype(int)
    )
    prof["has_problem"] = prof["problem_evidence"] >= min_evidence
    in_win = pd.Series(True, index=used.index)
    ug = used.groupby("customer_id")["timestamp"]
    prof["first_problem"] = ug.min().reindex(all_ids)
    prof["last_problem"] = ug.max().reindex(all_ids)

    first_win = used[in_win[used.index]].groupby("customer_id")["timestamp"].min()
    c2 = cts.merge(first_win.rename("_fp").reset_index(), on="customer_id", how="inner")
    since_win = c2[c2["timestamp"] >= c2["_fp"] - grace].groupby("customer_id").size()
    in_window = pd.Series(all_ids.isin(first_win.index), index=all_ids)
    prof["silent"] = in_window & (since_win.reindex(all_ids, fill_value=0) == 0)
    prof["vocal"] = in_window & ~prof["silent"]
    c3 = cts.merge(prof["first_problem"].dropna().rename("_fp").reset_index(), on="customer_id", how="inner")
    prof["contacts_since_problem"] = (
        c3[c3["timestamp"] >= c3["_fp"] - grace].groupby("customer_id").size().reindex(all_ids, fill_value=0)
    ).astype(int)

    # churn after an order means the order did not show the problem was solved
    churn_date = prof["churn_date"]
    if solved_order_days is None:  # orders say nothing about the problem
        obs = obs[obs["prio"] > 0]
        solved_order_days = 0
    orders = obs[obs["prio"] == 0]
    cd = churn_date.reindex(orders["customer_id"]).to_numpy()
    obs = pd.concat([obs[obs["prio"] > 0], orders[~(orders["timestamp"].to_numpy() < cd)]], ignore_index=True)

    # episodes: bursts of signals (gaps <= episode_gap_days); a later burst is a new episode when the
    # problem was seen solved since the previous burst began, or after more than quiet_gap_days of quiet
    s = used.sort_values(["customer_id", "timestamp"]).reset_index(drop=True)
    prev = s.groupby("customer_id")["timestamp"].shift()
    burst_new = prev.isna() | (s["timestamp"] - prev > pd.Timedelta(days=episode_gap_days))
    burst_id = burst_new.cumsum()
    burst_start = s["timestamp"].groupby(burst_id).transform("min")
    prev_burst_start = burst_start.where(burst_new).groupby(s["customer_id"]).shift()
    prev_burst_start = prev_burst_start.where(burst_new)
    sol = obs[obs["solved"].astype(bool)]
    t_text = _latest_before(s, sol[sol["prio"] > 0].assign(_t2=lambda d: d["timestamp"]), "_t2")
    t_order = _latest_before(s, sol[sol["prio"] == 0].assign(_t2=lambda d: d["timestamp"]), "_t2")
    solved_between = (t_text > prev_burst_start) | (t_order > prev + pd.Timedelta(days=solved_order_days))
    new_ep = prev.isna() | (
        burst_new & (solved_between | (s["timestamp"] - prev > pd.Timedelta(days=quiet_gap_days)))
    )
    prof["n_episodes"] = new_ep.groupby(s["customer_id"]).sum().reindex(all_ids, fill_value=0).astype(int)

    # status: the latest observation since the first problem (orders only once the signals stopped)
    o = obs[obs["customer_id"].isin(prof.index[prof["has_problem"]])]
    fp = prof["first_problem"].reindex(o["customer_id"]).to_numpy()
    lp = prof["last_problem"].reindex(o["customer_id"]).to_numpy()
    keep = o["timestamp"].to_numpy() >= fp - np.timedelta64(contact_grace_days, "D")
    keep &= (o["prio"].to_numpy() > 0) | (o["timestamp"].to_numpy() >= lp + np.timedelta64(solved_order_days, "D"))
    o = o[keep]
    last_obs = o.sort_values(["timestamp", "prio"]).groupby("customer_id").tail(1).set_index("customer_id")
    status = pd.Series("unknown", index=all_ids, dtype=object)
    status.loc[last_obs.index] = np.where(last_obs["solved"].astype(bool), "solved", "unsolved")
    churn_after = prof["churned"] & (churn_date >= prof["first_problem"])
    status[(status == "unknown") & churn_after] = "unsolved"
    status[~prof["has_problem"]] = None
    prof["problem_status"] = status
    _levels(prof, fb)


def problem_level_rule(has_problem: Any, solved: Any, recurring: Any, contacts: Any) -> np.ndarray:
    """The problem level (seed 001): 0 no problem, 1 solved, 2 solved but recurring,
    4 unsolved after 2+ contacts, else 3 (unsolved, silent or one contact).

    Shared by :func:`profile_customers` and the planted truth of :mod:`voc.synthetic`.
    """
    has = np.asarray(has_problem, dtype=bool)
    sol = np.asarray(solved, dtype=bool)
    rec = np.asarray(recurring, dtype=bool)
    return np.select([~has, sol & ~rec, sol & rec, np.asarray(contacts) >= 2], [0, 1, 2, 4], default=3).astype(int)


def _levels(prof: pd.DataFrame, fb: pd.DataFrame) -> None:
    """``recurring`` and ``problem_level`` (seed 001) from the episode, status and contact columns."""
    recurred_text = pd.Series(False, index=prof.index)
    if "journey_stage" in fb.columns:
        rec = fb.loc[fb["journey_stage"] == "recurred", "customer_id"].unique()
        recurred_text = pd.Series(prof.index.isin(rec), index=prof.index)
    prof["recurring"] = ((prof["n_episodes"] >= 2) | recurred_text) & prof["has_problem"]
    prof["problem_level"] = problem_level_rule(
        prof["has_problem"], prof["problem_status"] == "solved", prof["recurring"], prof["contacts_since_problem"]
    )


def _legacy_problems(
    prof: pd.DataFrame,
    fb: pd.DataFrame,
    ct: pd.DataFrame,
    cts: pd.DataFrame,
    neg: pd.DataFrame,
    pev: pd.DataFrame,
    low: pd.DataFrame,
    window_start: pd.Timestamp,
    as_of: pd.Timestamp,
    contact_grace_days: int,
    episode_gap_days: int,
) -> None:
    """The rule before #14 (``rule="legacy"``): any single signal is a problem; fills ``prof`` in place."""
    all_ids = prof.index
    signals = pd.concat(
        [
            neg[["customer_id", "timestamp"]].assign(kind="text"),
            pev[["customer_id", "timestamp", "type"]].rename(columns={"type": "kind"}),
            low[["customer_id", "timestamp"]].assign(kind="low_nps"),
        ],
        ignore_index=True,
    )
    sg = signals.groupby("customer_id")
    prof["n_problem_signals"] = sg.size().reindex(all_ids, fill_value=0).astype(int)
    win_sig = signals[(signals["timestamp"] > window_start) & (signals["timestamp"] <= as_of)]
    wg = win_sig.groupby("customer_id")["timestamp"]
    prof["n_problem_signals_window"] = wg.size().reindex(all_ids, fill_value=0).astype(int)
    prof["first_problem"] = sg["timestamp"].min().reindex(all_ids)
    prof["last_problem"] = sg["timestamp"].max().reindex(all_ids)
    prof["has_problem"] = prof["n_problem_signals"] > 0

    # contacts since the first problem in the window (silent flag) and since the first problem (level)
    grace = pd.Timedelta(days=contact_grace_days)
    first_win = wg.min()
    c2 = cts.merge(first_win.rename("_fp").reset_index(), on="customer_id", how="inner")
    since_win = c2[c2["timestamp"] >= c2["_fp"] - grace].groupby("customer_id").size()
    prof["silent"] = (prof["n_problem_signals_window"] > 0) & (since_win.reindex(all_ids, fill_value=0) == 0)
    prof["vocal"] = (prof["n_problem_signals_window"] > 0) & ~prof["silent"]
    c3 = cts.merge(prof["first_problem"].dropna().rename("_fp").reset_index(), on="customer_id", how="inner")
    prof["contacts_since_problem"] = (
        c3[c3["timestamp"] >= c3["_fp"] - grace].groupby("customer_id").size().reindex(all_ids, fill_value=0)
    ).astype(int)

    # episodes (churn is an outcome, not an experience)
    ep = signals[signals["kind"] != "churn"].sort_values(["customer_id", "timestamp"])
    gap = ep.groupby("customer_id")["timestamp"].diff()
    ep_new = gap.isna() | (gap > pd.Timedelta(days=episode_gap_days))
    prof["n_episodes"] = ep_new.groupby(ep["customer_id"]).sum().reindex(all_ids, fill_value=0).astype(int)
    recurred_text = pd.Series(False, index=all_ids)
    if "journey_stage" in fb.columns:
        rec = fb.loc[fb["journey_stage"] == "recurred", "customer_id"].unique()
        recurred_text = pd.Series(all_ids.isin(rec), index=all_ids)
    prof["recurring"] = (prof["n_episodes"] >= 2) | recurred_text

    # status: latest observation
    obs = []
    if "resolved" in ct.columns:
        r = ct[ct["resolved"].notna()]
        obs.append(
            pd.DataFrame(
                {
                    "customer_id": r["customer_id"],
                    "timestamp": r["timestamp"],
                    "solved": r["resolved"].astype(bool),
                    "prio": 1,
                }
            )
        )
    if "journey_stage" in fb.columns:
        stage = fb["journey_stage"]
        j = fb[(stage == "resolved") | (stage.isin(OPEN_STAGES) & (fb["sentiment"] == "negative"))]
        obs.append(
            pd.DataFrame(
                {
                    "customer_id": j["customer_id"],
                    "timestamp": j["timestamp"],
                    "solved": j["journey_stage"] == "resolved",
                    "prio": 0,
                }
            )
        )
    status = pd.Series("unknown", index=all_ids, dtype=object)
    if obs:
        o = pd.concat(obs, ignore_index=True)
        o = o[o["customer_id"].isin(prof.index[prof["has_problem"]])]
        fp = prof["first_problem"].reindex(o["customer_id"]).to_numpy()
        o = o[o["timestamp"].to_numpy() >= fp - np.timedelta64(contact_grace_days, "D")]
        last_obs = (
            o.sort_values(["timestamp", "prio"]).groupby("customer_id").tail(1).set_index("customer_id")
        )
        status.loc[last_obs.index] = np.where(last_obs["solved"].astype(bool), "solved", "unsolved")
    churn_after = prof["churned"] & (prof["churn_date"] >= prof["first_problem"])
    status[(status == "unknown") & churn_after] = "unsolved"
    status[~prof["has_problem"]] = None
    prof["problem_status"] = status

    prof["problem_level"] = problem_level_rule(
        prof["has_problem"], prof["problem_status"] == "solved", prof["recurring"], prof["contacts_since_problem"]
    )


def _coded_ids(
    ids: pd.Index, *tables: pd.DataFrame | None
) -> tuple[pd.DataFrame | None, ...] | None:
    """``tables`` with ``customer_id`` replaced by its position in ``ids`` (``None`` tables stay
    ``None``); ``None`` when an id is not in ``ids`` or ``ids`` is not sorted and unique."""
    if not len(ids) or not ids.is_unique or not ids.is_monotonic_increasing:
        return None
    out = []
    for df in tables:
        if df is None:
            out.append(None)
            continue
        codes = ids.get_indexer(df["customer_id"])
        if (codes < 0).any():
            return None
        out.append(df.assign(customer_id=codes))
    return tuple(out)


def profile_customers(
    feedback: pd.DataFrame | History,
    contacts: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    as_of: Any = None,
    silent_window_days: float | None = None,
    contact_grace_days: int = 7,
    episode_gap_days: int = 14,
    quiet_gap_days: int = 60,
    solved_order_days: int | None = 7,
    min_evidence: int = 2,
    new_customer_days: int = 365,
    low_nps: float = 6,
    problem_event_types: Iterable[str] = PROBLEM_EVENT_TYPES,
    benign_details: Iterable[str] = BENIGN_DETAILS,
    routine_intents: Iterable[str] = ROUTINE_INTENTS,
    contact_feedback_channels: Iterable[str] = CONTACT_FEEDBACK_CHANNELS,
    text_col: str = "text",
    rule: str = "evidence",
) -> pd.DataFrame:
    """One row per customer: RFM, contacts, tenure, NPS, problem signals, silent flag, problem level.

    **Problem** (the evidence rule, docs/customers.md): signals are weighted --
    a negative text 2 (1 when its ``intent`` is in ``routine_intents``: a question
    or a farewell), an event of ``problem_event_types`` with a problem ``detail`` 2,
    without a detail 1, with a detail in ``benign_details`` 0, an NPS score
    ``<= low_nps`` 1, churn 0 (an outcome, not a problem); weak signals of one kind
    on one day count once. A customer has a problem when a *burst* of signals (gaps
    ``<= episode_gap_days``) reaches ``min_evidence`` (two independent weak signals
    or one strong one). Signals outside ``(as_of - silent_window_days, as_of]`` are
    ignored (default: the whole history).

    **Silent** (seed 000/004): a problem and no contact with customer service since
    its first signal (contacts up to ``contact_grace_days`` before it count, since
    a call often precedes the logged return). Contacts are rows of ``contacts``
    plus feedback rows whose channel is one of ``contact_feedback_channels`` that
    have no contact row of the same customer within a day.

    **Episodes**: a burst starts a new episode when the problem was seen solved
    since the previous burst began (resolved contact, resolved or positive text,
    an order more than ``solved_order_days`` after the previous signal) or after
    more than ``quiet_gap_days`` without a signal.

    **Problem status**: the latest observation wins, at equal times contacts over
    texts over orders: a contact with ``resolved`` True/False, a text whose
    ``journey_stage`` is ``resolved`` or a positive text (solved), a negative,
    non-routine text whose journey_stage is problem_found, seeking_help,
    in_progress, unresolved, unsolvable or recurred (open), an order placed more
    than ``solved_order_days`` after the last problem signal and not followed by
    churn (solved). Only observations from the first problem signal on (minus the
    grace) count. Without observations the status is ``unsolved`` when the
    customer churned after the problem, else ``unknown``.

    **Problem level** (seed 001), with *recurring* = 2+ episodes or a text with
    journey_stage ``recurred`` and *contacts* = contacts since the first problem
    signal (minus the grace):

    ==  ===================================================================
    0   no problem
    1   solved, not recurring (出现问题, 已解决)
    2   solved, recurring (反复出现问题, 已解决)
    3   not solved (unsolved or unknown), fewer than 2 contacts -- recurring
        (多次出现同一个问题, 未解决) or a single open problem, which seed 001
        leaves undefined and we rank with the unsolved ones
    4   not solved, 2+ contacts (1个问题, 多次进线, 未解决)
    ==  ===================================================================

    ``rule="legacy"`` keeps the rule before #14 for comparison (any single signal
    incl. churn is a problem, a 180-day window, a 14-day gap splits episodes,
    orders ignored).

    Args:
        feedback: A :class:`voc.History` (its checked tables, analyzed feedback and
            ``as_of``; then ``contacts``, ``events`` and ``customers`` stay ``None``), or
            feedback texts (analysed or not; see the module docstring) -- the old form,
            kept for one release.
        contacts: Contacts with customer service (``None``: none).
        events: Orders, returns, NPS and other events (``None``: none).
        customers: Optional master table (``signup_date``, ``verified``).
        as_of: Reference time (default: ``History.as_of``, the latest timestamp in the inputs).
        silent_window_days: Only signals of the last this many days count (None: all).
        contact_grace_days: Contacts this many days before the first problem still count.
        episode_gap_days: Largest gap between two signals of one burst.
        quiet_gap_days: A burst after more quiet days than this is a new episode.
        solved_order_days: An order this many days after the last signal means solved
            (None: orders are not used).
        min_evidence: Evidence a burst needs to be a problem (strong 2, weak 1).
        new_customer_days: Tenure below which a customer is "new".
        low_nps: NPS scores at or below this value are a problem signal (detractors).
        problem_event_types: Event types that are problem signals (churn never is).
        benign_details: Event details that make an event no signal (decoys).
        routine_intents: Text intents whose negative texts are weak signals.
        contact_feedback_channels: Feedback channels that count as a contact.
        text_col: Text column of ``feedback``.
        rule: ``"evidence"`` (default) or ``"legacy"`` (the rule before #14).

    Returns:
        DataFrame indexed by ``customer_id`` with columns: ``first_seen``,
        ``tenure_days``, ``is_new``, ``verified`` (if given), ``recency_days``,
        ``frequency``, ``monetary``, ``n_contacts``, ``contacts_per_year``,
        ``contacts_in_window``, ``last_contact``, ``nps``, ``nps_date``,
        ``n_feedback``, ``n_negative_texts``, ``n_returns``, ``n_cancels``
        (cancel + unsubscribe), ``n_self_service_fail``, ``n_low_nps``,
        ``churned``, ``churn_date``, ``n_problem_signals``, ``problem_evidence``,
        ``n_problem_signals_window``, ``first_problem``, ``last_problem``,
        ``has_problem``, ``silent``, ``vocal``, ``contacts_since_problem``,
        ``n_episodes``, ``recurring``, ``problem_status``, ``problem_level``,
        ``reason_<code>`` counts and ``top_reason``, ``sentiment_mean``,
        ``sentiment_trend`` (slope per 30 days), ``first_emotion``,
        ``last_emotion``, ``emotion_trend`` (``"first->last"``).
        ``df.attrs`` holds ``as_of``, ``silent_window_days`` and
        ``invalid_rows`` (flagged rows per table).

    Raises:
        ValueError: A table fails validation (see :func:`validate`) or ``rule`` is unknown.
    """
    if isinstance(feedback, History):
        fb, ct, ev, cu = feedback.unpack("profile_customers", contacts, events, customers)
        text_col = "text"
        as_of = feedback.as_of if as_of is None else as_of
    else:
        fb = ensure_analyzed(validate_feedback(feedback), text_col=text_col)
        ct = validate_contacts(contacts) if contacts is not None else empty_table(CONTACTS)
        ev = validate_events(events) if events is not None else empty_table(EVENTS)
        cu = validate_customers(customers) if customers is not None else None

    n_invalid = {
        name: int(df[ERROR_COL].notna().sum())
        for name, df in (("feedback", fb), ("contacts", ct), ("events", ev), ("customers", cu))
        if df is not None
    }
    fb, ct, ev = _usable(fb, "feedback"), _usable(ct, "contacts"), _usable(ev, "events")
    if cu is not None:
        cu = _usable(cu, "customers")
    fb = (
        fb[fb["customer_id"].notna()]
        if "customer_id" in fb.columns
        else fb.iloc[0:0].assign(customer_id=None)
    )

    as_of = default_as_of([fb, ct, ev]) if as_of is None else as_timestamp(as_of)
    if rule not in ("evidence", "legacy"):
        raise ValueError(f"rule must be 'evidence' or 'legacy', got {rule!r}")
    if rule == "legacy" and silent_window_days is None:
        silent_window_days = 180
    window_start = None if silent_window_days is None else as_of - pd.Timedelta(days=silent_window_days)

    # ---- customer universe
    ids = [fb["customer_id"], ct["customer_id"], ev["customer_id"]]
    if cu is not None:
        ids.append(cu["customer_id"])
    all_ids = pd.Index(pd.concat(ids, ignore_index=True).dropna().unique(), name="customer_id")
    id_index = None
    with contextlib.suppress(TypeError):  # mixed id types: keep the order of appearance
        all_ids = all_ids.sort_values()
        coded = _coded_ids(all_ids, fb, ct, ev, cu)
        if coded is not None:
            # the profile is computed on integer codes (positions in the sorted ids: the same order,
            # groups and sorts as the ids themselves, without hashing and comparing text in every
            # groupby and reindex) and gets the ids back at the end
            fb, ct, ev, cu = coded
            id_index, all_ids = all_ids, pd.Index(np.arange(len(all_ids)), name="customer_id")
    prof = pd.DataFrame(index=all_ids)

    # ---- tenure
    first_seen = pd.concat(
        [
            fb.groupby("customer_id")["timestamp"].min(),
            ct.groupby("customer_id")["timestamp"].min(),
            ev.groupby("customer_id")["timestamp"].min(),
        ],
        axis=1,
    ).min(axis=1)
    prof["first_seen"] = first_seen.reindex(all_ids)
    if cu is not None and "signup_date" in cu.columns:
        signup = cu.set_index("customer_id")["signup_date"]
        prof["first_seen"] = signup.reindex(all_ids).fillna(prof["first_seen"])
    prof["tenure_days"] = _days(as_of - prof["first_seen"]).clip(lower=0)
    prof["is_new"] = prof["tenure_days"] < new_customer_days
    if cu is not None and "verified" in cu.columns:
        prof["verified"] = cu.set_index("customer_id")["verified"].reindex(all_ids)

    # ---- RFM
    orders = ev[ev["type"] == "order"]
    og = orders.groupby("customer_id")
    prof["recency_days"] = _days(as_of - og["timestamp"].max()).reindex(all_ids)
    prof["frequency"] = og.size().reindex(all_ids, fill_value=0).astype(int)
    if "amount" in orders.columns:
        prof["monetary"] = og["amount"].sum().reindex(all_ids, fill_value=0.0).astype(float)
    else:
        prof["monetary"] = 0.0

    # ---- contacts (table + contact-channel feedback)
    cts = _all_contacts(fb, ct, contact_feedback_channels)
    cg = cts.groupby("customer_id")
    prof["n_contacts"] = cg.size().reindex(all_ids, fill_value=0).astype(int)
    years = np.maximum(prof["tenure_days"].fillna(0).to_numpy(), 30.0) / 365.25
    prof["contacts_per_year"] = prof["n_contacts"] / years
    in_win = cts[(cts["timestamp"] <= as_of) & ((cts["timestamp"] > window_start) if window_start is not None else True)]
    prof["contacts_in_window"] = (
        in_win.groupby("customer_id").size().reindex(all_ids, fill_value=0).astype(int)
    )
    prof["last_contact"] = cg["timestamp"].max().reindex(all_ids)

    # ---- NPS
    nps = ev[(ev["type"] == "nps")]
    if "score" in nps.columns:
        nps = nps[nps["score"].notna()].sort_values("timestamp")
        last = nps.groupby("customer_id").tail(1).set_index("customer_id")
        prof["nps"] = last["score"].reindex(all_ids)
        prof["nps_date"] = last["timestamp"].reindex(all_ids)
        low = nps[nps["score"] <= low_nps]
    else:
        prof["nps"] = np.nan
        prof["nps_date"] = pd.NaT
        low = nps.iloc[0:0]

    # ---- problem signals
    neg = fb[fb["sentiment"] == "negative"]
    ptypes = {t.lower() for t in problem_event_types}
    pev = ev[ev["type"].isin(ptypes)]
    counts = pev.groupby(["customer_id", "type"]).size().unstack(fill_value=0)
    for col, types in (
        ("n_returns", ["return"]),
        ("n_cancels", ["cancel", "unsubscribe"]),
        ("n_self_service_fail", ["self_service_fail"]),
    ):
        present = [t for t in types if t in counts.columns]
        prof[col] = (
            (counts[present].sum(axis=1) if present else pd.Series(dtype=int))
            .reindex(all_ids, fill_value=0)
            .astype(int)
        )
    prof["n_feedback"] = fb.groupby("customer_id").size().reindex(all_ids, fill_value=0).astype(int)
    prof["n_negative_texts"] = neg.groupby("customer_id").size().reindex(all_ids, fill_value=0).astype(int)
    prof["n_low_nps"] = low.groupby("customer_id").size().reindex(all_ids, fill_value=0).astype(int)
    churn = ev[ev["type"] == "churn"].groupby("customer_id")["timestamp"].min()
    prof["churned"] = all_ids.isin(churn.index)
    prof["churn_date"] = churn.reindex(all_ids)

    if rule == "legacy":
        assert window_start is not None
        _legacy_problems(
            prof, fb, ct, cts, neg, pev, low, window_start, as_of, contact_grace_days, episode_gap_days
        )
    else:
        _evidence_problems(
            prof,
            _signal_table(fb, ev, low, ptypes, benign_details, routine_intents),
            _observations(fb, ct, ev, routine_intents),
            cts,
            fb,
            window_start,
            as_of,
            contact_grace_days=contact_grace_days,
            episode_gap_days=episode_gap_days,
            quiet_gap_days=quiet_gap_days,
            solved_order_days=solved_order_days,
            min_evidence=min_evidence,
        )

    # ---- non-complaint reasons
    if "non_complaint_reasons" in fb.columns:
        rs = pd.DataFrame({"customer_id": fb["customer_id"], "r": parse_list_column(fb["non_complaint_reasons"])})
        rs = rs.explode("r").dropna(subset=["r"])
        if len(rs):
            tab = pd.crosstab(rs["customer_id"], rs["r"]).reindex(all_ids, fill_value=0)
            for code in tab.columns:
                prof[f"reason_{code}"] = tab[code].astype(int)
            top = tab.idxmax(axis=1).where(tab.sum(axis=1) > 0)
            prof["top_reason"] = top
        else:
            prof["top_reason"] = None
    else:
        prof["top_reason"] = None

    # ---- sentiment / emotion trend
    s = fb[["customer_id", "timestamp"]].copy()
    s["y"] = sentiment_values(fb).to_numpy()
    s = s[s["y"].notna()]
    s["x"] = _days(s["timestamp"] - as_of) / 30.0
    prof["sentiment_mean"] = s.groupby("customer_id")["y"].mean().reindex(all_ids)
    prof["sentiment_trend"] = _slope(s, "customer_id", "x", "y").reindex(all_ids)
    if "emotion" in fb.columns:
        e = fb.loc[fb["emotion"].notna(), ["customer_id", "timestamp", "emotion"]].sort_values("timestamp")
        eg = e.groupby("customer_id")["emotion"]
        prof["first_emotion"] = eg.first().reindex(all_ids)
        prof["last_emotion"] = eg.last().reindex(all_ids)
        prof["emotion_trend"] = (prof["first_emotion"] + "->" + prof["last_emotion"]).where(
            prof["first_emotion"].notna()
        )
    if id_index is not None:
        prof.index = id_index
    prof.attrs["as_of"] = as_of
    prof.attrs["invalid_rows"] = n_invalid
    prof.attrs["silent_window_days"] = silent_window_days
    return prof
