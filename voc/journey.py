"""The problem-solving journey of seed 001: timelines, the emotion curve and the funnel of paths.

Seed 001 follows a customer from "a problem appears" through "found", "seeking
help", "being solved" to "solved / not solved / cannot be solved / came back".
This module answers three questions on the four tables of
:mod:`voc.customers` (``feedback``, ``contacts``, ``events``, ``customers``):

* :func:`build_timeline` -- per customer, every text, contact and event in time
  order with its journey stage (the analyzer's ``journey_stage`` for texts; a
  documented mapping for contacts and events, :data:`CONTACT_STAGES`,
  :data:`EVENT_STAGES`).
* :func:`emotion_curve` / :func:`plot_emotion_curve` -- mean sentiment, the
  emotion mix and the dominant emotion per journey stage (the seed's "心情曲线").
* :func:`journey_paths` / :func:`journey_funnel` -- which of the seed's paths
  each customer with a problem took (solved first time, recurred, unresolved,
  gave up / silent, escalated, churned, plus "solved after repeat contacts" and
  "solved by themselves"), with the rule of each path, and the counts.

Example:
    >>> from voc.synthetic import generate_history
    >>> from voc.journey import build_timeline, emotion_curve, journey_paths, journey_funnel
    >>> h = generate_history(n_customers=300, seed=1)
    >>> tl = build_timeline(h["feedback"], h["contacts"], h["events"])
    >>> set(tl["source"]) == {"feedback", "contact", "event"}
    True
    >>> curve = emotion_curve(h["feedback"])
    >>> bool(curve.loc["resolved", "sentiment_mean"] > curve.loc["unresolved", "sentiment_mean"])
    True
    >>> paths = journey_paths(h["feedback"], h["contacts"], h["events"], h["customers"])
    >>> int(journey_funnel(paths)["n_customers"].sum()) == len(paths)
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from voc.customers import (
    ensure_analyzed,
    profile_customers,
    sentiment_values,
    validate_contacts,
    validate_events,
    validate_feedback,
)
from voc.history import History
from voc.plotting import plot_emotion_curve as plot_emotion_curve  # moved to voc.plotting
from voc.schema import parse_bool

__all__ = [
    "STAGES",
    "STAGE_ZH",
    "CONTACT_STAGES",
    "EVENT_STAGES",
    "PATHS",
    "build_timeline",
    "emotion_curve",
    "plot_emotion_curve",
    "journey_paths",
    "journey_funnel",
]

#: Journey stages (seed 001) in the order of the journey; the three outcomes follow ``in_progress``.
STAGES: tuple[str, ...] = (
    "problem_found",
    "seeking_help",
    "in_progress",
    "unresolved",
    "unsolvable",
    "resolved",
    "recurred",
)
STAGE_ZH: dict[str, str] = {
    "none": "无",
    "problem_found": "发现问题",
    "seeking_help": "寻求解决",
    "in_progress": "解决中",
    "unresolved": "未解决",
    "unsolvable": "解决不了",
    "resolved": "已解决",
    "recurred": "问题复发",
}
#: Journey stage of a contact row from its ``resolved`` value (``None`` = missing).
CONTACT_STAGES: dict[Any, str] = {True: "resolved", False: "unresolved", None: "seeking_help"}
#: Journey stage of an event row by type; other types (orders, churn ...) have no stage.
EVENT_STAGES: dict[str, str] = {
    "return": "problem_found",
    "cancel": "problem_found",
    "unsubscribe": "problem_found",
    "self_service_fail": "seeking_help",
}
#: Event types shown in a timeline by default (orders are left out: they are not part of a problem).
TIMELINE_EVENT_TYPES: tuple[str, ...] = (
    "return",
    "cancel",
    "unsubscribe",
    "self_service_fail",
    "nps",
    "churn",
)

#: The paths of the funnel, in precedence order, with their Chinese name and exact rule.
PATHS: dict[str, tuple[str, str]] = {
    "churned": ("流失", "a churn event on or after the first problem signal"),
    "escalated": (
        "升级投诉",
        "not churned; a text with complaint_stage 'complaint' (or a contact with escalated=True) "
        "from the first problem signal on (minus the grace)",
    ),
    "recurred": ("问题复发", "not above; the problem recurred (2+ episodes or a 'recurred' text)"),
    "gave_up_silent": (
        "放弃/沉默",
        "not above; no contact with customer service since the problem and not solved",
    ),
    "self_solved": ("自行解决", "not above; no contact since the problem, status solved (self-service)"),
    "solved_first_time": ("一次解决", "not above; solved with exactly one contact since the problem"),
    "solved_after_repeat": ("多次进线后解决", "not above; solved after 2+ contacts"),
    "unresolved": ("未解决", "not above; contacted customer service, problem not (known to be) solved"),
}


# --------------------------------------------------------------------------- timeline
def _contact_stage(v: Any) -> str:
    if v is True or v is False:
        return CONTACT_STAGES[bool(v)]
    return CONTACT_STAGES[None]


def _event_text(
    types: pd.Series, detail: pd.Series | None, amount: pd.Series | None, score: pd.Series | None
) -> pd.Series:
    out = types.astype(str)
    if detail is not None:
        out = out + detail.map(lambda d: f":{d}" if isinstance(d, str) and d else "")
    if score is not None:
        out = out + score.map(lambda s: f" score={s:g}" if pd.notna(s) else "")
    if amount is not None:
        out = out + amount.map(lambda a: f" amount={a:g}" if pd.notna(a) else "")
    return out


def build_timeline(
    feedback: pd.DataFrame,
    contacts: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    *,
    customer_ids: Iterable[Any] | None = None,
    event_types: Iterable[str] | str | None = None,
    low_nps: float = 6,
    text_col: str = "text",
) -> pd.DataFrame:
    """Every text, contact and event of each customer in time order, with its journey stage.

    Texts keep the analyzer's ``journey_stage`` (the analyzer runs when
    ``feedback`` has no ``sentiment`` column). Contacts get :data:`CONTACT_STAGES`
    of their ``resolved`` value, events :data:`EVENT_STAGES` of their type; an
    NPS score ``<= low_nps`` is ``problem_found``; other events (churn, high NPS)
    have no stage. Rows without ``customer_id`` and rows flagged by validation
    are left out.

    Args:
        feedback: Feedback texts (see :mod:`voc.customers`).
        contacts: Contacts with customer service (optional).
        events: Events (optional).
        customer_ids: Keep only these customers (default: all).
        event_types: Event types to include; default :data:`TIMELINE_EVENT_TYPES`
            (no orders); ``"all"`` keeps every type.
        low_nps: NPS scores at or below this value are a ``problem_found`` step.
        text_col: Text column of ``feedback``.

    Returns:
        DataFrame sorted by ``customer_id``, ``timestamp``: ``customer_id``,
        ``step`` (1, 2, ... per customer), ``timestamp``, ``source``
        (``feedback`` | ``contact`` | ``event``), ``row`` (index label in the
        source table), ``channel``, ``kind`` (intent of a text, topic of a
        contact, type of an event), ``text`` (the text, contact topic or
        ``type:detail``), ``journey_stage``, ``stage_zh``, ``emotion``,
        ``sentiment_score``, ``complaint_stage``, ``resolved``.
    """
    parts = []
    fb = validate_feedback(feedback)
    fb = ensure_analyzed(fb, text_col=text_col)
    if "customer_id" in fb.columns:
        fb = fb[fb["validation_error"].isna() & fb["customer_id"].notna()]
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": fb["customer_id"],
                    "timestamp": fb["timestamp"],
                    "source": "feedback",
                    "row": fb.index,
                    "channel": fb["channel"],
                    "kind": fb["intent"] if "intent" in fb.columns else None,
                    "text": fb[text_col],
                    "journey_stage": fb["journey_stage"] if "journey_stage" in fb.columns else None,
                    "emotion": fb["emotion"] if "emotion" in fb.columns else None,
                    "sentiment_score": sentiment_values(fb),
                    "complaint_stage": fb["complaint_stage"] if "complaint_stage" in fb.columns else None,
                    "resolved": None,
                    "_order": 1,
                }
            )
        )
    if contacts is not None and len(contacts):
        ct = validate_contacts(contacts)
        ct = ct[ct["validation_error"].isna()]
        res = ct["resolved"] if "resolved" in ct.columns else pd.Series(None, index=ct.index, dtype=object)
        topic = ct["topic"] if "topic" in ct.columns else pd.Series(None, index=ct.index, dtype=object)
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": ct["customer_id"],
                    "timestamp": ct["timestamp"],
                    "source": "contact",
                    "row": ct.index,
                    "channel": ct["channel"],
                    "kind": topic,
                    "text": topic,
                    "journey_stage": res.map(_contact_stage),
                    "emotion": None,
                    "sentiment_score": np.nan,
                    "complaint_stage": None,
                    "resolved": res,
                    "_order": 0,
                }
            )
        )
    if events is not None and len(events):
        ev = validate_events(events)
        ev = ev[ev["validation_error"].isna()]
        if event_types != "all":
            keep = set(TIMELINE_EVENT_TYPES if event_types is None else [t.lower() for t in event_types])
            ev = ev[ev["type"].isin(keep)]
        stage = ev["type"].map(EVENT_STAGES)
        if "score" in ev.columns:
            stage = stage.where(~((ev["type"] == "nps") & (ev["score"] <= low_nps)), "problem_found")
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": ev["customer_id"],
                    "timestamp": ev["timestamp"],
                    "source": "event",
                    "row": ev.index,
                    "channel": None,
                    "kind": ev["type"],
                    "text": _event_text(ev["type"], ev.get("detail"), ev.get("amount"), ev.get("score")),
                    "journey_stage": stage,
                    "emotion": None,
                    "sentiment_score": np.nan,
                    "complaint_stage": None,
                    "resolved": None,
                    "_order": 2,
                }
            )
        )
    parts = [p for p in parts if len(p)]
    cols = [
        "customer_id",
        "step",
        "timestamp",
        "source",
        "row",
        "channel",
        "kind",
        "text",
        "journey_stage",
        "stage_zh",
        "emotion",
        "sentiment_score",
        "complaint_stage",
        "resolved",
    ]
    if not parts:
        return pd.DataFrame(columns=cols)
    tl = pd.concat(parts, ignore_index=True)
    if customer_ids is not None:
        tl = tl[tl["customer_id"].isin(list(customer_ids))]
    tl = tl.sort_values(["customer_id", "timestamp", "_order"], kind="stable").reset_index(drop=True)
    tl["step"] = tl.groupby("customer_id").cumcount() + 1
    tl["stage_zh"] = tl["journey_stage"].map(STAGE_ZH)
    return tl[cols]


# --------------------------------------------------------------------------- emotion curve
def emotion_curve(
    data: pd.DataFrame,
    *,
    by: str | None = None,
    stages: Iterable[str] = STAGES,
    text_col: str = "text",
) -> pd.DataFrame:
    """The emotion curve along the journey: sentiment and emotion mix per journey stage.

    Only rows with an emotion or a sentiment count (texts; contacts and events of
    a timeline carry none).

    Args:
        data: Analysed feedback (the analyzer runs when ``sentiment`` is
            missing) or the output of :func:`build_timeline`.
        by: Optional column to split the curve (e.g. a path merged onto the
            feedback, or ``channel``); the result then has a
            ``(by, journey_stage)`` MultiIndex.
        stages: Stages to report, in curve order (default :data:`STAGES`).
        text_col: Text column (for running the analyzer).

    Returns:
        DataFrame indexed by ``journey_stage`` (in ``stages`` order; stages with no
        text are dropped): ``stage_zh``, ``n_texts``, ``n_customers``,
        ``sentiment_mean``, ``ci_low`` / ``ci_high`` (mean ± 1.96 standard
        errors), ``negative_share`` (score < 0), ``dominant_emotion``,
        ``dominant_share`` and one ``share_<emotion>`` column per emotion.
    """
    if "sentiment_score" in data.columns and "source" in data.columns:  # a timeline
        df = data[data["sentiment_score"].notna()].copy()
        df["_y"] = df["sentiment_score"].astype(float)
    else:
        df = ensure_analyzed(data, text_col=text_col)
        df = df.assign(_y=sentiment_values(df).to_numpy())
        df = df[df["_y"].notna()]
    order = [s for s in stages]
    df = df[df["journey_stage"].isin(order)]
    keys = [by, "journey_stage"] if by else ["journey_stage"]
    g = df.groupby(keys, observed=True)
    out = pd.DataFrame(
        {
            "n_texts": g.size(),
            "sentiment_mean": g["_y"].mean(),
            "_sd": g["_y"].std(ddof=1),
            "negative_share": g["_y"].apply(lambda s: float((s < 0).mean())),
        }
    )
    out["n_customers"] = g["customer_id"].nunique() if "customer_id" in df.columns else np.nan
    se = (out["_sd"].fillna(0) / np.sqrt(out["n_texts"])).to_numpy()
    out["ci_low"] = out["sentiment_mean"] - 1.96 * se
    out["ci_high"] = out["sentiment_mean"] + 1.96 * se
    if "emotion" in df.columns and df["emotion"].notna().any():
        mix = pd.crosstab([df[k] for k in keys], df["emotion"], normalize="index")
        mix.columns = [f"share_{c}" for c in mix.columns]
        out = out.join(mix)
        shares = mix.reindex(out.index)
        out["dominant_emotion"] = shares.idxmax(axis=1).str.removeprefix("share_")
        out["dominant_share"] = shares.max(axis=1)
    else:
        out["dominant_emotion"] = None
        out["dominant_share"] = np.nan
    # curve order
    rank = {s: i for i, s in enumerate(order)}
    idx = out.index.to_frame(index=False)
    idx["_r"] = idx["journey_stage"].map(rank)
    sort_cols = [by, "_r"] if by else ["_r"]
    pos = idx.sort_values(sort_cols, kind="stable").index.to_numpy()
    out = out.iloc[pos]
    stage_level = out.index.get_level_values("journey_stage")
    out.insert(0, "stage_zh", [STAGE_ZH.get(s, s) for s in stage_level])
    out = out.drop(columns="_sd")
    share_cols = sorted(c for c in out.columns if c.startswith("share_"))
    front = [
        "stage_zh",
        "n_texts",
        "n_customers",
        "sentiment_mean",
        "ci_low",
        "ci_high",
        "negative_share",
        "dominant_emotion",
        "dominant_share",
    ]
    return out[front + share_cols]


# --------------------------------------------------------------------------- paths and funnel
def journey_paths(
    feedback: pd.DataFrame | History,
    contacts: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    *,
    profiles: pd.DataFrame | None = None,
    contact_grace_days: int = 7,
    text_col: str = "text",
    **profile_kwargs: Any,
) -> pd.DataFrame:
    """Classify each customer with a problem into one path of the seed-001 funnel.

    The first matching rule wins (:data:`PATHS` lists them in order):

    1. ``churned`` -- a churn event on or after the first problem signal.
    2. ``escalated`` -- a text with ``complaint_stage == "complaint"`` (or a
       contact row with ``escalated`` True, when that column exists) from the
       first problem signal minus ``contact_grace_days`` on.
    3. ``recurred`` -- the profile's ``recurring`` (2+ problem episodes, or a
       text with journey_stage ``recurred``).
    4. ``gave_up_silent`` -- no contact since the problem
       (``contacts_since_problem == 0``) and ``problem_status`` not ``solved``.
    5. ``self_solved`` -- no contact since the problem, ``problem_status`` solved.
    6. ``solved_first_time`` -- solved with exactly one contact since the problem.
    7. ``solved_after_repeat`` -- solved with 2+ contacts.
    8. ``unresolved`` -- everything else: contacted, not (known to be) solved.

    Problem signals, episodes, contacts since the problem and the status are
    those of :func:`voc.customers.profile_customers` (see docs/customers.md).

    Args:
        feedback: A :class:`voc.History` (its tables and, with the default settings, its cached
            profiles; pass no other table then), or feedback texts.
        contacts: Contacts (optional ``escalated`` bool column).
        events: Events.
        customers: Optional customer master table.
        profiles: Precomputed :func:`profile_customers` output (saves its run).
        contact_grace_days: Grace before the first problem (as in the profile).
        text_col: Text column of ``feedback``.
        **profile_kwargs: Passed to :func:`profile_customers`.

    Returns:
        One row per customer with a problem (index ``customer_id``): ``path``,
        ``path_zh``, ``rule``, ``first_problem``, ``contacts_since_problem``,
        ``recurring``, ``problem_status``, ``problem_level``, ``churned``,
        ``escalated``.
    """
    if isinstance(feedback, History):
        h = feedback
        feedback, contacts, events, customers = h.unpack("journey_paths", contacts, events, customers)
        text_col = "text"
        if profiles is None and not profile_kwargs and contact_grace_days == 7:
            profiles = h.profiles
    if contacts is None or events is None:
        raise ValueError("journey_paths: contacts and events are required (DataFrames), or pass a History")
    fb = ensure_analyzed(validate_feedback(feedback), text_col=text_col)
    if profiles is None:
        profiles = profile_customers(
            fb,
            contacts,
            events,
            customers,
            contact_grace_days=contact_grace_days,
            text_col=text_col,
            **profile_kwargs,
        )
    p = profiles[profiles["has_problem"].astype(bool)].copy()
    fp = p["first_problem"]
    grace = pd.Timedelta(days=contact_grace_days)

    esc_times = []
    if "complaint_stage" in fb.columns and "customer_id" in fb.columns:
        f = fb[fb["validation_error"].isna() & (fb["complaint_stage"] == "complaint")]
        esc_times.append(f[["customer_id", "timestamp"]])
    if "escalated" in contacts.columns:
        ct = validate_contacts(contacts)
        flag = ct["escalated"].map(lambda v: parse_bool(v) is True)
        esc_times.append(ct.loc[flag & ct["validation_error"].isna(), ["customer_id", "timestamp"]])
    escalated = pd.Series(False, index=p.index)
    if esc_times:
        e = pd.concat(esc_times, ignore_index=True)
        e = e[e["customer_id"].isin(p.index)]
        e = e[e["timestamp"].to_numpy() >= (fp.reindex(e["customer_id"]) - grace).to_numpy()]
        escalated = pd.Series(p.index.isin(e["customer_id"].unique()), index=p.index)
    churned = p["churned"].astype(bool) & (p["churn_date"] >= fp)
    n_ct = p["contacts_since_problem"]
    solved = p["problem_status"] == "solved"
    conds = [
        churned,
        escalated,
        p["recurring"].astype(bool),
        (n_ct == 0) & ~solved,
        (n_ct == 0) & solved,
        solved & (n_ct == 1),
        solved & (n_ct >= 2),
    ]
    names = list(PATHS)
    path = np.select(conds, names[:-1], default=names[-1])
    out = pd.DataFrame(index=p.index)
    out["path"] = path
    out["path_zh"] = out["path"].map(lambda k: PATHS[k][0])
    out["rule"] = out["path"].map(lambda k: PATHS[k][1])
    for c in ("first_problem", "contacts_since_problem", "recurring", "problem_status", "problem_level"):
        out[c] = p[c]
    out["churned"] = churned
    out["escalated"] = escalated
    return out


def journey_funnel(paths: pd.DataFrame) -> pd.DataFrame:
    """Counts of customers per path (the seed-001 funnel), in :data:`PATHS` order.

    Args:
        paths: Output of :func:`journey_paths`.

    Returns:
        DataFrame indexed by ``path``: ``path_zh``, ``n_customers``, ``share``
        (of the customers with a problem) and ``rule``. Paths with no customer
        are kept with 0. ``attrs["stages"]`` holds the cumulative funnel:
        customers with a problem, who contacted service, solved (any path),
        solved in one contact.
    """
    counts = paths["path"].value_counts().reindex(list(PATHS), fill_value=0)
    total = int(counts.sum())
    out = pd.DataFrame(
        {
            "path_zh": [PATHS[k][0] for k in PATHS],
            "n_customers": counts.astype(int).to_numpy(),
            "share": (counts / total).to_numpy() if total else np.zeros(len(PATHS)),
            "rule": [PATHS[k][1] for k in PATHS],
        },
        index=pd.Index(list(PATHS), name="path"),
    )
    solved = paths["problem_status"] == "solved"
    out.attrs["stages"] = {
        "had_problem": total,
        "contacted_service": int((paths["contacts_since_problem"] > 0).sum()),
        "solved": int(solved.sum()),
        "solved_first_contact": int(counts["solved_first_time"]),
    }
    return out
