"""Mixing labelled corpus texts into a simulated history."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd


def _load_corpus(corpus: str | pd.DataFrame | None) -> pd.DataFrame | None:
    if corpus is None:
        return None
    if isinstance(corpus, pd.DataFrame):
        return corpus
    try:
        from voc.datasets import load_frame

        return load_frame(corpus)
    except (FileNotFoundError, ImportError, ValueError) as e:
        warnings.warn(f"corpus {corpus!r} not available ({e}); generating without it", stacklevel=3)
        return None


def _mix_corpus(
    rng: np.random.Generator,
    feedback: pd.DataFrame,
    corpus: pd.DataFrame,
    ids: list[str],
    t_end: float,
    rate: float,
    truth_rows: list[dict[str, Any]],
) -> pd.DataFrame:
    """Add labelled corpus texts as public posts of random customers; update their truth."""
    if "text" not in corpus.columns or "sentiment" not in corpus.columns:
        warnings.warn("corpus lacks 'text'/'sentiment' columns; not mixed in", stacklevel=3)
        return feedback
    n = min(int(round(rate * len(ids))), len(corpus))
    rows = corpus.iloc[np.sort(rng.choice(len(corpus), size=n, replace=False))]
    who = rng.integers(0, len(ids), size=n)
    when = t_end - rng.uniform(1, 150, n)
    add = pd.DataFrame(
        {
            "customer_id": [ids[i] for i in who],
            "channel": [
                c if c not in ("chat", "hotline_transcript") else "forum"
                for c in (rows["channel"] if "channel" in rows.columns else ["forum"] * n)
            ],
            "timestamp": when,
            "text": rows["text"].to_numpy(),
        }
    )
    for col in feedback.columns:
        if col in rows.columns and col not in add.columns:
            add[col] = rows[col].to_numpy()
    defaults = {
        "emotion": "neutral",
        "intent": "other",
        "complaint_stage": "none",
        "journey_stage": "problem_found",
        "temperament": "none",
    }
    for col in feedback.columns:
        if col not in add.columns and col in defaults:
            add[col] = defaults[col]
        elif col not in add.columns and col in ("non_complaint_reasons", "behaviors", "aspects"):
            add[col] = [[] for _ in range(n)]
    add["sentiment_score"] = add["sentiment"].map({"negative": -0.7, "neutral": 0.0, "positive": 0.7})
    add["error"] = None
    add["evidence"] = [{} for _ in range(n)]
    add["_issue"] = None
    add["_kind"] = "corpus"
    for i, w, s in zip(who, when, add["sentiment"], strict=True):
        if s == "negative":
            r = truth_rows[i]
            if not r["has_problem"] or w < r["problem_start"]:
                r["problem_start"] = w
            r["has_problem"] = True
            if r["solved"] is None:
                r["solved"] = False
    return pd.concat([feedback, add[feedback.columns]], ignore_index=True)


# --- issue-discovery hard cases (#14): background texts of another domain, synonyms, generic negativity
