"""Simulation of customer histories: :func:`generate_history` and its named steps.

All draws come from one generator, in this order (the order is part of the output: the same
seed gives the same tables):

0. :func:`_check_args` -- one-line errors for impossible settings;
1. :func:`_draw_population` -- ids, archetype leans, signup days;
2. :func:`_simulate_customer`, per customer: the problem (planted issue, background problem
   or none) and silence, :func:`_unrelated_inquiry`, :func:`_simulate_issue` /
   :func:`_simulate_background`, :func:`_simulate_churn`, :func:`_simulate_activity`
   (orders, NPS, praise and inquiry texts);
3. optional corpus texts (:mod:`voc.synthetic.corpus`) and the truth table
   (:func:`voc.synthetic.truth._truth_table`);
4. :func:`_build_frames` -- timestamps and sorted output tables;
5. the hard cases: :func:`voc.synthetic.add_signal_hard_cases` (default on) and
   :func:`voc.synthetic.plant_identity_cases` (``identity_cases=True``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from voc.synthetic.corpus import _load_corpus, _mix_corpus
from voc.synthetic.identity_cases import plant_identity_cases
from voc.synthetic.planted import _REASONS_BY_ARCHETYPE, ARCHETYPE_LEANS, DEFAULT_ISSUES, PlantedIssue
from voc.synthetic.rows import _Builder
from voc.synthetic.signal_cases import add_signal_hard_cases
from voc.synthetic.texts import (
    _BACKGROUND_NEG,
    _CHURN_TEXTS,
    _CONTACT_CHANNELS,
    _INQUIRY,
    _PRAISE,
    _PUBLIC_CHANNELS,
    _REASON_PHRASES,
    _REASON_SOLVED,
    _RECURRED,
    _RESOLVED,
    _STYLE,
    _VOCAL_AGAIN,
    _VOCAL_OPEN,
    _choice,
    _complaint_text,
)
from voc.synthetic.truth import _truth_table

__all__ = ["generate_history"]


def generate_history(
    n_customers: int = 2000,
    seed: int = 0,
    *,
    start: str = "2023-01-01",
    days: int = 730,
    issue_rate: float = 0.35,
    background_problem_rate: float = 0.08,
    base_churn: float = 0.04,
    recurrence_rate: float = 0.25,
    texts_per_customer: float = 0.5,
    issues: Sequence[PlantedIssue] = DEFAULT_ISSUES,
    corpus: str | pd.DataFrame | None = None,
    corpus_rate: float = 0.1,
    problem_window_days: float = 150.0,
    churn_delay_days: tuple[float, float] = (10.0, 60.0),
    signal_cases: bool | Mapping[str, float] = True,
    identity_cases: bool = False,
) -> dict[str, pd.DataFrame]:
    """Simulate customers, feedback, contacts and events with known ground truth.

    Args:
        n_customers: Number of customers.
        seed: Seed of the random generator; the same arguments give the same frames.
        start: First day of the simulated period.
        days: Length of the period; the end is ``as_of`` for profiling.
        issue_rate: Share of customers who hit a planted issue.
        background_problem_rate: Share with an ordinary, unplanted problem.
        base_churn: Churn probability without any issue.
        recurrence_rate: Share of affected customers whose problem recurs.
        texts_per_customer: Mean number of praise / inquiry texts per customer.
        issues: The planted issues (default :data:`DEFAULT_ISSUES`).
        corpus: Optionally mix in labelled texts from a corpus (a
            :func:`voc.datasets.load_frame` name such as ``"voc_zh"`` or a
            DataFrame with ``text`` and the gold columns); skipped with a warning
            when it is not available.
        corpus_rate: Corpus texts per customer (when ``corpus`` is given).
        problem_window_days: Problems start between ``problem_window_days`` and
            10 days before the end (default 150: the last five months). A longer
            window spreads problems over the history, e.g. for time-split churn
            models (:mod:`voc.churn`) trained on an earlier snapshot.
        churn_delay_days: ``(low, high)`` days between the start of a problem and
            the churn it leads to (uniform; capped at the end of the period).
        signal_cases: Add the hard cases of :func:`add_signal_hard_cases` (decoy
            signals, routine questions, churn without a problem, solved silent
            customers, drawn-out episodes); a mapping overrides their rates
            (:data:`SIGNAL_CASE_RATES`); ``False`` leaves them out.
        identity_cases: Also plant the identity hard cases of
            :func:`plant_identity_cases` (default settings, same seed).

    Returns:
        ``{"customers", "feedback", "contacts", "events", "truth", "text_truth"}``;
        see the module docstring for the truth columns. ``feedback`` has the
        columns of :func:`voc.analyze_frame` with gold values.
    """
    _check_args(n_customers, days, problem_window_days, churn_delay_days)
    rng = np.random.default_rng(seed)
    origin = pd.Timestamp(start)
    sim = _Simulation(
        t_end=float(days),  # times are float days since ``start`` until the frames are built
        issues=tuple(issues),
        issue_rate=issue_rate,
        background_problem_rate=background_problem_rate,
        base_churn=base_churn,
        recurrence_rate=recurrence_rate,
        texts_per_customer=texts_per_customer,
        problem_window_days=problem_window_days,
        churn_delay_days=churn_delay_days,
    )
    b = _Builder()
    ids, leans, signup = _draw_population(rng, n_customers, days)
    truth_rows: list[dict[str, Any]] = []
    cust_rows: list[tuple[str, float, bool]] = []
    for cid, lean, signed_up in zip(ids, leans, signup, strict=True):
        cust_row, truth_row = _simulate_customer(rng, b, sim, cid, lean, float(signed_up))
        cust_rows.append(cust_row)
        truth_rows.append(truth_row)

    feedback = pd.DataFrame(b.feedback)
    corpus_df = _load_corpus(corpus)
    if corpus_df is not None and len(corpus_df):
        feedback = _mix_corpus(rng, feedback, corpus_df, ids, sim.t_end, corpus_rate, truth_rows)
    out = _build_frames(b, feedback, _truth_table(truth_rows), cust_rows, origin)
    if signal_cases is not False:
        rates = dict(signal_cases) if isinstance(signal_cases, Mapping) else {}
        out = add_signal_hard_cases(out, seed=seed, end=origin + pd.Timedelta(days=days), issues=issues, **rates)
    return plant_identity_cases(out, seed=seed) if identity_cases else out


@dataclass(frozen=True)
class _Simulation:
    """The settings of one :func:`generate_history` run that the per-customer steps read."""

    t_end: float
    issues: tuple[PlantedIssue, ...]
    issue_rate: float
    background_problem_rate: float
    base_churn: float
    recurrence_rate: float
    texts_per_customer: float
    problem_window_days: float
    churn_delay_days: tuple[float, float]

    @property
    def issue_weights(self) -> np.ndarray:
        """The planted issues' drawing probabilities."""
        iw = np.array([i.weight for i in self.issues])
        return iw / iw.sum()


def _check_args(
    n_customers: int, days: int, problem_window_days: float, churn_delay_days: tuple[float, float]
) -> None:
    """Step 0: one-line errors for impossible settings."""
    if n_customers < 1:
        raise ValueError("n_customers must be >= 1")
    if not 10 < problem_window_days <= days:
        raise ValueError("problem_window_days must be > 10 and <= days")
    if not 0 <= churn_delay_days[0] <= churn_delay_days[1]:
        raise ValueError("churn_delay_days must be (low, high) with 0 <= low <= high")


def _draw_population(rng: np.random.Generator, n_customers: int, days: int) -> tuple[list[str], list[str], np.ndarray]:
    """Step 1: customer ids, archetype leans and signup times (days since ``start``)."""
    names = list(ARCHETYPE_LEANS)
    shares = np.array([ARCHETYPE_LEANS[a][0] for a in names])
    arche = rng.choice(len(names), size=n_customers, p=shares / shares.sum())
    ids = [f"C{i:06d}" for i in range(n_customers)]
    signup = rng.uniform(-3 * 365, days - 30, n_customers)
    return ids, [names[a] for a in arche], signup


def _simulate_customer(
    rng: np.random.Generator, b: _Builder, sim: _Simulation, cid: str, lean: str, signup: float
) -> tuple[tuple[str, float, bool], dict[str, Any]]:
    """Step 2, per customer: problem, contacts, churn and activity; returns the master row and the truth row."""
    day = 1.0
    u = rng.random()
    issue_idx = -1
    background = False
    if u < sim.issue_rate:
        issue_idx = int(rng.choice(len(sim.issues), p=sim.issue_weights))
    elif u < sim.issue_rate + sim.background_problem_rate:
        background = True
    has_problem = issue_idx >= 0 or background
    reason = None
    if lean in _REASONS_BY_ARCHETYPE and has_problem:
        opts = _REASONS_BY_ARCHETYPE[lean]
        reason = opts[int(rng.choice(len(opts), p=[w for _, w in opts]))][0]
    verified = bool(rng.random() < (0.3 if reason == "privacy_concern" else 0.88))
    life_start = max(signup, 0.0)

    t0 = sim.t_end - float(rng.uniform(10, sim.problem_window_days)) if has_problem else None
    if t0 is not None and t0 < life_start:
        t0 = life_start + day
    p_silent = ARCHETYPE_LEANS[lean][1]
    silent = bool(has_problem and rng.random() < (p_silent if issue_idx >= 0 else 0.65))
    contact_times: list[float] = []
    solved = False
    recurring = False

    _unrelated_inquiry(rng, b, sim, cid, t0, life_start, contact_times)
    if issue_idx >= 0:
        solved, recurring = _simulate_issue(
            rng, b, cid, lean, reason, sim.issues[issue_idx], t0, sim.t_end, silent, contact_times,
            sim.recurrence_rate,
        )
    elif background:
        solved = _simulate_background(rng, b, cid, lean, reason, t0, silent, contact_times)
    lift = 0.0
    if issue_idx >= 0:
        lift = sim.issues[issue_idx].churn_lift * (0.4 if solved else 1.0) * (1.2 if silent else 1.0)
    churned, churn_by_issue, churn_at = _simulate_churn(rng, b, sim, cid, lift, t0, life_start)
    _simulate_activity(rng, b, sim, cid, issue_idx >= 0 or background, solved, t0, life_start,
                       churn_at if churned else sim.t_end)
    truth_row = {
        "customer_id": cid,
        "has_problem": has_problem,
        "issue": sim.issues[issue_idx].code if issue_idx >= 0 else None,
        "issue_id": issue_idx,
        "problem_start": t0,
        "silent": False,
        "contacted": False,
        "solved": solved if has_problem else None,
        "recurring": recurring,
        "churned": churned,
        "churn_caused_by_issue": churn_by_issue,
        "archetype_lean": lean,
        "reason": reason,
        "_contacts": contact_times,
    }
    return (cid, signup, verified), truth_row


def _unrelated_inquiry(
    rng: np.random.Generator, b: _Builder, sim: _Simulation, cid: str, t0: float | None, life_start: float,
    contact_times: list[float],
) -> None:
    """An unrelated inquiry contact (before the problem, or anytime without one)."""
    has_problem = t0 is not None
    if rng.random() < (0.1 if has_problem else 0.15):
        hi = (t0 - 20.0) if t0 is not None else sim.t_end
        if hi > life_start:
            ts = life_start + (hi - life_start) * float(rng.random())
            ch = _choice(rng, _CONTACT_CHANNELS)[0]
            b.contact(cid, ts, ch, "inquiry", True)
            contact_times.append(ts)


def _simulate_churn(
    rng: np.random.Generator, b: _Builder, sim: _Simulation, cid: str, lift: float, t0: float | None,
    life_start: float,
) -> tuple[bool, bool, float | None]:
    """Churn = base rate + the issue's lift; returns ``(churned, caused_by_issue, churn_time)``."""
    day = 1.0
    uc = rng.random()
    if uc >= sim.base_churn + lift:
        return False, False, None
    churn_by_issue = uc >= sim.base_churn
    if t0 is not None:
        churn_at = min(t0 + float(rng.uniform(*sim.churn_delay_days)), sim.t_end - 0.5 * day)
    else:
        churn_at = sim.t_end - float(rng.uniform(1, 365))
        churn_at = max(churn_at, life_start + day)
    b.event(cid, churn_at, "churn")
    if rng.random() < 0.2:
        b.text(
            cid,
            (churn_at - 0.2 * day),
            _choice(rng, _PUBLIC_CHANNELS),
            _choice(rng, _CHURN_TEXTS),
            sentiment="negative",
            score=-0.4,
            emotion="resignation",
            intent="cancel",
            behaviors=["reduced_purchase"],
            journey="unresolved",
            stage="explicit_grumble",
            kind="churn",
        )
    return True, churn_by_issue, churn_at


def _simulate_activity(
    rng: np.random.Generator, b: _Builder, sim: _Simulation, cid: str, has_problem: bool, solved: bool,
    t0: float | None, life_start: float, life_end: float,
) -> None:
    """Orders (up to churn), an NPS score, praise and inquiry texts."""
    span_days = max(life_end - life_start, 1.0)
    lam = float(np.exp(rng.normal(np.log(3.0), 0.6))) * span_days / 365.0
    n_orders = int(rng.poisson(lam))
    if has_problem:
        n_orders = max(n_orders, 1)
    offs = np.sort(rng.uniform(0, span_days, n_orders))
    amounts = np.round(np.exp(rng.normal(4.0, 0.8, n_orders)), 2)
    for off, amt in zip(offs, amounts, strict=True):
        b.event(cid, life_start + float(off), "order", amount=float(amt))
    if not has_problem and rng.random() < 0.25:
        ts = life_start + (life_end - life_start) * float(rng.random())
        b.event(cid, ts, "nps", score=float(rng.integers(7, 11)))
    # unhappy customers with an open problem do not post praise after it
    praise_end = t0 if t0 is not None and has_problem and not solved else life_end
    for _ in range(int(rng.poisson(sim.texts_per_customer))):
        if rng.random() < 0.6:
            ts = life_start + (max(praise_end, life_start) - life_start) * float(rng.random())
            b.text(
                cid,
                ts,
                _choice(rng, _PUBLIC_CHANNELS),
                _choice(rng, _PRAISE),
                sentiment="positive",
                score=float(rng.uniform(0.5, 0.95)),
                emotion="delight",
                intent="praise",
                journey="resolved",
                kind="praise",
            )
        else:
            ts = life_start + (life_end - life_start) * float(rng.random())
            b.text(
                cid,
                ts,
                _choice(rng, ("app_review", "survey_verbatim", "forum")),
                _choice(rng, _INQUIRY),
                sentiment="neutral",
                score=float(rng.uniform(-0.1, 0.1)),
                emotion="neutral",
                intent="inquiry",
                journey="seeking_help",
                kind="inquiry",
            )


def _build_frames(
    b: _Builder, feedback: pd.DataFrame, truth: pd.DataFrame, cust_rows: list[tuple[str, float, bool]],
    origin: pd.Timestamp,
) -> dict[str, pd.DataFrame]:
    """Step 4: float days -> timestamps, sorted output tables, ``text_truth`` split off ``feedback``."""

    def stamp(x: Any) -> Any:
        return origin + pd.to_timedelta(np.round(np.asarray(x, dtype=float) * 86400), unit="s")

    truth["problem_start"] = stamp(truth["problem_start"].astype(float))
    feedback["timestamp"] = stamp(feedback["timestamp"])
    feedback = feedback.sort_values("timestamp", kind="stable").reset_index(drop=True)
    text_truth = feedback[["_issue", "_kind"]].rename(columns={"_issue": "issue", "_kind": "kind"})
    feedback = feedback.drop(columns=["_issue", "_kind"])
    contacts = pd.DataFrame(b.contacts, columns=["customer_id", "channel", "timestamp", "topic", "resolved"])
    contacts["timestamp"] = stamp(contacts["timestamp"])
    contacts = contacts.sort_values("timestamp", kind="stable").reset_index(drop=True)
    events = pd.DataFrame(b.events, columns=["customer_id", "timestamp", "type", "amount", "score", "detail"])
    events["timestamp"] = stamp(events["timestamp"])
    events = events.sort_values(["timestamp", "customer_id"], kind="stable").reset_index(drop=True)
    customers = pd.DataFrame(cust_rows, columns=["customer_id", "signup_date", "verified"])
    customers["signup_date"] = stamp(customers["signup_date"])
    return {
        "customers": customers,
        "feedback": feedback,
        "contacts": contacts,
        "events": events,
        "truth": truth,
        "text_truth": text_truth,
    }


def _simulate_issue(
    rng: np.random.Generator,
    b: _Builder,
    cid: str,
    lean: str,
    reason: str | None,
    issue: PlantedIssue,
    t0: float,
    t_end: float,
    silent: bool,
    contact_times: list[float],
    recurrence_rate: float,
) -> tuple[bool, bool]:
    """One customer's experience of a planted issue. Returns (solved, recurring)."""
    day = 1.0
    sig_type, sig_detail = issue.signature
    observed = False
    if rng.random() < 0.75:
        amount = float(np.round(np.exp(rng.normal(4.0, 0.8)), 2)) if sig_type == "return" else np.nan
        b.event(cid, (t0 + float(rng.uniform(0, 2)) * day), sig_type, amount=amount, detail=sig_detail)
        observed = True
    if rng.random() < 0.4:
        score = float(rng.integers(0, 7)) if rng.random() < 0.8 else float(rng.integers(7, 9))
        b.event(cid, (t0 + float(rng.uniform(1, 7)) * day), "nps", score=score)
        observed = observed or score <= 6
    solved = False
    if silent:
        if rng.random() < 0.8:
            _silent_text(rng, b, cid, lean, reason, issue, t0 + float(rng.uniform(0, 7)) * day)
            observed = True
            solved = reason in _REASON_SOLVED
    else:
        solved = _vocal(rng, b, cid, issue, t0 + float(rng.uniform(0, 5)) * day, contact_times)
        observed = True
    if not observed and rng.random() < 0.98:
        b.event(cid, (t0 + float(rng.uniform(0, 2)) * day), sig_type, detail=sig_detail)
    recurring = False
    t1 = t0 + float(rng.uniform(20, 40)) * day
    if rng.random() < recurrence_rate and t1 < t_end - day:
        recurring = True
        solved = False
        b.event(cid, t1, sig_type, detail=sig_detail)
        if silent or rng.random() < 0.4:
            if rng.random() < 0.7:
                text, emotion, intent = _complaint_text(rng, issue)
                pre = _choice(rng, _RECURRED)
                b.text(
                    cid,
                    (t1 + 0.3 * day),
                    _choice(rng, _PUBLIC_CHANNELS),
                    pre + text,
                    sentiment="negative",
                    score=float(rng.uniform(-0.95, -0.5)),
                    emotion=emotion,
                    intent=intent,
                    stage="explicit_grumble",
                    aspects=issue.aspects,
                    journey="recurred",
                    issue=issue.code,
                    kind="recurred",
                )
        else:
            solved = _vocal(
                rng,
                b,
                cid,
                issue,
                t1 + float(rng.uniform(0, 3)) * day,
                contact_times,
                p_resolve=0.6,
                recurred=True,
            )
    return solved, recurring


def _silent_text(
    rng: np.random.Generator,
    b: _Builder,
    cid: str,
    lean: str,
    reason: str | None,
    issue: PlantedIssue,
    ts: float,
) -> None:
    text, emotion, intent = _complaint_text(rng, issue)
    reasons: list[str] = []
    evidence: dict[str, list[str]] = {}
    extra: dict[str, Any] = {}
    behaviors: list[str] = ["negative_review"] if text.endswith("差评") else []
    journey = "unresolved"
    channel = _choice(rng, _PUBLIC_CHANNELS)
    if reason is not None and rng.random() < 0.85:
        phrase = _choice(rng, _REASON_PHRASES[reason])
        text = f"{text}，{phrase}"
        reasons = [reason]
        evidence[reason] = [phrase]
        if reason in _REASON_SOLVED:
            journey = "resolved"
        if reason in ("let_it_go", "conflict_avoidance") and rng.random() < 0.7:
            emotion = "resignation"
    if lean in _STYLE and rng.random() < 0.85:
        phrase, labels = _STYLE[lean]
        text = f"{text}，{phrase}"
        extra = labels
        if lean == "叛逆者":
            channel = "weibo"
            evidence["word_of_mouth"] = [phrase]
        elif lean == "统治者":
            evidence["preachy"] = [phrase]
    b.text(
        cid,
        ts,
        channel,
        text,
        sentiment="negative",
        score=float(rng.uniform(-0.95, -0.5)),
        emotion=emotion,
        intent=extra.get("intent", intent),
        reasons=reasons,
        stage="explicit_grumble",
        behaviors=behaviors + extra.get("behaviors", []),
        aspects=issue.aspects,
        journey=journey,
        temperament=extra.get("temperament", "none"),
        evidence=evidence,
        issue=issue.code,
        kind="silent",
    )


def _vocal(
    rng: np.random.Generator,
    b: _Builder,
    cid: str,
    issue: PlantedIssue,
    ts: float,
    contact_times: list[float],
    p_resolve: float | None = None,
    recurred: bool = False,
) -> bool:
    """1-3 contacts about ``issue`` starting at ``ts``; returns whether the last one solved it."""
    day = 1.0
    n = int(rng.choice([1, 2, 3], p=[0.55, 0.3, 0.15]))
    if p_resolve is None:
        p_resolve = {1: 0.75, 2: 0.45, 3: 0.3}[n]
    resolved = bool(rng.random() < p_resolve)
    ch, fb_channel = _choice(rng, _CONTACT_CHANNELS)
    for j in range(n):
        last = j == n - 1
        ok = resolved and last
        b.contact(cid, ts, ch, issue.code, ok)
        contact_times.append(ts)
        if rng.random() < 0.9:
            text, emotion, intent = _complaint_text(rng, issue)
            if j == 0:
                pre = _choice(rng, _RECURRED) if recurred else _choice(rng, _VOCAL_OPEN)
                journey = "recurred" if recurred else "seeking_help"
            else:
                pre = _choice(rng, _VOCAL_AGAIN)
                journey, intent = "unresolved", "urge"
            stage = "complaint" if pre.startswith("我要投诉") else "explicit_grumble"
            ev = {"complaint": ["投诉"]} if stage == "complaint" else {}
            b.text(
                cid,
                ts - 10 / 1440,
                fb_channel,
                pre + text,
                sentiment="negative",
                score=float(rng.uniform(-0.95, -0.5)),
                emotion=emotion,
                intent=intent,
                stage=stage,
                behaviors=["direct_complaint"],
                aspects=issue.aspects,
                journey=journey,
                evidence=ev,
                issue=issue.code,
                kind="vocal",
            )
        if ok and rng.random() < 0.6:
            b.text(
                cid,
                (ts + float(rng.uniform(0.1, 2)) * day),
                _choice(rng, _PUBLIC_CHANNELS),
                _choice(rng, _RESOLVED),
                sentiment="positive",
                score=float(rng.uniform(0.3, 0.8)),
                emotion="delight",
                intent="praise",
                aspects=("customer_service",),
                journey="resolved",
                kind="resolution",
            )
        ts = ts + float(rng.uniform(2, 10)) * day
    return resolved


def _simulate_background(
    rng: np.random.Generator,
    b: _Builder,
    cid: str,
    lean: str,
    reason: str | None,
    t0: float,
    silent: bool,
    contact_times: list[float],
) -> bool:
    """An ordinary problem (return, low NPS or a generic bad review). Returns solved."""
    day = 1.0
    kind = rng.random()
    if kind < 0.4:
        b.event(
            cid,
            t0,
            "return",
            amount=float(np.round(np.exp(rng.normal(4.0, 0.8)), 2)),
            detail="not_as_expected",
        )
    elif kind < 0.6:
        b.event(cid, t0, "nps", score=float(rng.integers(0, 7)))
    else:
        text, emotion, aspects = _choice(rng, _BACKGROUND_NEG)
        b.text(
            cid,
            t0,
            _choice(rng, _PUBLIC_CHANNELS),
            text,
            sentiment="negative",
            score=float(rng.uniform(-0.8, -0.3)),
            emotion=emotion,
            intent="venting",
            stage="latent_grumble",
            aspects=aspects,
            journey="problem_found",
            kind="background",
        )
    if silent:
        return False
    ts = t0 + float(rng.uniform(0, 3)) * day
    resolved = bool(rng.random() < 0.8)
    b.contact(cid, ts, _choice(rng, _CONTACT_CHANNELS)[0], "other", resolved)
    contact_times.append(ts)
    return resolved
