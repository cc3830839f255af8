"""Result types returned by the analyzer: plain, typed, JSON-friendly.

``Prediction`` is a single-label answer (``label``, ``score``, ``scores`` over all
labels); ``Label`` is one label of a multi-label task with its ``evidence`` spans.
Both also read like transformers pipeline records: ``pred.to_dict()`` gives
``{"label": ..., "score": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Evidence", "Label", "Prediction", "Result", "SINGLE_TASKS", "MULTI_TASKS", "FLAT_COLUMNS",
           "SCORE_COLUMNS", "RECORD_COLUMNS"]

SINGLE_TASKS = ("sentiment", "emotion", "intent", "complaint_stage", "journey_stage", "temperament")
MULTI_TASKS = ("non_complaint_reasons", "behaviors", "aspects")
#: Column order of :meth:`Result.to_dict` after sentiment / sentiment_score.
FLAT_ORDER = ("emotion", "intent", "non_complaint_reasons", "complaint_stage", "behaviors", "aspects",
              "journey_stage", "temperament")
#: The label columns of :meth:`Result.to_dict`, in order (also the columns of ``voc.spark``).
FLAT_COLUMNS = ("sentiment", "sentiment_score", *FLAT_ORDER, "error")
#: Score columns of :meth:`Result.to_dict`, after :data:`FLAT_COLUMNS`: ``<task>_score`` (probability of
#: the predicted label) per single-label task and ``<task>_scores`` (``{label: score}`` of the predicted
#: labels) per multi-label task.
SCORE_COLUMNS = tuple(f"{t}_scores" if t in MULTI_TASKS else f"{t}_score" for t in FLAT_ORDER)
#: The keys of :meth:`Result.to_dict`, in order.
RECORD_COLUMNS = (*FLAT_COLUMNS, *SCORE_COLUMNS)


@dataclass(frozen=True)
class Evidence:
    """A span of the (normalized) text that supports a label.

    Attributes:
        text: The matched characters.
        start: Start offset in ``Result.text``.
        end: End offset (exclusive).
        source: ``"lexicon"`` (a cue table entry) or ``"model"`` (a strongly weighted n-gram).
    """

    text: str
    start: int
    end: int
    source: str = "lexicon"

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end, "source": self.source}


@dataclass(frozen=True)
class Label:
    """One label of a multi-label task (or a cue-backed single label)."""

    label: str
    score: float
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score, "evidence": [e.to_dict() for e in self.evidence]}


@dataclass(frozen=True)
class Prediction:
    """A single-label prediction.

    Attributes:
        label: The predicted code.
        score: Its probability; for sentiment a polarity in [-1, 1] (P(pos) - P(neg)).
        scores: Probability of every label of the task.
        evidence: Supporting spans, when a cue table or the model points at some.
    """

    label: str
    score: float
    scores: dict[str, float] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score}


_EMPTY = Prediction(label="", score=0.0)


@dataclass
class Result:
    """Everything voc says about one text.

    ``tokens`` is computed on first access (tokenizing is not needed to classify).
    ``error`` is set, and all labels are empty, when the input was unusable.
    """

    text: str
    sentiment: Prediction = _EMPTY
    emotion: Prediction = _EMPTY
    intent: Prediction = _EMPTY
    complaint_stage: Prediction = _EMPTY
    journey_stage: Prediction = _EMPTY
    temperament: Prediction = _EMPTY
    non_complaint_reasons: list[Label] = field(default_factory=list)
    behaviors: list[Label] = field(default_factory=list)
    aspects: list[Label] = field(default_factory=list)
    error: str | None = None
    truncated: bool = False
    changes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    _tokenize: Callable[[str], list[str]] | None = field(default=None, repr=False, compare=False)
    _tokens: list[str] | None = field(default=None, repr=False, compare=False)

    @property
    def tokens(self) -> list[str]:
        """Tokens of the normalized text (computed lazily, then cached)."""
        if self._tokens is None:
            self._tokens = self._tokenize(self.text) if (self._tokenize and self.text) else []
        return self._tokens

    @property
    def evidence(self) -> dict[str, list[str]]:
        """Matched spans per label code (reasons, behaviours, aspects, stage, emotion)."""
        out: dict[str, list[str]] = {}
        for lab in [*self.non_complaint_reasons, *self.behaviors, *self.aspects]:
            if lab.evidence:
                out.setdefault(lab.label, []).extend(e.text for e in lab.evidence)
        for pred in (self.complaint_stage, self.emotion, self.intent):
            if pred.evidence:
                out.setdefault(pred.label, []).extend(e.text for e in pred.evidence)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Flat record: one column per task, then the score columns (keys: :data:`RECORD_COLUMNS`).

        Multi-label tasks are lists of codes. ``sentiment_score`` is the polarity in [-1, 1];
        ``<task>_score`` is the probability of the predicted label of the other single-label
        tasks; ``<task>_scores`` maps each predicted label of a multi-label task to its score.
        Every score is ``None`` when the text is unusable (``error`` set).
        """
        d: dict[str, Any] = {
            "sentiment": self.sentiment.label or None,
            "sentiment_score": self.sentiment.score if self.sentiment.label else None,
        }
        scores: dict[str, Any] = {}
        for task in FLAT_ORDER:
            value = getattr(self, task)
            if isinstance(value, list):
                d[task] = [lab.label for lab in value]
                scores[f"{task}_scores"] = None if self.error else {lab.label: lab.score for lab in value}
            else:
                d[task] = value.label or None
                scores[f"{task}_score"] = value.score if value.label else None
        d["error"] = self.error
        d.update(scores)
        return d

    def to_json(self) -> dict[str, Any]:
        """Full nested record with scores and evidence (what the HTTP service returns)."""
        d: dict[str, Any] = {"text": self.text}
        for task in SINGLE_TASKS:
            pred = getattr(self, task)
            d[task] = {"label": pred.label or None, "score": pred.score, "scores": pred.scores,
                       "evidence": [e.to_dict() for e in pred.evidence]}
        for task in MULTI_TASKS:
            d[task] = [lab.to_dict() for lab in getattr(self, task)]
        d.update(error=self.error, truncated=self.truncated, changes=list(self.changes))
        return d
