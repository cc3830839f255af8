"""Who else has the problem: customers matched by text similarity and event patterns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import normalize

from voc.history import History
from voc.issues.discover import IssueModel
from voc.issues.space import TextSpace

__all__ = ["WhoElse", "who_else"]


@dataclass
class WhoElse:
    """Customers with the same problem.

    Attributes:
        customers: Index = customer_id; ``match`` (``text`` | ``event`` |
            ``text+event``), ``similarity`` (best text cosine), ``n_texts``,
            ``example`` (best matching text), ``events`` (matched event
            patterns), ``group`` (``vocal`` | ``silent`` | ``other``; from the
            profile), ``churned``.
        counts: Rows vocal / silent / other / total; columns ``text``
            (matched by a text), ``event_only``, ``total``, ``churned``.
        patterns: Event patterns used, with ``support`` (share of the seed
            customers who have it) and ``lift``.
        threshold: The cosine threshold used for texts.
    """

    customers: pd.DataFrame
    counts: pd.DataFrame
    patterns: pd.DataFrame = field(default_factory=pd.DataFrame)
    threshold: float = float("nan")

    def as_assignment(self, issue_id: Any) -> pd.DataFrame:
        """``customer_id`` / ``issue_id`` rows, to extend an assignment before :func:`churn_by_issue`."""
        return pd.DataFrame({"customer_id": self.customers.index, "issue_id": issue_id})


def _event_keys(events: pd.DataFrame) -> pd.Series:
    t = events["type"].astype(str).str.lower()
    if "detail" in events.columns:
        d = events["detail"]
        return t.where(d.isna() | (d.astype(str) == ""), t + ":" + d.astype(str))
    return t


def _has_detail(events: pd.DataFrame) -> pd.Series:
    """Whether each event carries a non-empty ``detail`` (all False without the column)."""
    if "detail" not in events.columns:
        return pd.Series(False, index=events.index)
    d = events["detail"]
    return d.notna() & (d.astype(str).str.strip() != "")


def who_else(
    issue_or_text: Any,
    feedback: Any = None,
    profiles: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    *,
    assignment: pd.DataFrame | None = None,
    model: IssueModel | None = None,
    min_similarity: float | None = None,
    event_pattern: str | Sequence[str] | Callable[[pd.DataFrame], pd.Series] | None = "auto",
    min_support: float = 0.2,
    min_lift: float = 3.0,
    exclude_event_types: Sequence[str] = ("order", "nps", "churn"),
    negative_only: bool = True,
    text_col: str = "text",
) -> WhoElse:
    """Find every customer with the same problem, vocal or silent (seed 004).

    ``who_else(history, issue, model=model)`` takes a :class:`voc.History` first and the
    query second; the history's analyzed feedback, profiles and events are used and a
    fitted ``model`` gives the ``assignment`` (its ``assignment_``).

    Args:
        issue_or_text: A :class:`voc.History` (then ``feedback`` is the query), or a complaint text; a list of texts; an issue id (needs
            ``assignment``); or a row of the ``issues`` table (its examples are
            the query).
        feedback: Feedback with ``customer_id`` and ``text``.
        profiles: Output of :func:`voc.customers.profile_customers`.
        events: Events table, for event patterns.
        assignment: Output of :func:`discover_issues`, to query an issue id.
        model: A fitted :class:`IssueModel` whose TF-IDF space is reused (else
            one is fitted on ``feedback``).
        min_similarity: Cosine threshold for a text match. Default: for an
            issue, the 10th percentile of its own texts' similarity to the
            issue centre (at least 0.15); for a text query, 0.08 (a short
            query shares few n-grams even with close paraphrases; unrelated
            texts score about 0-0.03).
        event_pattern: ``"auto"`` (event type[:detail] keys with support >=
            ``min_support`` among the text-matched customers and lift >=
            ``min_lift`` vs the others, types in ``exclude_event_types`` left
            out: churn is an outcome, not a symptom; only events with a
            ``detail``: a bare type such as ``self_service_fail`` is shared by
            different issues, so without a ``detail`` column the membership
            comes from the texts alone), a list of
            keys such as ``["self_service_fail:app_crash"]``, a callable
            ``events -> bool mask``, or ``None``.
        min_support: See ``event_pattern``.
        min_lift: See ``event_pattern``.
        exclude_event_types: Event types never used as an automatic pattern.
        negative_only: Match only negative texts (when ``sentiment`` exists).
        text_col: Text column.

    Returns:
        A :class:`WhoElse`.

    Raises:
        ValueError: An issue id without ``assignment``, or an empty query.
    """
    if isinstance(issue_or_text, History):
        h = issue_or_text
        if profiles is not None or events is not None:
            raise TypeError("who_else(history, issue): the tables come from the History; pass no others")
        issue_or_text, feedback = feedback, h.usable("feedback")
        profiles, events, text_col = h.profiles, h.usable("events"), "text"
    if assignment is None and model is not None and getattr(model, "assignment_", None) is not None:
        assignment = model.assignment_
    if feedback is None or profiles is None:
        raise ValueError("who_else: feedback and profiles are required (or pass a History first)")
    if "customer_id" not in feedback.columns:
        raise ValueError("who_else: feedback needs a 'customer_id' column")
    fb = feedback
    if negative_only and "sentiment" in fb.columns:
        fb = fb[fb["sentiment"] == "negative"]
    fb = fb[fb["customer_id"].notna() & fb[text_col].notna()]
    texts = fb[text_col].astype(str).tolist()
    if not texts:
        raise ValueError("who_else: no feedback to search")
    space = model.space_ if model is not None else TextSpace().fit(texts)
    x = space.transform(texts)

    query_rows: pd.Index | None = None
    if (
        isinstance(issue_or_text, (pd.Series, dict))
        and "issue_id" in issue_or_text
        and assignment is not None
    ):
        issue_or_text = int(issue_or_text["issue_id"])
    if isinstance(issue_or_text, (pd.Series, dict)):
        issue_or_text = list(issue_or_text.get("examples") or [])
    if isinstance(issue_or_text, (int, np.integer)):
        if assignment is None:
            raise ValueError("who_else: an issue id needs the assignment from discover_issues")
        query_rows = assignment.index[assignment["issue_id"] == int(issue_or_text)]
        members = fb.index.intersection(query_rows)
        if members.empty:
            raise ValueError(f"who_else: issue {issue_or_text} has no texts in feedback")
        pos = fb.index.get_indexer(members)
        q = normalize(np.asarray(x[pos].mean(axis=0)))
        own = np.asarray(x[pos] @ q.T).ravel()
        thr = max(0.15, float(np.quantile(own, 0.1))) if min_similarity is None else min_similarity
    else:
        queries = [issue_or_text] if isinstance(issue_or_text, str) else [str(t) for t in issue_or_text]
        if not queries or not any(s.strip() for s in queries):
            raise ValueError("who_else: empty query")
        q = normalize(np.asarray(space.transform(queries).mean(axis=0)))
        thr = 0.08 if min_similarity is None else min_similarity
    sims = np.asarray(x @ q.T).ravel()
    hit = sims >= thr
    if query_rows is not None:
        hit |= fb.index.isin(query_rows)
    m = pd.DataFrame(
        {
            "customer_id": fb["customer_id"].to_numpy()[hit],
            "similarity": sims[hit],
            "text": np.asarray(texts, dtype=object)[hit],
        }
    )
    m = m.sort_values("similarity", ascending=False)
    g = m.groupby("customer_id", sort=False)
    by_text = pd.DataFrame(
        {"similarity": g["similarity"].max(), "n_texts": g.size(), "example": g["text"].first()}
    )

    patterns = pd.DataFrame(columns=["support", "lift"])
    by_event = pd.Series(dtype=object)
    if events is not None and event_pattern is not None and len(events):
        ev = events[events["customer_id"].notna()].copy()
        ev["_key"] = _event_keys(ev)
        if callable(event_pattern):
            mask = np.asarray(event_pattern(ev), dtype=bool)
            keys = ev.loc[mask, "_key"]
            sel = ev[mask]
            patterns = pd.DataFrame(
                index=pd.Index(keys.unique(), name="pattern"), columns=["support", "lift"]
            )
        else:
            if event_pattern == "auto":
                seeds = set(by_text.index)
                cand = ev[~ev["type"].astype(str).str.lower().isin([t.lower() for t in exclude_event_types])]
                # only events that carry the issue's detail: a bare type (self_service_fail) is
                # shared by different issues and would pull their customers in
                cand = cand[_has_detail(cand)]
                per = cand.groupby("_key")["customer_id"].apply(lambda s: set(s))
                n_seed = max(len(seeds), 1)
                n_rest = max(len(profiles.index.difference(list(seeds))), 1)
                rows = []
                for key, custs in per.items():
                    a = len(custs & seeds)
                    b = len(custs) - a
                    support = a / n_seed
                    lift = support / max(b / n_rest, 1e-9)
                    rows.append((key, support, lift))
                allp = pd.DataFrame(rows, columns=["pattern", "support", "lift"]).set_index("pattern")
                patterns = allp[(allp["support"] >= min_support) & (allp["lift"] >= min_lift)]
                keys = list(patterns.index)
            else:
                keys = [event_pattern] if isinstance(event_pattern, str) else list(event_pattern)
                patterns = pd.DataFrame(index=pd.Index(keys, name="pattern"), columns=["support", "lift"])
            sel = ev[ev["_key"].isin(keys) | ev["type"].astype(str).str.lower().isin(keys)]
        by_event = sel.groupby("customer_id")["_key"].agg(lambda s: sorted(set(s)))

    ids = by_text.index.union(by_event.index)
    ids = ids[ids.isin(profiles.index)]
    out = pd.DataFrame(index=pd.Index(ids, name="customer_id"))
    out = out.join(by_text, how="left")
    out["events"] = by_event.reindex(ids).map(lambda v: v if isinstance(v, list) else [])
    txt = out["n_texts"].notna()
    evm = out["events"].map(len) > 0
    out["n_texts"] = out["n_texts"].fillna(0).astype(int)
    out["match"] = np.where(txt & evm, "text+event", np.where(txt, "text", "event"))
    prof = profiles.reindex(ids)
    out["group"] = np.where(
        prof["vocal"].fillna(False).astype(bool),
        "vocal",
        np.where(prof["silent"].fillna(False).astype(bool), "silent", "other"),
    )
    out["churned"] = prof["churned"].fillna(False).astype(bool).to_numpy()
    out = out.sort_values(["similarity"], ascending=False, na_position="last")

    counts = pd.DataFrame(index=pd.Index(["vocal", "silent", "other"], name="group"))
    counts["text"] = out[out["n_texts"] > 0].groupby("group").size().reindex(counts.index, fill_value=0)
    counts["event_only"] = (
        out[out["match"] == "event"].groupby("group").size().reindex(counts.index, fill_value=0)
    )
    counts["total"] = counts["text"] + counts["event_only"]
    counts["churned"] = out[out["churned"]].groupby("group").size().reindex(counts.index, fill_value=0)
    counts.loc["total"] = counts.sum()
    return WhoElse(customers=out, counts=counts.astype(int), patterns=patterns, threshold=float(thr))
