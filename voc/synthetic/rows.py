"""The row collector of the simulated tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from voc.synthetic.texts import _emotion_evidence


class _Builder:
    """Collects rows for the output tables."""

    def __init__(self) -> None:
        self.feedback: list[dict[str, Any]] = []
        self.contacts: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []

    def text(
        self,
        cid: str | None,
        ts: float,
        channel: str,
        text: str,
        *,
        sentiment: str,
        score: float,
        emotion: str,
        intent: str,
        reasons: list[str] | None = None,
        stage: str = "none",
        behaviors: list[str] | None = None,
        aspects: Sequence[str] = (),
        journey: str = "problem_found",
        temperament: str = "none",
        evidence: dict[str, list[str]] | None = None,
        issue: str | None = None,
        kind: str = "",
    ) -> None:
        ev = dict(evidence or {})
        cues = _emotion_evidence(text, emotion)
        if cues:
            ev.setdefault(emotion, cues)
        self.feedback.append(
            {
                "customer_id": cid,
                "channel": channel,
                "timestamp": ts,
                "text": text,
                "sentiment": sentiment,
                "sentiment_score": round(score, 3),
                "emotion": emotion,
                "intent": intent,
                "non_complaint_reasons": list(reasons or []),
                "complaint_stage": stage,
                "behaviors": list(behaviors or []),
                "aspects": list(aspects),
                "journey_stage": journey,
                "temperament": temperament,
                "error": None,
                "evidence": ev,
                "_issue": issue,
                "_kind": kind,
            }
        )

    def contact(self, cid: str, ts: float, channel: str, topic: str, resolved: bool) -> None:
        self.contacts.append((cid, channel, ts, topic, resolved))

    def event(
        self,
        cid: str,
        ts: float,
        etype: str,
        amount: float = np.nan,
        score: float = np.nan,
        detail: str | None = None,
    ) -> None:
        self.events.append((cid, ts, etype, amount, score, detail))
