"""Result types returned by the analyzer: plain, typed, JSON-friendly.

``Prediction`` is a single-label answer (``label``, ``score``, ``scores`` over all
labels); ``Label`` is one label of a multi-label task with its ``evidence`` spans.
Both also read like transformers pipeline records: ``pred.to_dict()`` gives
``{"label": ..., "score": ...}``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Protocol

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


@dataclass(frozen=True, slots=True)
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


class Label:
    """One label of a multi-label task (or a cue-backed single label); read-only attributes.

    Attributes:
        label: The label code.
        score: Its score.
        evidence: Supporting spans (found on first access when the analyzer made the label).
    """

    __slots__ = ("_label", "_score", "_evidence", "_src")

    label = property(attrgetter("_label"), doc="The label code.")
    score = property(attrgetter("_score"), doc="Its score.")

    def __init__(self, label: str, score: float, evidence: tuple[Evidence, ...] = ()) -> None:
        self._label = label
        self._score = score
        self._evidence = evidence
        self._src = None

    @classmethod
    def _lazy(cls, label: str, score: float, find: Callable[..., tuple[Evidence, ...]], *args: Any) -> Label:
        """A label whose evidence is ``find(*args)``, called on first access."""
        self = cls.__new__(cls)
        self._label = label
        self._score = score
        self._evidence = ()
        self._src = (find, args)
        return self

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        """Supporting spans."""
        if self._src is not None:
            find, args = self._src
            self._evidence = find(*args)
            self._src = None
        return self._evidence

    def _fields(self) -> tuple[Any, ...]:
        return (self.label, self.score, self.evidence)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"Label(label={self.label!r}, score={self.score!r}, evidence={self.evidence!r})"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (Label, self._fields())

    def __copy__(self) -> Label:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Label:
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score, "evidence": [e.to_dict() for e in self.evidence]}


class Prediction:
    """A single-label prediction (read-only attributes).

    Attributes:
        label: The predicted code.
        score: Its probability; for sentiment a polarity in [-1, 1] (P(pos) - P(neg)).
        scores: Probability of every label of the task (a new mapping is built on first access
            from the analyzer's probability row).
        evidence: Supporting spans, when a cue table or the model points at some.
    """

    __slots__ = ("_label", "_score", "_scores", "_evidence", "_row")

    label = property(attrgetter("_label"), doc="The predicted code.")
    score = property(attrgetter("_score"), doc="Its probability (sentiment: the polarity).")
    evidence = property(attrgetter("_evidence"), doc="Supporting spans.")

    def __init__(self, label: str, score: float, scores: dict[str, float] | None = None,
                 evidence: tuple[Evidence, ...] = ()) -> None:
        self._label = label
        self._score = score
        self._scores = {} if scores is None else scores
        self._evidence = evidence
        self._row = None

    @classmethod
    def _lazy(cls, label: str, score: float, classes: Sequence[str], row: Any,
              evidence: tuple[Evidence, ...] = ()) -> Prediction:
        """A prediction whose ``scores`` are ``dict(zip(classes, row))``, built when first read."""
        self = cls.__new__(cls)
        self._label = label
        self._score = score
        self._scores = None
        self._evidence = evidence
        self._row = (classes, row)
        return self

    @property
    def scores(self) -> dict[str, float]:
        """Probability of every label of the task."""
        if self._scores is None:
            classes, row = self._row
            self._scores = dict(zip(classes, row.tolist(), strict=True))
            self._row = None
        return self._scores

    def _fields(self) -> tuple[Any, ...]:
        return (self.label, self.score, self.scores, self.evidence)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())  # like a frozen dataclass: fails on the scores dict

    def __repr__(self) -> str:
        return (f"Prediction(label={self.label!r}, score={self.score!r}, scores={self.scores!r}, "
                f"evidence={self.evidence!r})")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (Prediction, self._fields())

    def __copy__(self) -> Prediction:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Prediction:
        return Prediction(self.label, self.score, copy.deepcopy(self.scores, memo), self.evidence)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score}


_EMPTY = Prediction(label="", score=0.0)


_TASKS = (*SINGLE_TASKS, *MULTI_TASKS)
#: Result fields in constructor (and ``repr``) order.
_FIELDS = ("text", "sentiment", "emotion", "intent", "complaint_stage", "journey_stage", "temperament",
           "non_complaint_reasons", "behaviors", "aspects", "error", "truncated", "changes", "extra")
_MISSING: Any = object()


class RowSource(Protocol):
    """Where a lazily filled :class:`Result` gets its task values (the analyzer's batch)."""

    def value(self, i: int, task: str) -> Any:
        """The value of ``task`` for row ``i`` (a :class:`Prediction` or a list of :class:`Label`)."""

    def flat(self, i: int, task: str) -> Any:
        """``(label, score)`` or ``([labels], {label: score})`` of ``task`` for row ``i`` (for ``to_dict``)."""


def _task_property(task: str, multi: bool) -> property:
    def get(self: Result) -> Any:
        values = self._values
        if values is None:
            values = self._values = {}
        else:
            v = values.get(task, _MISSING)
            if v is not _MISSING:
                return v
        src = self._src
        v = src[0].value(src[1], task) if src is not None else _MISSING
        if v is _MISSING:
            v = [] if multi else _EMPTY
        values[task] = v
        return v

    def set_(self: Result, value: Any) -> None:
        if self._values is None:
            self._values = {}
        self._values[task] = value

    kind = "list of :class:`Label`" if multi else ":class:`Prediction`"
    return property(get, set_, doc=f"``{task}``: {kind} (built on first access).")


class Result:
    """Everything voc says about one text.

    Task attributes (``sentiment`` ... ``aspects``) are filled on first access from the
    analyzer's batch (the decisions are made for the whole batch; the :class:`Prediction` /
    :class:`Label` objects, score mappings and evidence spans are built only when read).
    ``tokens`` is computed on first access too (tokenizing is not needed to classify).
    ``error`` is set, and all labels are empty, when the input was unusable.
    Results compare, print and pickle like a dataclass of their fields (lazy values are filled first).
    """

    __slots__ = ("text", "error", "truncated", "changes", "_extra", "_tokenize", "_tokens", "_values", "_src")

    # task attributes: properties added below the class (filled on first access)
    sentiment: Prediction
    emotion: Prediction
    intent: Prediction
    complaint_stage: Prediction
    journey_stage: Prediction
    temperament: Prediction
    non_complaint_reasons: list[Label]
    behaviors: list[Label]
    aspects: list[Label]

    def __init__(self, text: str, sentiment: Prediction = _MISSING, emotion: Prediction = _MISSING,
                 intent: Prediction = _MISSING, complaint_stage: Prediction = _MISSING,
                 journey_stage: Prediction = _MISSING, temperament: Prediction = _MISSING,
                 non_complaint_reasons: list[Label] = _MISSING, behaviors: list[Label] = _MISSING,
                 aspects: list[Label] = _MISSING, error: str | None = None, truncated: bool = False,
                 changes: tuple[str, ...] = (), extra: dict[str, Any] | None = None,
                 _tokenize: Callable[[str], list[str]] | None = None, _tokens: list[str] | None = None,
                 _src: tuple[RowSource, int] | None = None) -> None:
        self.text = text
        self.error = error
        self.truncated = truncated
        self.changes = changes
        self._extra = extra
        self._tokenize = _tokenize
        self._tokens = _tokens
        self._src = _src
        given = {k: v for k, v in zip(_TASKS, (sentiment, emotion, intent, complaint_stage, journey_stage,
                                                temperament, non_complaint_reasons, behaviors, aspects),
                                      strict=True) if v is not _MISSING}
        self._values = given or None

    @classmethod
    def _lazy(cls, text: str, truncated: bool, changes: tuple[str, ...],
              tokenize: Callable[[str], list[str]] | None, src: tuple[RowSource, int]) -> Result:
        """``Result(text, truncated=..., changes=..., _tokenize=..., _src=...)`` without the keyword handling:
        every task value read from ``src`` on first access (the analyzer's ``nlp(text)`` path)."""
        self = cls.__new__(cls)
        self.text = text
        self.error = None
        self.truncated = truncated
        self.changes = changes
        self._extra = None
        self._tokenize = tokenize
        self._tokens = None
        self._src = src
        self._values = None
        return self

    @property
    def extra(self) -> dict[str, Any]:
        """Free-form additions (e.g. by integrations); an empty dict by default."""
        if self._extra is None:
            self._extra = {}
        return self._extra

    @extra.setter
    def extra(self, value: dict[str, Any]) -> None:
        self._extra = value

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in _FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable, like a plain dataclass

    def __repr__(self) -> str:
        return "Result(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in _FIELDS) + ")"

    def __getstate__(self) -> dict[str, Any]:
        state = {f: getattr(self, f) for f in _FIELDS}  # fills every lazy value: no batch travels along
        state["_tokenize"] = self._tokenize
        state["_tokens"] = self._tokens
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def materialize(self) -> Result:
        """Fill every task value now and drop the reference to the analyzer's batch; returns ``self``."""
        if self._src is not None:
            for task in _TASKS:
                value = getattr(self, task)
                for lab in value if isinstance(value, list) else ():
                    lab.evidence  # noqa: B018 - found now, so that no label keeps the batch alive
            self._src = None
        return self

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
        label, score = self._flat("sentiment")
        d: dict[str, Any] = {"sentiment": label or None, "sentiment_score": score if label else None}
        scores: dict[str, Any] = {}
        for task in FLAT_ORDER:
            label, score = self._flat(task)
            if isinstance(label, list):
                d[task] = label
                scores[f"{task}_scores"] = None if self.error else score
            else:
                d[task] = label or None
                scores[f"{task}_score"] = score if label else None
        d["error"] = self.error
        d.update(scores)
        return d

    def _flat(self, task: str) -> tuple[Any, Any]:
        """``(label, score)`` or ``([labels], {label: score})``; read from the batch when not filled yet."""
        src = self._src
        if src is not None and (self._values is None or task not in self._values):
            flat = src[0].flat(src[1], task)
            if flat is not _MISSING:
                return flat
        value = getattr(self, task)
        if isinstance(value, list):
            return [lab.label for lab in value], {lab.label: lab.score for lab in value}
        return value.label, value.score

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


for _task in _TASKS:
    setattr(Result, _task, _task_property(_task, _task in MULTI_TASKS))
del _task
