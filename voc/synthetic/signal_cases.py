"""Hard cases for silent-customer and problem-level detection (decoys, routine questions ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from voc.synthetic.planted import DEFAULT_ISSUES, PlantedIssue
from voc.synthetic.texts import _CHURN_TEXTS, _PUBLIC_CHANNELS, _choice
from voc.synthetic.truth import _truth_levels

__all__ = ["add_signal_hard_cases", "SIGNAL_CASE_RATES", "BENIGN_RETURN_DETAILS"]


# --- silent-customer / problem-level hard cases (#14): decoys, routine questions, quiet churn,
# --- solved silent customers, drawn-out episodes
#: Default rates of :func:`add_signal_hard_cases` (``generate_history(signal_cases=True)``).
SIGNAL_CASE_RATES: dict[str, float] = {
    "decoy_rate": 0.12,
    "routine_question_rate": 0.15,
    "question_negative_share": 0.38,
    "quiet_churn_rate": 0.04,
    "silent_solved_rate": 0.5,
    "long_episode_rate": 0.3,
    "unsolved_keep_ordering": 0.1,
}
#: Return reasons that are not a problem (the decoy returns use these or no detail at all).
BENIGN_RETURN_DETAILS: tuple[str, ...] = ("changed_mind", "size_exchange", "no_reason_7d", "ordered_by_mistake")
_ROUTINE_QUESTIONS = (
    "请问发票在哪里开，找了半天没找到",
    "会员积分怎么兑换啊，看不懂",
    "退货地址在哪里看？",
    "怎么修改收货地址，急",
    "这个优惠券为什么不能和满减一起用？",
    "怎么绑定新的银行卡，老卡不用了",
    "订单能不能改成自提，来不及了",
    "有没有学生优惠？",
    "历史订单怎么查不到以前的了？",
    "换手机号了怎么改绑定",
)
_FOLLOW_UPS = (
    "等了快一个月了，还是没弄好",
    "过了好几周了，还是老样子",
    "到现在还没处理完，一直拖着",
    "还在等，进度一点都没有",
)
_SOLVED_FOLLOW_UPS = (
    "后来自己弄好了，没事了",
    "问题后来好了，继续用",
    "已经好了，这次就算了，还会回购",
    "后来正常了，还行",
)


def _last_signal_times(fb: pd.DataFrame, ev: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Per problem customer, the last negative text or non-order, non-churn event from ``problem_start`` on."""
    start = truth["problem_start"]
    neg = fb.loc[fb["sentiment"] == "negative", ["customer_id", "timestamp"]]
    sig = ev.loc[~ev["type"].isin(["order", "churn"]), ["customer_id", "timestamp"]]
    both = pd.concat([neg, sig], ignore_index=True)
    both = both[both["customer_id"].isin(start.index)]
    both = both[both["timestamp"].to_numpy() >= start.reindex(both["customer_id"]).to_numpy()]
    last = both.groupby("customer_id")["timestamp"].max()
    return last.reindex(start.index).fillna(start)


def _text_row(cid: str, ts: pd.Timestamp, text: str, **labels: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "customer_id": cid,
        "channel": labels.pop("channel", "app_review"),
        "timestamp": ts,
        "text": text,
        "sentiment": "neutral",
        "sentiment_score": 0.0,
        "emotion": "neutral",
        "intent": "other",
        "non_complaint_reasons": [],
        "complaint_stage": "none",
        "behaviors": [],
        "aspects": [],
        "journey_stage": "none",
        "temperament": "none",
        "error": None,
        "evidence": {},
    }
    row.update(labels)
    return row


def add_signal_hard_cases(
    history: dict[str, pd.DataFrame],
    *,
    seed: int = 0,
    end: Any = None,
    issues: Sequence[PlantedIssue] = DEFAULT_ISSUES,
    **rates: float,
) -> dict[str, pd.DataFrame]:
    """Hard cases for the silent flag and the problem level, added to a :func:`generate_history` output.

    Each case has a truth column (``truth``) and a ``text_truth.kind`` for its texts:

    * **decoys** (``decoy_rate`` of the customers without a problem): one benign
      return (detail in :data:`BENIGN_RETURN_DETAILS` or none) or one NPS score of
      2-6; ``truth.decoy`` = ``"benign_return"`` / ``"low_nps"``; no problem.
    * **routine questions** (``routine_question_rate`` of all customers): a question
      (发票在哪开 ...), labelled negative with a weak score for
      ``question_negative_share`` of them, as the analyzer does;
      ``truth.routine_questions`` counts them; kind ``routine_question``.
    * **churn without a problem** (``quiet_churn_rate`` of the customers without a
      problem): a churn event (activity after it removed), sometimes a farewell text;
      ``truth.churn_without_problem`` (also true for the base churners without a problem).
    * **drawn-out episodes** (``long_episode_rate`` of the unsolved, non-recurring
      planted-issue customers): 1-2 follow-ups 15-28 days apart (the issue's event again,
      a text restating the problem + 还是没弄好 for 60 %), one episode; ``truth.long_episode``; kind ``follow_up``.
    * **solved silent customers** (``silent_solved_rate`` of the silent, unsolved,
      non-recurring planted-issue customers who did not churn): a later order 7-45
      days after the last signal (85 %) and/or a positive follow-up text (40 %);
      ``truth.solved`` becomes true, ``truth.solved_by`` = ``"order"``, ``"text"`` or
      ``"order+text"``; kind ``solved_follow_up``.
    * customers whose problem stays **unsolved** stop ordering after it, except
      ``unsolved_keep_ordering`` of them.

    ``truth.problem_level`` is recomputed. Draws come from their own generator
    (``seed``), so the base history is the same with or without these cases.

    Args:
        history: Output of :func:`generate_history` (not modified).
        seed: Seed of the random generator.
        end: End of the period (default: the latest timestamp in the history).
        issues: The planted issues of ``history`` (for the follow-up events).
        **rates: Overrides of :data:`SIGNAL_CASE_RATES`.

    Returns:
        A new history dict with the same keys.

    Raises:
        ValueError: An unknown rate name or a rate outside [0, 1].
    """
    bad = [k for k in rates if k not in SIGNAL_CASE_RATES]
    if bad:
        raise ValueError(f"unknown hard-case rate(s) {bad}; valid: {sorted(SIGNAL_CASE_RATES)}")
    r = {**SIGNAL_CASE_RATES, **rates}
    out_of_range = [k for k, v in r.items() if not 0 <= float(v) <= 1]
    if out_of_range:
        raise ValueError(f"hard-case rates must be in [0, 1]: {out_of_range}")
    rng = np.random.default_rng([int(seed), 14])
    fb = history["feedback"].copy()
    tt = history["text_truth"].copy()
    ev = history["events"].copy()
    ct = history["contacts"]
    truth = history["truth"].set_index("customer_id")
    cust = history["customers"].set_index("customer_id")
    if end is None:
        end = max(fb["timestamp"].max(), ev["timestamp"].max(), ct["timestamp"].max())
    end = pd.Timestamp(end)
    day = pd.Timedelta(days=1)
    life_start = cust["signup_date"].reindex(truth.index).clip(lower=ev["timestamp"].min()).fillna(end - 365 * day)
    churn_at = ev[ev["type"] == "churn"].groupby("customer_id")["timestamp"].min()
    by_code = {i.code: i for i in issues}
    new_fb: list[dict[str, Any]] = []
    new_kind: list[tuple[Any, str]] = []
    new_ev: list[tuple[Any, ...]] = []
    drop_ev = np.zeros(len(ev), dtype=bool)
    drop_fb = np.zeros(len(fb), dtype=bool)

    def text(cid: str, ts: pd.Timestamp, body: str, kind: str, issue: str | None = None, **labels: Any) -> None:
        new_fb.append(_text_row(cid, ts, body, **labels))
        new_kind.append((issue, kind))

    def pick(mask: pd.Series, rate: float) -> list[str]:
        ids = mask.index[mask.to_numpy()]
        return [c for c in ids if rng.random() < rate]

    has_problem = truth["has_problem"].astype(bool)
    solved = truth["solved"].fillna(False).astype(bool)
    recurring = truth["recurring"].astype(bool)
    churned = truth["churned"].astype(bool)
    planted = truth["issue"].notna()
    truth["decoy"] = None
    truth["routine_questions"] = 0
    truth["long_episode"] = False
    truth["solved_by"] = None

    # drawn-out episodes: follow-ups 15-28 days apart, still one episode
    last = _last_signal_times(fb, ev, truth[has_problem])
    for cid in pick(planted & ~solved & ~recurring & ~churned, r["long_episode_rate"]):
        issue = by_code.get(str(truth.at[cid, "issue"]))
        ts = last[cid]
        added = False
        for _ in range(int(rng.integers(1, 3))):
            ts = ts + float(rng.uniform(15, 28)) * day
            if ts >= end - day:
                break
            if issue is not None:
                new_ev.append((cid, ts, issue.signature[0], np.nan, np.nan, issue.signature[1]))
            if rng.random() < 0.6 or issue is None:
                body = _choice(rng, _FOLLOW_UPS)
                if issue is not None:  # a follow-up restates the problem
                    body = f"{_choice(rng, issue.texts)[0]}，{body}"
                text(
                    cid, ts + 0.2 * day, body, "follow_up", truth.at[cid, "issue"],
                    channel=_choice(rng, _PUBLIC_CHANNELS), sentiment="negative",
                    sentiment_score=round(float(rng.uniform(-0.9, -0.5)), 3), emotion="impatience",
                    intent="urge", complaint_stage="explicit_grumble", journey_stage="in_progress",
                    aspects=list(issue.aspects) if issue is not None else [],
                )
            last[cid] = ts + 0.2 * day
            added = True
        truth.at[cid, "long_episode"] = added

    # solved silent customers: a later order and/or a positive follow-up text
    for cid in pick(planted & truth["silent"].astype(bool) & ~solved & ~recurring & ~churned, r["silent_solved_rate"]):
        ts = last[cid] + float(rng.uniform(7, 45)) * day
        if ts >= end - day:
            continue
        u = rng.random()
        how = "order" if u < 0.6 else ("order+text" if u < 0.85 else "text")
        if "order" in how:
            new_ev.append((cid, ts, "order", float(np.round(np.exp(rng.normal(4.0, 0.8)), 2)), np.nan, None))
        if "text" in how:
            text(
                cid, ts - float(rng.uniform(0, 3)) * day, _choice(rng, _SOLVED_FOLLOW_UPS), "solved_follow_up",
                channel=_choice(rng, _PUBLIC_CHANNELS), sentiment="positive",
                sentiment_score=round(float(rng.uniform(0.3, 0.8)), 3), emotion="delight", intent="praise",
                journey_stage="resolved",
            )
        truth.at[cid, "solved"] = True
        truth.at[cid, "solved_by"] = how
    solved = truth["solved"].fillna(False).astype(bool)

    # unsolved problems: the customer stops ordering after the problem (most of the time)
    stop = [c for c in truth.index[has_problem & ~solved] if rng.random() >= r["unsolved_keep_ordering"]]
    if stop:
        start = truth["problem_start"].reindex(ev["customer_id"]).to_numpy()
        is_stop = ev["customer_id"].isin(stop).to_numpy()
        drop_ev |= is_stop & (ev["type"] == "order").to_numpy() & (ev["timestamp"].to_numpy() > start)

    # churn without a problem: activity after the churn is removed
    quiet = pick(~has_problem & ~churned, r["quiet_churn_rate"])
    if quiet:
        when = {}
        for cid in quiet:
            lo = max(life_start[cid] + day, end - 365 * day)
            when[cid] = lo + (end - 0.5 * day - lo) * float(rng.random())
            new_ev.append((cid, when[cid], "churn", np.nan, np.nan, None))
            if rng.random() < 0.25:
                text(
                    cid, when[cid] - 0.2 * day, _choice(rng, _CHURN_TEXTS), "churn",
                    channel=_choice(rng, _PUBLIC_CHANNELS), sentiment="negative", sentiment_score=-0.4,
                    emotion="resignation", intent="cancel", behaviors=["reduced_purchase"],
                    journey_stage="unresolved", complaint_stage="explicit_grumble",
                )
        cut = pd.Series(when)
        t_ev = cut.reindex(ev["customer_id"]).to_numpy()
        drop_ev |= ev["timestamp"].to_numpy() > t_ev
        t_fb = cut.reindex(fb["customer_id"]).to_numpy()
        drop_fb |= fb["timestamp"].to_numpy() > t_fb
        churn_at = pd.concat([churn_at, cut])
        truth.loc[quiet, "churned"] = True
        truth.loc[quiet, "churn_caused_by_issue"] = False
    # decoys: one benign return or one lukewarm NPS score, no problem
    for cid in pick(~has_problem, r["decoy_rate"]):
        lo = life_start[cid]
        hi = churn_at.get(cid, end)
        ts = lo + (max(hi, lo) - lo) * float(rng.random())
        if rng.random() < 0.5:
            detail = _choice(rng, (*BENIGN_RETURN_DETAILS, None))
            new_ev.append((cid, ts, "return", float(np.round(np.exp(rng.normal(4.0, 0.8)), 2)), np.nan, detail))
            truth.at[cid, "decoy"] = "benign_return"
        else:
            new_ev.append((cid, ts, "nps", np.nan, float(rng.integers(2, 7)), None))
            truth.at[cid, "decoy"] = "low_nps"

    # routine questions, some labelled negative (weakly), as the analyzer does
    for cid in pick(pd.Series(True, index=truth.index), r["routine_question_rate"]):
        lo = life_start[cid]
        hi = churn_at.get(cid, end)
        ts = lo + (max(hi, lo) - lo) * float(rng.random())
        neg = rng.random() < r["question_negative_share"]
        text(
            cid, ts, _choice(rng, _ROUTINE_QUESTIONS), "routine_question",
            channel=_choice(rng, ("app_review", "survey_verbatim", "forum")),
            sentiment="negative" if neg else "neutral",
            sentiment_score=round(float(rng.uniform(-0.45, -0.15) if neg else rng.uniform(-0.1, 0.1)), 3),
            emotion="impatience" if neg else "neutral", intent="inquiry", journey_stage="seeking_help",
        )
        truth.at[cid, "routine_questions"] += 1

    truth["churn_without_problem"] = truth["churned"].astype(bool) & ~has_problem

    fb = fb[~drop_fb]
    tt = tt[~drop_fb]
    if new_fb:
        fb = pd.concat([fb, pd.DataFrame(new_fb)[fb.columns]], ignore_index=True)
        tt = pd.concat([tt, pd.DataFrame(new_kind, columns=["issue", "kind"])], ignore_index=True)
    order = np.argsort(fb["timestamp"].to_numpy(), kind="stable")
    ev = ev[~drop_ev]
    if new_ev:
        ev = pd.concat([ev, pd.DataFrame(new_ev, columns=ev.columns)], ignore_index=True)
    ev = ev.sort_values(["timestamp", "customer_id"], kind="stable").reset_index(drop=True)
    truth["problem_level"] = _truth_levels(truth, ct)
    out = dict(history)
    out["feedback"] = fb.iloc[order].reset_index(drop=True)
    out["text_truth"] = tt.iloc[order].reset_index(drop=True)
    out["events"] = ev
    out["truth"] = truth.reset_index()
    return out
